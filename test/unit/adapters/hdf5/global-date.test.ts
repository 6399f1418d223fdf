import { describe, expect, it } from 'vitest';
import { globalDate, GlobalDateCache, GLOBAL_DATE_BYTES, writeGlobalDate } from '../../../../lib/adapters/hdf5/global-date';

const words = (values: bigint[]) => new Uint32Array(BigInt64Array.from(values).buffer);
const text = (bytes: Uint8Array, row: number) => Buffer.from(bytes.subarray(row * GLOBAL_DATE_BYTES, (row + 1) * GLOBAL_DATE_BYTES)).toString('latin1');

describe('writeGlobalDate: the text of globalDate, as bytes, without a BigInt', () => {
  it('agrees with globalDate on edges and on 20,000 pseudo-random timestamps (before 1970 too)', () => {
    const cases = [1_590_595_599_772_622_123n, 0n, -1n, -1_000_000_000n, -999_999_999n, 1_693_900_000_000_000_001n, 9_000_000_000_000_000_000n];
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      cases.push(BigInt(x) * 2_000_000_007n - (i % 3 === 0 ? 2n ** 61n : 0n)); // years 1897..2242
    }
    const out = new Uint8Array(GLOBAL_DATE_BYTES);
    for (const ns of cases) {
      const w = words([ns]);
      writeGlobalDate(w[1]! | 0, w[0]!, out, 0);
      expect(text(out, 0), String(ns)).toBe(globalDate(ns));
    }
  });
});

describe('GlobalDateCache: the dates of the channel before, by row', () => {
  it('copies the rows whose timestamps repeat and formats the ones that differ (a channel with gaps)', () => {
    const cache = new GlobalDateCache();
    const t0 = 1_700_000_000_000_000_000n;
    const first = Array.from({ length: 50 }, (_, i) => t0 + BigInt(i) * 10_000_000n);
    const a = new Uint8Array(50 * GLOBAL_DATE_BYTES);
    cache.write(words(first), 0, 50, 0, a, 0);
    // The next channel: the same pulses but every 7th missing, written in two runs.
    const second = first.filter((_, i) => i % 7 !== 3);
    const b = new Uint8Array(second.length * GLOBAL_DATE_BYTES);
    cache.write(words(second), 0, 20, 0, b, 0);
    cache.write(words(second), 20, second.length - 20, 20, b, 20 * GLOBAL_DATE_BYTES);
    second.forEach((ns, row) => expect(text(b, row), `row ${row}`).toBe(globalDate(ns)));
    first.forEach((ns, row) => expect(text(a, row)).toBe(globalDate(ns)));
    // A third channel like the first: rows now cached from the second where they differ are formatted again.
    const c = new Uint8Array(50 * GLOBAL_DATE_BYTES);
    cache.write(words(first), 0, 50, 0, c, 0);
    expect(Buffer.from(c).equals(Buffer.from(a))).toBe(true);
  });
});
