/**
 * The simulated detectors' own calibration: per module and pixel a pedestal
 * per gain stage, a gain per plane, and a few defective pixels, all from a
 * hash of (detector number, module, pixel), so frames, the published files
 * and the tests agree without storing anything.
 *
 *   pedestal (ADU, whole numbers)  G0 1000..3000 (a level per chip plus spread),
 *                                  G1 13000..13800, G2 13500..14300
 *   gain (ADU/keV)                 G0 ~40, G1 ~-1.5, G2 ~-0.11, HG0 ~120, HG1 = G1, HG2 = G2 (+-2.5 %)
 *   noise RMS (ADU)                G0 6, G1 3, G2 2 (NOISE_RMS)
 *   dead pixels (~2e-5)            a constant word: RMS 0 in every stage
 *   stuck pixels (~1e-4)           never leave G0, even when a pedestal run forces G1 or G2
 */
import { MODULE_COLS, MODULE_PIXELS } from '../../../lib/core/jungfrau/constants';

export const NOISE_RMS = [6, 3, 2] as const;
const PEDESTAL_BASE = [1000, 13000, 13500] as const;
const GAIN_MEAN = [40, -1.5, -0.11, 120, -1.5, -0.11] as const;
const DEAD_PER_2_32 = Math.round(2e-5 * 2 ** 32);
const STUCK_PER_2_32 = Math.round(1e-4 * 2 ** 32);

/** A cheap integer hash (murmur3 finalizer) of three integers. */
export function hash3(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x27d4eb2f, 0xc2b2ae35) ^ Math.imul(c ^ 0x165667b1, 0x27d4eb2f);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const unit = (h: number) => h / 4294967296;
const key = (detectorNumber: number, module: number) => detectorNumber * 100 + module;

/**
 * Pedestal ADC of a pixel in stage 0, 1 or 2 (whole numbers).
 * @example pedestalAdc(1, 0, 0, 0) // 1000..3000
 */
export function pedestalAdc(detectorNumber: number, module: number, stage: number, pixel: number): number {
  const k = key(detectorNumber, module);
  const chip = ((pixel / MODULE_COLS) >>> 8) * 4 + ((pixel % MODULE_COLS) >>> 8);
  const spread = unit(hash3(k, pixel, 11 + stage));
  if (stage === 0) return PEDESTAL_BASE[0] + Math.floor(1500 * unit(hash3(k, chip, 7)) + 500 * spread);
  return PEDESTAL_BASE[stage as 1 | 2] + Math.floor(800 * spread);
}

/**
 * Gain of a pixel in plane 0..5 ([G0, G1, G2, HG0, HG1, HG2]), ADU per keV, a float32 value.
 * @example gainValue(1, 0, 0, 0) // ~40
 */
export function gainValue(detectorNumber: number, module: number, plane: number, pixel: number): number {
  const p = plane === 4 ? 1 : plane === 5 ? 2 : plane;
  return Math.fround(GAIN_MEAN[plane as 0]! * (1 + 0.05 * (unit(hash3(key(detectorNumber, module), pixel, 31 + p)) - 0.5)));
}

export type PixelDefect = 'dead' | 'stuck' | undefined;

/** @example pixelDefect(1, 0, 12345) // undefined for almost every pixel */
export function pixelDefect(detectorNumber: number, module: number, pixel: number): PixelDefect {
  const h = hash3(key(detectorNumber, module), pixel, 97);
  if (h < DEAD_PER_2_32) return 'dead';
  if (h < DEAD_PER_2_32 + STUCK_PER_2_32) return 'stuck';
  return undefined;
}

export interface ModuleDefects {
  dead: Int32Array;
  stuck: Int32Array;
}

const defectCache = new Map<number, ModuleDefects>();

/** The defective pixels of a module (computed once). */
export function moduleDefects(detectorNumber: number, module: number): ModuleDefects {
  const k = key(detectorNumber, module);
  let d = defectCache.get(k);
  if (!d) {
    const dead: number[] = [];
    const stuck: number[] = [];
    for (let i = 0; i < MODULE_PIXELS; i++) {
      const kind = pixelDefect(detectorNumber, module, i);
      if (kind === 'dead') dead.push(i);
      else if (kind === 'stuck') stuck.push(i);
    }
    d = { dead: Int32Array.from(dead), stuck: Int32Array.from(stuck) };
    defectCache.set(k, d);
  }
  return d;
}

/** Fill a module's plane of pedestals (stage 0..2) into `out` (512*1024). */
export function fillPedestalPlane(detectorNumber: number, module: number, stage: number, out: Float64Array | Float32Array | Uint16Array): void {
  for (let i = 0; i < MODULE_PIXELS; i++) out[i] = pedestalAdc(detectorNumber, module, stage, i);
}

/** Fill a module's gain plane (0..5) into `out` (512*1024). */
export function fillGainPlane(detectorNumber: number, module: number, plane: number, out: Float64Array | Float32Array): void {
  for (let i = 0; i < MODULE_PIXELS; i++) out[i] = gainValue(detectorNumber, module, plane, i);
}
