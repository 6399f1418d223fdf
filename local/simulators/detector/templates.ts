/**
 * Precomputed per-module words, so generating a frame costs 512 row copies
 * and a few hundred hits, not a computation per pixel (dense benchmarks
 * write GBs).
 *
 * - stageTemplate: a module's pedestal words in one stage (gain bits 00, 01
 *   or 11 and the pedestal ADC), 1 MiB per (detector, module, stage).
 * - noiseTable: per stage, noise values (two's complement in uint16, so
 *   template + noise wraps into the ADC) of RMS NOISE_RMS.
 * - stageVariants: VARIANTS versions of a module in a stage, version k =
 *   template + noise read from offset k * VARIANT_STRIDE (a live pixel that
 *   would be the same in every version gets +1 in version 0 and -1 in
 *   version 1, else a pedestal run would find its RMS 0), dead pixels without
 *   noise, stuck pixels (outside stage 0) with their G0 word. A frame takes
 *   each of its rows from a version chosen per (pulse, module, row), so every
 *   pixel sees VARIANTS noise values. 8 MiB per (detector, module, stage),
 *   built on first use and kept: 32 MiB for a 4-module detector written dense.
 */
import { MODULE_PIXELS } from '../../../lib/core/jungfrau/constants';
import { NOISE_RMS, fillPedestalPlane, moduleDefects } from './calibration';

export const VARIANTS = 8;
/** Offset in the noise table between two versions (a prime). */
export const VARIANT_STRIDE = 977;
const GAIN_BITS = [0, 1, 3] as const;

const templates = new Map<string, Uint16Array>();
const variants = new Map<string, Uint16Array[]>();
const noises: Uint16Array[] = [];

/** @example stageTemplate(1, 0, 1)[0] >> 14 // 1 */
export function stageTemplate(detectorNumber: number, module: number, stage: number): Uint16Array {
  const key = `${detectorNumber}:${module}:${stage}`;
  let t = templates.get(key);
  if (!t) {
    t = new Uint16Array(MODULE_PIXELS);
    fillPedestalPlane(detectorNumber, module, stage, t);
    const bits = GAIN_BITS[stage as 0 | 1 | 2] << 14;
    for (let i = 0; i < t.length; i++) t[i] = bits | t[i]!;
    templates.set(key, t);
  }
  return t;
}

/**
 * Word of pixel `i` in version `k` of a module in a stage (what stageVariants holds).
 * @example variantWord(3, 0, 0, 2, 5000)
 */
export function variantWord(detectorNumber: number, module: number, stage: number, k: number, i: number): number {
  const { dead, stuck } = moduleDefects(detectorNumber, module);
  if (dead.includes(i)) return stageTemplate(detectorNumber, module, stage)[i]!;
  const s = stage !== 0 && stuck.includes(i) ? 0 : stage;
  const word = (j: number) => (stageTemplate(detectorNumber, module, s)[i]! + noiseTable(s)[j * VARIANT_STRIDE + i]!) & 0xffff;
  const w = word(k);
  let constant = true;
  for (let j = 0; j < VARIANTS && constant; j++) constant = word(j) === w;
  return constant && k < 2 ? (w + (k === 0 ? 1 : -1)) & 0xffff : w;
}

/** The VARIANTS versions of a module in a stage (see the file comment). */
export function stageVariants(detectorNumber: number, module: number, stage: number): Uint16Array[] {
  const key = `${detectorNumber}:${module}:${stage}`;
  let v = variants.get(key);
  if (!v) {
    const t = stageTemplate(detectorNumber, module, stage);
    const n = noiseTable(stage);
    const { dead, stuck } = moduleDefects(detectorNumber, module);
    v = [];
    for (let k = 0; k < VARIANTS; k++) {
      const a = new Uint16Array(MODULE_PIXELS);
      const off = k * VARIANT_STRIDE;
      for (let i = 0; i < MODULE_PIXELS; i++) a[i] = t[i]! + n[off + i]!;
      if (stage !== 0) {
        const t0 = stageTemplate(detectorNumber, module, 0);
        const n0 = noiseTable(0);
        for (const i of stuck) a[i] = t0[i]! + n0[off + i]!;
      }
      v.push(a);
    }
    for (let i = 0; i < MODULE_PIXELS; i++) {
      let k = 1;
      while (k < VARIANTS && v[k]![i] === v[0]![i]) k++;
      if (k === VARIANTS) {
        v[0]![i] = v[0]![i]! + 1;
        v[1]![i] = v[1]![i]! - 1;
      }
    }
    for (const a of v) for (const i of dead) a[i] = t[i]!;
    variants.set(key, v);
  }
  return v;
}

/** @example noiseTable(0).length // 524288 + 8 * 977 */
export function noiseTable(stage: number): Uint16Array {
  let n = noises[stage];
  if (!n) {
    n = new Uint16Array(MODULE_PIXELS + VARIANTS * VARIANT_STRIDE);
    let seed = 0x2f6b1d3 + stage;
    const next = () => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    // Sum of 4 uniforms: variance 1/3, scaled to the stage's RMS.
    const scale = NOISE_RMS[stage as 0 | 1 | 2] * Math.sqrt(3);
    for (let i = 0; i < n.length; i++) n[i] = Math.round((next() + next() + next() + next() - 2) * scale) & 0xffff;
    noises[stage] = n;
  }
  return n;
}
