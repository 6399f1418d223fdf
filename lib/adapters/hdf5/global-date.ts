/**
 * The BSREAD `global_date` string of an event. Choice: UTC with an explicit
 * `+00:00` offset and all nine nanosecond digits, so the string carries the
 * full timestamp and parses with Python's `datetime.fromisoformat` (3.11+) and
 * numpy/pandas (`pd.Timestamp` keeps the ns). The 2020 bsread writer used local
 * time with microseconds; a UTC string cannot be misread across DST changes.
 */

const NS_PER_S = 1_000_000_000n;

/** Every channel of a pulse has the same timestamp, and consecutive pulses the same second: remember the last of each. */
let lastNs: bigint | undefined;
let lastText = '';
let lastSecond: bigint | undefined;
let lastPrefix = '';

/**
 * @example
 *   globalDate(1_590_595_599_772_622_123n) // '2020-05-27T16:06:39.772622123+00:00'
 */
export function globalDate(timestampNs: bigint): string {
  if (timestampNs === lastNs) return lastText;
  // Floor division, so times before 1970 still get a fraction in [0, 1e9).
  let seconds = timestampNs / NS_PER_S;
  let fraction = timestampNs % NS_PER_S;
  if (fraction < 0n) {
    fraction += NS_PER_S;
    seconds -= 1n;
  }
  if (seconds !== lastSecond) {
    lastSecond = seconds;
    lastPrefix = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  }
  lastNs = timestampNs;
  lastText = `${lastPrefix}.${fraction.toString().padStart(9, '0')}+00:00`;
  return lastText;
}
