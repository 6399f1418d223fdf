/**
 * The gain and pedestal planes a worker converts with, read with the HDF5
 * engine it already has loaded, module by module (2-4 MiB a read), and only
 * the planes its gain mode uses: the files' rules are jungfrau.md §3 (as
 * lib/adapters/jungfrau-files reads them, refusals the same), but a 4M
 * detector's worker holds 3 gain planes instead of 6 and never loads h5wasm
 * beside the engine (together ~150 MB less at the conversion's peak, which
 * is when the planes and the converter's tables are both in memory).
 */
import { H5Engine, type H5Dataset } from '../../adapters/hdf5/engine';
import { CalibrationInvalid, imageProblem, planesProblem, stagePlanes, type Calibration } from '../../core/jungfrau/calibration';
import { MODULE_COLS, MODULE_PIXELS, MODULE_ROWS } from '../../core/jungfrau/constants';

/**
 * @example const calibration = await readConversionCalibration(gainFile, pedestalFile, 8, false);
 */
export async function readConversionCalibration(gainFile: string, pedestalFile: string, modules: number, highgain: boolean): Promise<Calibration> {
  const engine = await H5Engine.load();
  const open = (path: string, what: string) => {
    try {
      return engine.open(path, 'r');
    } catch (error) {
      throw new CalibrationInvalid(`${what} ${path} is not a readable HDF5 file (${(error as Error).message.slice(0, 200)})`);
    }
  };
  const gf = open(gainFile, 'gain file');
  const pf = open(pedestalFile, 'pedestal file');
  try {
    const gains = dataset(gf, 'gains', `gain file ${gainFile}`);
    const peds = dataset(pf, 'gains', `pedestal file ${pedestalFile}`);
    const gainProblem = planesProblem('gain', gains.shape, modules);
    if (gainProblem) throw new CalibrationInvalid(`gain file ${gainFile}: ${gainProblem}`);
    const pedProblem = planesProblem('pedestal', peds.shape, modules);
    if (pedProblem) throw new CalibrationInvalid(`pedestal file ${pedestalFile}: ${pedProblem}`);
    for (const [ds, what] of [[gains, `gain file ${gainFile}`], [peds, `pedestal file ${pedestalFile}`]] as const) {
      if (ds.dtype !== 'float32' && ds.dtype !== 'float64') throw new CalibrationInvalid(`${what}: /gains is ${ds.dtype}, expected float32 or float64`);
    }
    const use = stagePlanes(gains.shape[0]!, peds.shape[0]!, highgain);
    const gain = planes(gains, use.gain, modules);
    const pedestal = planes(peds, use.pedestal, modules);
    const mask = dataset(pf, 'pixel_mask', `pedestal file ${pedestalFile}`);
    const maskProblem = imageProblem('/pixel_mask', mask.shape, modules);
    if (maskProblem) throw new CalibrationInvalid(`pedestal file ${pedestalFile}: ${maskProblem}`);
    return { modules, gain, pedestal, pixelMask: maskOf(mask, modules, pedestalFile) };
  } finally {
    gf.close();
    pf.close();
  }
}

function dataset(file: { dataset(path: string): H5Dataset; exists(path: string): boolean }, name: string, what: string): H5Dataset {
  if (!file.exists(name)) throw new CalibrationInvalid(`${what} has no dataset /${name}`);
  try {
    return file.dataset(name);
  } catch (error) {
    throw new CalibrationInvalid(`${what}: /${name} cannot be read (${(error as Error).message.slice(0, 200)})`);
  }
}

/**
 * Every plane of the dataset as float32, the used ones read and the others
 * the first used one again (never read by the conversion; only their count matters).
 */
function planes(ds: H5Dataset, used: number[], modules: number): Float32Array[] {
  const read = new Map<number, Float32Array>();
  for (const p of new Set(used)) {
    const plane = new Float32Array(modules * MODULE_PIXELS);
    for (let m = 0; m < modules; m++) plane.set(ds.readSlab([p, m * MODULE_ROWS, 0], [1, MODULE_ROWS, MODULE_COLS]) as Float32Array | Float64Array, m * MODULE_PIXELS);
    read.set(p, plane);
  }
  const any = read.get(used[0]!)!;
  return Array.from({ length: ds.shape[0]! }, (_, p) => read.get(p) ?? any);
}

/** int64 (any bit set = bad; bits above 31 folded into bit 31) or bool (True = 1); other types refused, as jungfrau_utils does. */
function maskOf(ds: H5Dataset, modules: number, path: string): Uint32Array {
  if (ds.dtype !== 'int64' && ds.dtype !== 'bool') throw new CalibrationInvalid(`pedestal file ${path}: /pixel_mask is ${ds.dtype}, expected int64 or bool (other types are refused, as jungfrau_utils does)`);
  const out = new Uint32Array(modules * MODULE_PIXELS);
  for (let m = 0; m < modules; m++) {
    const values = ds.readSlab([m * MODULE_ROWS, 0], [MODULE_ROWS, MODULE_COLS]);
    const at = m * MODULE_PIXELS;
    if (values instanceof BigInt64Array) {
      const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
      for (let i = 0; i < values.length; i++) out[at + i] = (words[2 * i]! | (words[2 * i + 1] ? 0x80000000 : 0)) >>> 0;
    } else {
      for (let i = 0; i < values.length; i++) out[at + i] = values[i] ? 1 : 0;
    }
  }
  return out;
}
