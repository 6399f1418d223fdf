/**
 * One pass over a source's pulse ids in file order: what was found, what is
 * missing, repeated, outside the range or out of order. Shared by the BS,
 * camera and detector checks. O(rows + expected), one byte per pulse of the
 * range for the "seen" marks.
 *
 * Edge rule (a choice the spec leaves open): at rate r != 1 the BS/camera
 * retrieval widens the query by one pulse at an edge divisible by r, so the
 * file may legitimately hold start-1 or stop+1. Such a row carries no beam at
 * this rate (start-1 is not divisible by r when start is), so it is counted as
 * `edge` and tolerated, as the original check tolerated it by ignoring every
 * row not divisible by r. A row at start-1/stop+1 that *is* divisible by r
 * (including every row at rate 1, where nothing is widened) was not asked for:
 * it is out of range.
 */
import type { ExpectedPulses } from './expected';
import type { PulseCounts } from './types';

export interface PulseScan extends PulseCounts {
  /** A few examples for the messages. */
  examples: { missing: number[]; duplicate?: number; outOfRange?: number; decreaseAt?: { row: number; from: number; to: number } };
}

/**
 * @example scanPulseIds(Float64Array.of(999, 1000, 1010, 1010), 1000, 1010, expectedPulses(1000, 1010, 10))
 *   // { found_unique: 2, duplicates: 1, edge: 1, missing: 0, monotonic: true, ... }
 */
export function scanPulseIds(ids: Float64Array, start: number, stop: number, expected: ExpectedPulses): PulseScan {
  const low = start - 1; // the window of the seen marks: [start-1, stop+1]
  const seen = new Uint8Array(stop - start + 3);
  const outside = new Set<number>();
  const scan: PulseScan = {
    rows: ids.length, found_unique: 0, first: null, last: null, duplicates: 0, out_of_range: 0,
    edge: 0, off_rate: 0, monotonic: true, missing: 0, examples: { missing: [] },
  };
  for (let i = 0; i < ids.length; i++) {
    const p = ids[i]!;
    if (i > 0 && p < ids[i - 1]!) {
      if (scan.monotonic) scan.examples.decreaseAt = { row: i, from: ids[i - 1]!, to: p };
      scan.monotonic = false;
    }
    const inWindow = Number.isInteger(p) && p >= low && p <= stop + 1;
    if (inWindow ? seen[p - low] === 1 : outside.has(p)) {
      scan.duplicates += 1;
      scan.examples.duplicate ??= p;
      continue;
    }
    if (!inWindow) {
      outside.add(p);
      countOutOfRange(scan, p);
      continue;
    }
    seen[p - low] = 1;
    if (expected.has(p)) {
      scan.found_unique += 1;
      scan.first ??= p;
      scan.last = p;
    } else if (p >= start && p <= stop) {
      scan.off_rate += 1;
    } else if (p % expected.rate !== 0) {
      scan.edge += 1;
    } else {
      countOutOfRange(scan, p);
    }
  }
  scan.missing = expected.count - scan.found_unique;
  for (let i = 0; i < expected.count && scan.examples.missing.length < 5 && scan.missing > 0; i++) {
    const p = expected.at(i);
    if (seen[p - low] !== 1) scan.examples.missing.push(p);
  }
  return scan;
}

function countOutOfRange(scan: PulseScan, p: number): void {
  scan.out_of_range += 1;
  scan.examples.outOfRange ??= p;
}
