/**
 * Which expected pulses a channel has, as a strip of at most `columns`
 * cells (each: the share of its expected pulses present, 0..255), and the
 * missing pulses as ranges. Pure.
 */
import type { ExpectedPulses } from '../core/check';

export interface PresenceStrip {
  expected: number;
  found: number;
  missing: number;
  /** Expected pulses per cell (the last cell may hold fewer). */
  pulses_per_cell: number;
  /** Per cell: 255 = every expected pulse present, 0 = none. */
  cells: Uint8Array;
  /** Missing pulses as inclusive [first, last] ranges of expected pulse ids, at most `maxRanges`. */
  missing_ranges: Array<[number, number]>;
  /** How many ranges there are in all (more than listed when cut). */
  missing_ranges_total: number;
}

/**
 * @example presenceStrip(Float64Array.of(1000, 1001, 1003), expectedPulses(1000, 1003, 1), 4).missing_ranges // [[1002, 1002]]
 */
export function presenceStrip(pulseIds: ArrayLike<number>, expected: ExpectedPulses, columns = 1000, maxRanges = 100): PresenceStrip {
  const seen = seenMarks(pulseIds, expected);
  const count = expected.count;
  const cellsWanted = Math.max(1, Math.min(columns, count));
  const perCell = Math.max(1, Math.ceil(count / cellsWanted));
  const cellCount = count === 0 ? 0 : Math.ceil(count / perCell);
  const cells = new Uint8Array(cellCount);
  let found = 0;
  for (let c = 0; c < cellCount; c++) {
    const from = c * perCell;
    const to = Math.min(count, from + perCell);
    let present = 0;
    for (let i = from; i < to; i++) present += seen[i]!;
    found += present;
    cells[c] = Math.round((255 * present) / (to - from));
  }
  const { ranges, total } = missingRanges(seen, expected, maxRanges);
  return { expected: count, found, missing: count - found, pulses_per_cell: perCell, cells, missing_ranges: ranges, missing_ranges_total: total };
}

/** Missing pulses of a channel as ranges (for the run's details). */
export function missingPulseRanges(pulseIds: ArrayLike<number>, expected: ExpectedPulses, maxRanges = 100): { ranges: Array<[number, number]>; total: number; missing: number } {
  const seen = seenMarks(pulseIds, expected);
  let present = 0;
  for (let i = 0; i < seen.length; i++) present += seen[i]!;
  return { ...missingRanges(seen, expected, maxRanges), missing: expected.count - present };
}

/** One mark per expected pulse: 1 if some row has it. */
function seenMarks(pulseIds: ArrayLike<number>, expected: ExpectedPulses): Uint8Array {
  const seen = new Uint8Array(expected.count);
  for (let i = 0; i < pulseIds.length; i++) {
    const p = Number(pulseIds[i]);
    if (!expected.has(p)) continue;
    const index = indexOfExpected(expected, p);
    if (index >= 0) seen[index] = 1;
  }
  return seen;
}

/** The position of an expected pulse id among the expected ones (they increase): binary search, -1 if absent. */
export function indexOfExpected(expected: ExpectedPulses, p: number): number {
  let lo = 0;
  let hi = expected.count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = expected.at(mid);
    if (at === p) return mid;
    if (at < p) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function missingRanges(seen: Uint8Array, expected: ExpectedPulses, maxRanges: number): { ranges: Array<[number, number]>; total: number } {
  const ranges: Array<[number, number]> = [];
  let total = 0;
  for (let i = 0; i < seen.length; i++) {
    if (seen[i]) continue;
    let j = i;
    while (j + 1 < seen.length && !seen[j + 1]) j++;
    total += 1;
    if (ranges.length < maxRanges) ranges.push([expected.at(i), expected.at(j)]);
    i = j;
  }
  return { ranges, total };
}
