/**
 * rate_multiplicator (r) arithmetic, as the original broker does it. Pure, no I/O.
 * At r only pulse ids divisible by r carry beam (r = 1: 100 Hz, r = 10: 10 Hz).
 *
 * The API (stable; the retrievers and the consistency check both use it):
 *   queryRange(start, stop, r)      the pulses to ask the data/image buffers and the archiver for
 *   expectedPulseIds(start, stop, r) the pulses a check expects: every p in [start, stop] with p % r == 0,
 *                                    described by {first, last, step, count} plus isExpected(p)
 *   detectorRange(start, stop, r)   the detector's start/stop/step (the same pulses as expectedPulseIds)
 *
 * Pulse ids are plain numbers (they stay far below 2^53); isExpected also takes
 * a bigint, as pulse ids come from the buffers and files as int64.
 */

/** An inclusive range of pulse ids. */
export interface PulseRange {
  start: number;
  stop: number;
}

/**
 * Pulse ids first, first + step, ..., last. When no pulse qualifies, count is 0
 * and first > last (first is the next multiple after stop's, last the one before start's).
 */
export interface PulseSeries {
  first: number;
  last: number;
  step: number;
  count: number;
}

export interface ExpectedPulseIds extends PulseSeries {
  /** True when `p` is one of the expected pulse ids. */
  isExpected(p: number | bigint): boolean;
}

function checkArgs(start: number, stop: number, r: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(stop) || start > stop) {
    throw new RangeError(`bad pulse range ${start}..${stop}`);
  }
  if (!Number.isInteger(r) || r < 1) throw new RangeError(`bad rate_multiplicator ${r}`);
}

/** The smallest multiple of r that is >= p, and the largest that is <= p (r >= 1, p may be negative). */
const ceilTo = (p: number, r: number): number => Math.ceil(p / r) * r;
const floorTo = (p: number, r: number): number => Math.floor(p / r) * r;

/**
 * The range queried from the data buffer, the image buffer and the archiver.
 *
 * Reading of the spec ("only when r != 1, widens the range by one pulse at an
 * edge divisible by r (start-1, stop+1)"): each edge is checked on its own;
 * start becomes start - 1 when start % r == 0, stop becomes stop + 1 when
 * stop % r == 0; an edge not divisible by r, and every edge at r = 1, stays.
 * The original did this because the buffers it read behaved like an open
 * interval at the beam pulses' edges. The widened pulses are not expected
 * (they are not multiples of r): files may hold them for channels that fire
 * at 100 Hz, and a check should judge rows against expectedPulseIds.
 *
 * @example
 *   queryRange(1000, 2000, 10) // { start: 999, stop: 2001 }
 *   queryRange(1001, 2000, 10) // { start: 1001, stop: 2001 }
 *   queryRange(1000, 2000, 1)  // { start: 1000, stop: 2000 }
 */
export function queryRange(start: number, stop: number, r: number): PulseRange {
  checkArgs(start, stop, r);
  if (r === 1) return { start, stop };
  return { start: start % r === 0 ? start - 1 : start, stop: stop % r === 0 ? stop + 1 : stop };
}

/**
 * The pulse ids with beam in [start, stop]: every p with p % r == 0.
 * A cheap description (a 60,001-pulse request never becomes an array).
 *
 * @example
 *   const e = expectedPulseIds(1001, 2000, 10); // { first: 1010, last: 2000, step: 10, count: 100 }
 *   e.isExpected(1990n) // true
 *   e.isExpected(1995)  // false
 */
export function expectedPulseIds(start: number, stop: number, r: number): ExpectedPulseIds {
  const series = detectorRange(start, stop, r);
  return {
    ...series,
    isExpected(p: number | bigint): boolean {
      const n = typeof p === 'bigint' ? Number(p) : p;
      return Number.isInteger(n) && n >= start && n <= stop && n % r === 0;
    },
  };
}

/**
 * What the detector retriever writes: the first and last ids in [start, stop]
 * divisible by r, step r (sf_writer's start/stop/step). count 0 when none is.
 *
 * @example
 *   detectorRange(1001, 2005, 10) // { first: 1010, last: 2000, step: 10, count: 100 }
 *   detectorRange(1001, 1009, 10) // { first: 1010, last: 1000, step: 10, count: 0 }
 */
export function detectorRange(start: number, stop: number, r: number): PulseSeries {
  checkArgs(start, stop, r);
  const first = ceilTo(start, r);
  const last = floorTo(stop, r);
  return { first, last, step: r, count: first > last ? 0 : (last - first) / r + 1 };
}
