/** Pedestal statistics on synthetic dark frames (jungfrau.md §6), and which pedestal file a run uses. */
import { describe, expect, test } from 'vitest';
import { newestPedestalAtOrBefore, pedestalStamp, gainFilePath, pedestalDirectory } from '../../../../lib/core/jungfrau/calibration-files';
import { NoGoodPixels, PedestalAccumulator } from '../../../../lib/core/jungfrau/pedestal';

const MP = 512 * 1024;
const G = (g: number, highG0 = false) => (g << 12) | (highG0 ? 1 : 0);

/** Dark frames of one module: pixel i in forced gain g shows adc = 1000 * (g + 1) + i % 50 + (frame % 3) - 1. */
function darkFrames(g: number, count: number, firstFrame = 0, tweak?: (frame: Uint16Array, f: number) => void): Uint16Array {
  const block = new Uint16Array(count * MP);
  for (let f = 0; f < count; f++) {
    const frame = block.subarray(f * MP, (f + 1) * MP);
    for (let i = 0; i < MP; i++) frame[i] = (g << 14) | (1000 * (g + 1) + (i % 50) + ((firstFrame + f) % 3) - 1);
    tweak?.(frame, firstFrame + f);
  }
  return block;
}

const flags = (count: number, daqRec: number, bad: number[] = []) => ({
  isGoodFrame: Array.from({ length: count }, (_, f) => (bad.includes(f) ? 0 : 1)),
  daqRec: new Array<number>(count).fill(daqRec),
});

describe('PedestalAccumulator', () => {
  test('mean and RMS per gain stage, plane 0/1/2 for forced gain 0/1/3, streamed in blocks', () => {
    const acc = new PedestalAccumulator({ modules: 1 });
    for (const g of [0, 1, 3]) {
      acc.add(darkFrames(g, 4), 4, flags(4, G(g)));
      acc.add(darkFrames(g, 2, 4), 2, flags(2, G(g)));
    }
    const r = acc.finish();
    expect(r.stats).toEqual({ analyzed: 18, good: 18, used: [6, 6, 0, 6], wrongGainFrames: 0 });
    // frames 0..5: offsets -1, 0, 1, -1, 0, 1: mean offset 0, mean square 2/3
    for (const [plane, g] of [[0, 0], [1, 1], [2, 3]] as const) {
      for (const i of [0, 7, 49, 50, MP - 1]) {
        expect(r.pedestal[plane][i]).toBeCloseTo(1000 * (g + 1) + (i % 50), 9);
        expect(r.rms[plane][i]).toBeCloseTo(Math.sqrt(2 / 3), 6);
      }
    }
    expect(r.goodPixels).toBe(MP);
    expect([...r.pixelMask.subarray(0, 100)].every((b) => b === 0)).toBe(true);
  });

  test('mask bits: wrong gain 1+g+4hg, RMS ~ 0 at 9+plane, extra mask 0; bad and wrong-gain frames skipped', () => {
    const acc = new PedestalAccumulator({ modules: 1 });
    // pixel 10 stays in G0 when forced to G1 (stuck there); pixel 20 never changes (dead) in every stage
    const tweak = (frame: Uint16Array, f: number) => {
      frame[20] = (frame[20]! & 0xc000) | 777;
      if (frame[0]! >>> 14 === 1) frame[10] = 1234 + (f % 2);
    };
    acc.add(darkFrames(0, 3, 0, tweak), 3, flags(3, G(0)));
    acc.add(darkFrames(1, 3, 0, tweak), 3, flags(3, G(1), [2])); // frame 2 not good: skipped
    acc.add(darkFrames(3, 3, 0, tweak), 3, flags(3, G(3, true))); // high G0 flag: bit 1 + 3 + 4
    // a frame whose pixels are mostly not in the forced gain: skipped, no mask bits
    acc.add(darkFrames(0, 1), 1, flags(1, G(1)));
    const r = acc.finish(Uint8Array.from({ length: MP }, (_, i) => (i === 30 ? 1 : 0)));
    expect(r.stats).toMatchObject({ analyzed: 10, good: 9, used: [3, 2, 0, 3], wrongGainFrames: 1 });
    expect(r.pixelMask[10]).toBe(1 << 2); // wrong gain while forced to G1
    expect(r.pixelMask[20]).toBe((1 << 9) | (1 << 10) | (1 << 11)); // RMS 0 in every stage
    expect(r.pixelMask[30]).toBe(1 << 0);
    expect(r.pixelMask[11]).toBe(0);
    expect(r.pedestal[1][10]).toBeCloseTo(1234.5, 9); // its adc still counts for G1, as the facility's
    // every pixel is in G2 with the high-G0 flag: a "wrong gain" pixel there gets bit 8
    const hg = new PedestalAccumulator({ modules: 1 });
    hg.add(darkFrames(3, 2, 0, (f) => (f[5] = 100)), 2, flags(2, G(3, true)));
    hg.add(darkFrames(0, 2), 2, flags(2, G(0)));
    hg.add(darkFrames(1, 2), 2, flags(2, G(1)));
    expect(hg.finish().pixelMask[5]).toBe((1 << 8) | (1 << 11));
  });

  test('running window: past `window` frames, 1/window of the sums is removed before adding', () => {
    const window = 4;
    const acc = new PedestalAccumulator({ modules: 1, window });
    const values = [10, 20, 30, 40, 50, 60, 70];
    const block = new Uint16Array(values.length * MP);
    values.forEach((v, f) => block.fill(v + (f % 2), f * MP, (f + 1) * MP));
    acc.add(block, values.length, flags(values.length, G(0)));
    for (const g of [1, 3]) acc.add(darkFrames(g, 2), 2, flags(2, G(g)));
    let s = 0;
    let s2 = 0;
    values.forEach((v, f) => {
      if (f + 1 > window) {
        s -= s / window;
        s2 -= s2 / window;
      }
      s += v + (f % 2);
      s2 += (v + (f % 2)) ** 2;
    });
    const r = acc.finish();
    expect(r.pedestal[0][123]).toBe(s / window);
    expect(r.rms[0][123]).toBe(Math.sqrt(s2 / window - (s / window) ** 2));
  });

  test('maxFrames bounds the frames looked at; no good pixel is an error', () => {
    const acc = new PedestalAccumulator({ modules: 1, maxFrames: 2 });
    acc.add(darkFrames(0, 3), 3, flags(3, G(0)));
    expect(() => acc.finish()).toThrow(NoGoodPixels); // only G0 frames: G1 and G2 have RMS 0 everywhere
    expect(() => acc.finish()).toThrow(/no good pixel in 2 good frames/);
  });

  test('a bad module lowers the pixels a frame needs in the forced gain', () => {
    const half = (frame: Uint16Array) => frame.fill(0, 0, 300_000); // G0 words in a forced-G1 frame
    const strict = new PedestalAccumulator({ modules: 1 });
    strict.add(darkFrames(1, 1, 0, half), 1, flags(1, G(1)));
    const lenient = new PedestalAccumulator({ modules: 1, badModules: 1 });
    lenient.add(darkFrames(1, 1, 0, half), 1, flags(1, G(1)));
    expect([(strict as unknown as { stats: { used: number[] } }).stats.used[1], (lenient as unknown as { stats: { used: number[] } }).stats.used[1]]).toEqual([0, 1]);
  });
});

describe('pedestal files of the facility', () => {
  test('paths under the root standing for /sf', () => {
    expect(gainFilePath('/sf', 'JF06T08V04')).toBe('/sf/jungfrau/config/gainMaps/JF06T08V04/gains.h5');
    expect(pedestalDirectory('/data/', 'JF07T32V01')).toBe('/data/jungfrau/data/pedestal/JF07T32V01');
  });

  test('stamps in facility time', () => {
    expect(pedestalStamp(new Date('2025-06-01T10:00:00Z'))).toBe('20250601_120000');
    expect(pedestalStamp(new Date('2025-01-15T23:30:05Z'))).toBe('20250116_003005');
    expect(pedestalStamp(new Date('2025-01-15T23:30:05Z'), 'UTC')).toBe('20250115_233005');
  });

  test('newest pedestal at or before the run', () => {
    const names = ['20250601_090000.h5', '20250601_130000.h5', '20250531_235959.h5', 'notes.txt', '20250601_120000.h5.partial', '20250601_110000.res.h5'];
    expect(newestPedestalAtOrBefore(names, '20250601_120000')).toBe('20250601_090000.h5');
    expect(newestPedestalAtOrBefore(names, '20250601_130000')).toBe('20250601_130000.h5'); // at: counts
    expect(newestPedestalAtOrBefore(names, '20250601_000000')).toBe('20250531_235959.h5');
    expect(newestPedestalAtOrBefore(names, '20250101_000000')).toBeUndefined();
    expect(newestPedestalAtOrBefore([], '20250101_000000')).toBeUndefined();
  });
});
