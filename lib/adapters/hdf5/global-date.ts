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

/**
 * The global_date rows of the channel written last, by row position: the channels of a BS file have the
 * same pulses, so row i of the next channel usually has row i's timestamp again and its date is copied
 * (runs of rows at once) instead of formatted. A row whose timestamp differs is formatted and replaces
 * the cached one.
 *
 * @example
 *   const cache = new GlobalDateCache();
 *   cache.write(words, 0, 6000, 0, out, 0); // rows 0..5999 of a channel, into out
 */
export class GlobalDateCache {
  private words = new Uint32Array(0);
  private dates = new Uint8Array(0);

  /**
   * Writes the dates of `count` rows, whose timestamps' words are words[2 * (from + i) ..], as rows
   * `row + i` of a channel, to `out` at byte `at` (35 bytes each).
   */
  write(words: Uint32Array, from: number, count: number, row: number, out: Uint8Array, at: number): void {
    this.reserve(row + count);
    const cw = this.words;
    const cd = this.dates;
    let i = 0;
    while (i < count) {
      // A run of rows the cache already has: one copy.
      let k = i;
      while (k < count && cw[2 * (row + k)] === words[2 * (from + k)] && cw[2 * (row + k) + 1] === words[2 * (from + k) + 1] && cd[(row + k) * GLOBAL_DATE_BYTES] !== 0) k++;
      if (k > i) {
        out.set(cd.subarray((row + i) * GLOBAL_DATE_BYTES, (row + k) * GLOBAL_DATE_BYTES), at + i * GLOBAL_DATE_BYTES);
        i = k;
        continue;
      }
      const r = row + i;
      const lo = words[2 * (from + i)]!;
      const hi = words[2 * (from + i) + 1]!;
      writeGlobalDate(hi | 0, lo, cd, r * GLOBAL_DATE_BYTES);
      cw[2 * r] = lo;
      cw[2 * r + 1] = hi;
      out.set(cd.subarray(r * GLOBAL_DATE_BYTES, (r + 1) * GLOBAL_DATE_BYTES), at + i * GLOBAL_DATE_BYTES);
      i++;
    }
  }

  private reserve(rows: number): void {
    if (rows * 2 <= this.words.length) return;
    const n = Math.max(rows, 2 * (this.words.length / 2), 1024);
    const words = new Uint32Array(2 * n);
    words.set(this.words);
    const dates = new Uint8Array(n * GLOBAL_DATE_BYTES);
    dates.set(this.dates);
    this.words = words;
    this.dates = dates;
  }
}
