/** Known calibration constants and raw words for the conversion tests, and the spec's formula (jungfrau.md §4) written out. */
import type { Calibration } from '../../../../lib/core/jungfrau/calibration';
import { resolveDetectorOptions, type DetectorOptionsInput } from '../../../../lib/core/jungfrau/options';

export const MP = 512 * 1024;

/** Constants with a different value per pixel and plane; float32 as the files are read. */
export function knownCalibration(modules: number, gainPlanes: 4 | 6 = 6, pedestalPlanes: 3 | 4 = 3, maskEvery = 0): Calibration {
  const n = modules * MP;
  const plane = (f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));
  const gain = [
    plane((i) => 40 + (i % 7) * 0.13),
    plane((i) => -1.5 - (i % 5) * 0.01),
    plane((i) => -0.11 - (i % 3) * 0.001),
    plane((i) => 120 + (i % 11)),
    plane((i) => -1.7 - (i % 4) * 0.02),
    plane((i) => -0.2 - (i % 6) * 0.003),
  ].slice(0, gainPlanes);
  const pedestal = [
    plane((i) => 1500.25 + (i % 97)),
    plane((i) => 13000.5 + (i % 89)),
    plane((i) => 13500.75 + (i % 83)),
    plane((i) => 1700 + (i % 13)),
  ].slice(0, pedestalPlanes);
  const pixelMask = new Uint32Array(n);
  if (maskEvery > 0) for (let i = 5; i < n; i += maskEvery) pixelMask[i] = 1 << ((i >> 4) % 12);
  return { modules, gain, pedestal, pixelMask };
}

/** Raw words: every gain-bit value (00, 01, 11 and the invalid 10) across pixels and frames. */
export function knownRaw(modules: number, frames: number): Uint16Array {
  const n = modules * MP;
  const raw = new Uint16Array(frames * n);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < n; i++) raw[f * n + i] = (((i + f) % 4) << 14) | ((i * 7919 + f * 31) % 16384);
  }
  return raw;
}

/** Python's round(): half to even. */
export function pyRound(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The spec's formula for one raw pixel: s = [0,1,2,2][gain bits]; planes per
 * high gain; g = float32 reciprocal (1/F/G with a factor); E = (adc - P) * g
 * in float32; with a factor round half to even.
 */
export function expectedValue(c: Calibration, pixel: number, word: number, factor: number | null, highgain = false): number {
  const b = word >>> 14;
  const adc = word & 0x3fff;
  const s = [0, 1, 2, 2][b]!;
  const gp = highgain ? (c.gain.length === 4 ? 3 : [3, 4, 5][s]!) : s;
  const pp = highgain ? (c.pedestal.length === 4 ? 3 : s) : s;
  const G = c.gain[gp]![pixel]!;
  const P = c.pedestal[pp]![pixel]!;
  const g = factor === null ? Math.fround(1 / G) : Math.fround(Math.fround(1 / factor) / G);
  const E = Math.fround(Math.fround(adc - P) * g);
  return factor === null ? E : pyRound(E);
}

export function resolved(detector: string, modules: number, options: DetectorOptionsInput) {
  return resolveDetectorOptions(detector, modules, options);
}
