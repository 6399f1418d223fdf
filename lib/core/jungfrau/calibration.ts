/**
 * Gain and pedestal constants as the conversion uses them (jungfrau.md §3):
 * planes cast to float32, one plane per gain stage, each `modules*512 x 1024`.
 *
 *   gain     4 planes [G0, G1, G2, HG0] or 6 [G0, G1, G2, HG0, HG1, HG2], ADU per keV
 *   pedestal 3 planes [G0, G1, G2] or 4 [G0, G1, G2, HG0], ADU
 *   pixelMask per pixel the mask bits (0 = good); a bool mask's True is 1
 */
import { MODULE_COLS, MODULE_PIXELS } from './constants';

export interface Calibration {
  modules: number;
  gain: readonly Float32Array[];
  pedestal: readonly Float32Array[];
  /** Bits 0..31 of the file's int64 mask (a higher bit set also sets bit 31). */
  pixelMask: Uint32Array;
}

/** A gain or pedestal file that cannot be used, and why (names the file and the fix). */
export class CalibrationInvalid extends Error {
  override readonly name = 'CalibrationInvalid';
}

export const GAIN_PLANES = [4, 6] as const;
export const PEDESTAL_PLANES = [3, 4] as const;

/**
 * Why a `/gains` dataset of shape `shape` cannot be the gain (or pedestal) planes, or undefined.
 * @example planesProblem('gain', [6, 1536, 1024], 3) // undefined
 * @example planesProblem('pedestal', [2, 512, 1024], 1) // 'pedestal /gains has 2 planes, expected 3 or 4'
 */
export function planesProblem(kind: 'gain' | 'pedestal', shape: readonly number[], modules?: number): string | undefined {
  const allowed: readonly number[] = kind === 'gain' ? GAIN_PLANES : PEDESTAL_PLANES;
  if (shape.length !== 3) return `${kind} /gains has ${shape.length} dimensions, expected 3 (planes, rows, 1024)`;
  const [planes, rows, cols] = shape as [number, number, number];
  if (!allowed.includes(planes)) return `${kind} /gains has ${planes} planes, expected ${allowed.join(' or ')}`;
  return imageProblem(`${kind} /gains`, [rows, cols], modules);
}

/**
 * Why a (rows, cols) image is not a detector's raw image, or undefined.
 * @example imageProblem('pixel_mask', [512, 1024], 2) // 'pixel_mask is 512 x 1024, expected 1024 x 1024 (2 modules)'
 */
export function imageProblem(what: string, shape: readonly number[], modules?: number): string | undefined {
  if (shape.length !== 2) return `${what} has ${shape.length} dimensions, expected 2 (rows, 1024)`;
  const [rows, cols] = shape as [number, number];
  if (cols !== MODULE_COLS || rows % 512 !== 0 || rows === 0) return `${what} is ${rows} x ${cols}, expected a multiple of 512 rows x 1024`;
  if (modules !== undefined && rows !== modules * 512) return `${what} is ${rows} x ${cols}, expected ${modules * 512} x 1024 (${modules} modules)`;
  return undefined;
}

/**
 * Plane indices a conversion reads for gain bits 00, 01, 11 (10 converts as 11), §4:
 * normal [0,1,2]; high gain: gain plane 3 for all with 4 planes, [3,4,5] with 6;
 * pedestal plane 3 for all with 4 planes, else [0,1,2].
 * @example stagePlanes(6, 3, true) // { gain: [3, 4, 5], pedestal: [0, 1, 2] }
 */
export function stagePlanes(gainPlanes: number, pedestalPlanes: number, highgain: boolean): { gain: number[]; pedestal: number[] } {
  if (!highgain) return { gain: [0, 1, 2], pedestal: [0, 1, 2] };
  return {
    gain: gainPlanes === 4 ? [3, 3, 3] : [3, 4, 5],
    pedestal: pedestalPlanes === 4 ? [3, 3, 3] : [0, 1, 2],
  };
}

/** Check a calibration's planes fit `modules`; throws CalibrationInvalid. */
export function checkCalibration(c: Calibration, modules: number): void {
  const pixels = modules * MODULE_PIXELS;
  if (c.modules !== modules) throw new CalibrationInvalid(`the calibration is for ${c.modules} modules, the detector has ${modules}`);
  if (!(GAIN_PLANES as readonly number[]).includes(c.gain.length)) throw new CalibrationInvalid(`${c.gain.length} gain planes, expected 4 or 6`);
  if (!(PEDESTAL_PLANES as readonly number[]).includes(c.pedestal.length)) throw new CalibrationInvalid(`${c.pedestal.length} pedestal planes, expected 3 or 4`);
  for (const p of [...c.gain, ...c.pedestal, c.pixelMask]) {
    if (p.length !== pixels) throw new CalibrationInvalid(`a calibration plane has ${p.length} pixels, expected ${pixels}`);
  }
}
