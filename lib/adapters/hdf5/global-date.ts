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

/** Bytes of a global_date: always 35 ('YYYY-MM-DDTHH:MM:SS.fffffffff+00:00' for years 1000..9999). */
export const GLOBAL_DATE_BYTES = 35;

const BILLION = 1_000_000_000;
/** 2^32 = 4 * 10^9 + K, so ns = hi * 4e9 + hi * K + lo. */
const K = 294_967_296;
/** (2^16 * K) mod 10^9, exact in a double. */
const K16 = (65_536 * K) % BILLION;
const SUFFIX = [0x2b, 0x30, 0x30, 0x3a, 0x30, 0x30]; // '+00:00'

let prefixSecond = Number.NaN;
const prefixBytes = new Uint8Array(19);

/**
 * Writes the global_date of the timestamp whose int64 words are `hi` (signed high 32 bits) and `lo`
 * (unsigned low 32 bits) as 35 ASCII bytes at `out[at]`: the same text as `globalDate`, without a
 * BigInt or a string per row (a BS file has one per channel and pulse).
 *
 * @example
 *   const w = new Uint32Array(BigInt64Array.of(1_590_595_599_772_622_123n).buffer);
 *   writeGlobalDate(w[1]! | 0, w[0]!, out, 0); // out[0..35) = '2020-05-27T16:06:39.772622123+00:00'
 */
export function writeGlobalDate(hi: number, lo: number, out: Uint8Array, at: number): void {
  // ns mod 1e9 from exact pieces (no product reaches 2^53), then seconds from the double (error < 1 us).
  const hh = hi >> 16;
  const hl = hi & 0xffff;
  let frac = ((hh * K16) % BILLION + (hl * K) % BILLION + lo) % BILLION;
  if (frac < 0) frac += BILLION;
  const seconds = Math.round((hi * 4_294_967_296 + lo - frac) / BILLION);
  if (seconds !== prefixSecond) {
    prefixSecond = seconds;
    const text = new Date(seconds * 1000).toISOString();
    for (let i = 0; i < 19; i++) prefixBytes[i] = text.charCodeAt(i);
  }
  out.set(prefixBytes, at);
  out[at + 19] = 0x2e; // '.'
  for (let i = 28; i >= 20; i--) {
    out[at + i] = 0x30 + (frac % 10);
    frac = Math.floor(frac / 10);
  }
  for (let i = 0; i < 6; i++) out[at + 29 + i] = SUFFIX[i]!;
}
