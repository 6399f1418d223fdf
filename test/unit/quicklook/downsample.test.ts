import { inflateSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { expectedPulses } from '../../../lib/core/check';
import { ADC_MASK, assemblerFor, stackedModules } from '../../../lib/quicklook/assemble';
import { palette } from '../../../lib/quicklook/colormap';
import { binRaster, logScale } from '../../../lib/quicklook/image';
import { encodeIndexedPng } from '../../../lib/quicklook/png';
import { presenceStrip } from '../../../lib/quicklook/presence';
import { downsampleSeries } from '../../../lib/quicklook/series';

const range = (from: number, to: number, step = 1) => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

describe('downsampleSeries', () => {
  test('a short channel: every row, a null where pulses are missing (uPlot breaks the line there)', () => {
    const plot = downsampleSeries([10, 11, 12, 15, 16], [1, 2, 3, 4, 5], { start: 10, stop: 16, rate: 1 });
    expect(plot).toMatchObject({ downsampled: false, gaps: 1, rows: 5, min: null, max: null });
    expect(plot.x).toEqual([10, 11, 12, 13, 15, 16]);
    expect(plot.y).toEqual([1, 2, 3, null, 4, 5]);
  });

  test('the rate decides what is a gap: at rate 10, 1000 -> 1010 is no gap, 1010 -> 1030 is', () => {
    const plot = downsampleSeries([1000, 1010, 1030], [1, 2, 3], { start: 1000, stop: 1030, rate: 10 });
    expect(plot.y).toEqual([1, 2, null, 3]);
    expect(plot.x).toEqual([1000, 1010, 1020, 1030]);
  });

  test('PVs (gaps: false) are never broken', () => {
    const plot = downsampleSeries([5, 500, 900], [1, 2, 3], { start: 0, stop: 1000, rate: 1, gaps: false });
    expect(plot.y).toEqual([1, 2, 3]);
    expect(plot.gaps).toBe(0);
  });

  test('60,001 pulses become at most 1000 points with a min/max envelope; a missing stretch is a gap', () => {
    const start = 18_940_426_900;
    const ids: number[] = [];
    const values: number[] = [];
    for (let p = start; p <= start + 60_000; p++) {
      if (p >= start + 30_000 && p < start + 31_000) continue; // 1000 pulses lost
      ids.push(p);
      values.push(Math.sin(p / 50) + (p % 7 === 0 ? 5 : 0));
    }
    const plot = downsampleSeries(ids, values, { start, stop: start + 60_000, rate: 1, maxPoints: 1000 });
    expect(plot.downsampled).toBe(true);
    expect(plot.x.length).toBeLessThanOrEqual(1000);
    expect(plot.x.length).toBeGreaterThan(900);
    expect(plot.rows).toBe(59_001);
    expect(plot.gaps).toBe(1);
    const nulls = plot.y.map((v, i) => (v === null ? i : -1)).filter((i) => i >= 0);
    expect(nulls.length).toBeGreaterThanOrEqual(15); // 1000 pulses at 61 per point
    for (const i of nulls) expect(plot.x[i]! + plot.pulses_per_point).toBeGreaterThan(start + 30_000);
    plot.y.forEach((y, i) => {
      if (y === null) return expect([plot.min![i], plot.max![i]]).toEqual([null, null]);
      expect(plot.min![i]!).toBeLessThanOrEqual(y);
      expect(plot.max![i]!).toBeGreaterThanOrEqual(y);
    });
    // The spikes (every 7th pulse, +5) survive in the envelope though the mean hides them.
    expect(Math.max(...plot.max!.filter((v): v is number => v !== null))).toBeGreaterThan(5);
  });

  test('rows out of order are sorted; NaN values are left out', () => {
    const plot = downsampleSeries([3, 1, 2, 4], [30, 10, 20, NaN], { start: 1, stop: 4, rate: 1 });
    expect(plot.x).toEqual([1, 2, 3]);
    expect(plot.y).toEqual([10, 20, 30]);
  });
});

describe('presenceStrip', () => {
  test('which expected pulses are there, per cell, and the missing ones as ranges', () => {
    const expected = expectedPulses(1000, 1099, 1);
    const ids = range(1000, 1099).filter((p) => !(p >= 1010 && p <= 1019) && p !== 1050);
    const strip = presenceStrip(ids, expected, 10);
    expect(strip).toMatchObject({ expected: 100, found: 89, missing: 11, pulses_per_cell: 10, missing_ranges: [[1010, 1019], [1050, 1050]], missing_ranges_total: 2 });
    expect([...strip.cells]).toEqual([255, 0, 255, 255, 255, 230, 255, 255, 255, 255]);
  });

  test('at rate 10 only pulses divisible by 10 count; off-rate and duplicate rows change nothing', () => {
    const expected = expectedPulses(1001, 1100, 10);
    const strip = presenceStrip([1005, 1010, 1010, 1020, 1040, 1100, 1200], expected, 1000);
    expect(strip.expected).toBe(10);
    expect(strip.found).toBe(4);
    expect(strip.missing_ranges).toEqual([[1030, 1030], [1050, 1090]]);
  });

  test("a detector's selected pulse ids are what is expected", () => {
    const expected = expectedPulses(1000, 2000, 1, [1000, 1500, 1700]);
    expect(presenceStrip([1000, 1700], expected).missing_ranges).toEqual([[1500, 1500]]);
  });

  test('ranges are listed up to a limit, all are counted', () => {
    const expected = expectedPulses(0, 999, 1);
    const strip = presenceStrip(range(0, 999, 2), expected, 100, 5);
    expect(strip.missing_ranges).toHaveLength(5);
    expect(strip.missing_ranges_total).toBe(500);
    expect(strip.cells.length).toBe(100);
  });
});

describe('images', () => {
  test('a 16 Mpixel frame is binned to at most 1024 a side', () => {
    const width = 1024;
    const height = 32 * 512; // 32 Jungfrau modules stacked
    const data = new Uint16Array(width * height);
    data[5 * width + 7] = 9000; // one hit
    const binned = binRaster({ data, width, height }, 1024, 'max');
    expect(binned).toMatchObject({ bin: 16, width: 64, height: 1024 });
    expect(binned.data[0]).toBe(9000); // max keeps the hit
    expect(binRaster({ data, width, height }, 1024, 'mean').data[0]).toBeCloseTo(9000 / 256);
  });

  test('edge blocks reduce over the pixels they have', () => {
    const binned = binRaster({ data: [1, 2, 3, 4, 5, 6], width: 3, height: 2 }, 2);
    expect(binned).toMatchObject({ width: 2, height: 1, bin: 2 });
    expect([...binned.data]).toEqual([3, 4.5]);
  });

  test('log scale: index 0 only for no data; hot pixels above the 99.9th percentile are clamped', () => {
    const values = new Float32Array(10_000).fill(1);
    values[0] = NaN;
    values[1] = 100_000;
    for (let i = 2; i < 102; i++) values[i] = 1 + i;
    const scaled = logScale(values);
    expect(scaled.indices[0]).toBe(0);
    expect(scaled.indices[1]).toBe(255);
    expect(scaled.indices[5000]).toBe(1);
    expect(scaled.min).toBe(1);
    expect(scaled.max).toBe(100_000);
    expect(scaled.high).toBeLessThan(200);
    expect(scaled.indices[101]).toBeGreaterThan(200);
  });

  test('the PNG is a valid palette image of the given size', () => {
    const indices = Uint8Array.from({ length: 6 }, (_, i) => i * 50);
    const png = encodeIndexedPng(indices, 3, 2, palette());
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBe(3);
    expect(png.readUInt32BE(20)).toBe(2);
    expect(png[25]).toBe(3); // colour type: palette
    const idat = png.indexOf('IDAT');
    const raw = inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4)));
    expect([...raw]).toEqual([0, 0, 50, 100, 0, 150, 200, 250]);
  });

  test('the assembly seam: modules stacked as stored, gain bits dropped', () => {
    expect(assemblerFor('JF01T03V01')).toBe(stackedModules);
    const image = stackedModules({ detector: 'JF01T03V01', pixels: Uint16Array.of(0xc000 | 17, 5), height: 1, width: 2 });
    expect(Array.from(image.data)).toEqual([17, 5]);
    expect(ADC_MASK).toBe(0x3fff);
  });
});
