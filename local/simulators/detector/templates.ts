/**
 * Precomputed per-module words and noise, so generating a frame is one add
 * per pixel (dense benchmarks write GBs).
 *
 * - stageTemplate: a module's pedestal words in one stage (gain bits 00, 01
 *   or 11 and the pedestal ADC), 1 MiB per (detector, module, stage), built
 *   on first use and kept.
 * - noiseTable: per stage, noise values (two's complement in uint16, so
 *   template + noise wraps into the ADC) of RMS NOISE_RMS, one module plus
 *   NOISE_ROTATIONS long; a frame reads it from an offset of its own.
 */
import { MODULE_PIXELS } from '../../../lib/core/jungfrau/constants';
import { NOISE_RMS, fillPedestalPlane } from './calibration';

/** Distinct noise offsets (a prime). */
export const NOISE_ROTATIONS = 7919;
const GAIN_BITS = [0, 1, 3] as const;

const templates = new Map<string, Uint16Array>();
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

/** @example noiseTable(0).length // 524288 + 7919 */
export function noiseTable(stage: number): Uint16Array {
  let n = noises[stage];
  if (!n) {
    n = new Uint16Array(MODULE_PIXELS + NOISE_ROTATIONS);
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
