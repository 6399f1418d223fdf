import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { detectorRange, expectedPulseIds, queryRange } from '../../../lib/core/rate';

const RATES = [1, 2, 4, 8, 10, 20, 40, 50, 100];

describe('queryRange: widen by one pulse at an edge divisible by r, only when r != 1', () => {
  test.for([
    { start: 1000, stop: 2000, r: 1, want: [1000, 2000] },
    { start: 1000, stop: 2000, r: 10, want: [999, 2001] },
    { start: 1001, stop: 2000, r: 10, want: [1001, 2001] },
    { start: 1000, stop: 2009, r: 10, want: [999, 2009] },
    { start: 1001, stop: 1009, r: 10, want: [1001, 1009] },
    { start: 1000, stop: 1000, r: 100, want: [999, 1001] },
    { start: 18_940_426_900, stop: 18_940_432_900, r: 4, want: [18_940_426_899, 18_940_432_901] },
  ])('$start..$stop at r=$r -> $want', ({ start, stop, r, want }) => {
    expect(queryRange(start, stop, r)).toEqual({ start: want[0], stop: want[1] });
  });

  it('refuses a reversed range and a bad rate', () => {
    expect(() => queryRange(10, 9, 1)).toThrow(/bad pulse range/);
    expect(() => queryRange(10, 20, 0)).toThrow(/bad rate_multiplicator/);
    expect(() => queryRange(10, 20, 2.5)).toThrow(/bad rate_multiplicator/);
  });
});

describe('expectedPulseIds and detectorRange', () => {
  test.for([
    { start: 1000, stop: 2000, r: 10, want: { first: 1000, last: 2000, step: 10, count: 101 } },
    { start: 1001, stop: 2005, r: 10, want: { first: 1010, last: 2000, step: 10, count: 100 } },
    { start: 1001, stop: 1009, r: 10, want: { first: 1010, last: 1000, step: 10, count: 0 } },
    { start: 5, stop: 5, r: 1, want: { first: 5, last: 5, step: 1, count: 1 } },
    { start: 18_940_426_916, stop: 18_940_486_916, r: 1, want: { first: 18_940_426_916, last: 18_940_486_916, step: 1, count: 60_001 } },
  ])('$start..$stop at r=$r', ({ start, stop, r, want }) => {
    expect(detectorRange(start, stop, r)).toEqual(want);
    expect(expectedPulseIds(start, stop, r)).toMatchObject(want);
  });

  it('isExpected: in [start, stop] and divisible by r, for numbers and bigints', () => {
    const e = expectedPulseIds(1001, 2000, 10);
    expect([1000, 1001, 1010, 1995, 2000, 2010].map((p) => e.isExpected(p))).toEqual([false, false, true, false, true, false]);
    expect(e.isExpected(1990n)).toBe(true);
    expect(e.isExpected(18_940_426_910n)).toBe(false);
  });

  it('agrees with a brute-force enumeration (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 300 }), fc.constantFrom(...RATES), (start, n, r) => {
        const stop = start + n;
        const all = Array.from({ length: n + 1 }, (_, i) => start + i).filter((p) => p % r === 0);
        const e = expectedPulseIds(start, stop, r);
        expect(e.count).toBe(all.length);
        if (all.length > 0) expect([e.first, e.last]).toEqual([all[0], all.at(-1)]);
        for (let p = start - 2; p <= stop + 2; p++) expect(e.isExpected(p)).toBe(all.includes(p));
        // The widened query range covers every expected pulse.
        const q = queryRange(start, stop, r);
        expect(q.start <= start && q.stop >= stop && q.start >= start - 1 && q.stop <= stop + 1).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
