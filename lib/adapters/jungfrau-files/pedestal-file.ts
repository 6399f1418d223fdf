/**
 * The pedestal file (jungfrau.md §3, §6):
 *
 *   /gains       (3 | 4, modules*512, 1024) float, ADU: [G0, G1, G2(, HG0)]
 *   /gainsRMS    same shape (written, not read: the conversion does not use it)
 *   /pixel_mask  (modules*512, 1024) int64 (any bit set = bad) or bool (True = bad);
 *                any other type is refused
 *
 * Written as the facility's pedestal run writes it: 3 planes float64, int64 mask.
 */
import type { Dataset } from 'h5wasm/node';
import { CalibrationInvalid, imageProblem, planesProblem, type Calibration } from '../../core/jungfrau/calibration';
import type { PedestalResult } from '../../core/jungfrau/pedestal';
import { moduleSlab, readGainFile } from './gain-file';
import { datasetOf, describeType, floatKind, H5T_ENUM, H5T_INTEGER, PlaneWriter, readPlane, withFile } from './h5-planes';

export interface PedestalFile {
  /** 3 or 4 planes of modules*512*1024 float32. */
  pedestal: Float32Array[];
  /** Mask bits per pixel (bool True = 1). */
  pixelMask: Uint32Array;
  pixelMaskDtype: 'int64' | 'bool';
  modules: number;
}

/**
 * @example const { pedestal, pixelMask } = await readPedestalFile('/sf/jungfrau/data/pedestal/JF06T08V04/20250601_120000.h5', { modules: 8 });
 */
export async function readPedestalFile(path: string, expect: { modules?: number } = {}): Promise<PedestalFile> {
  return withFile(path, 'pedestal file', (file) => {
    const ds = datasetOf(file, 'gains', 'pedestal file');
    const problem = planesProblem('pedestal', ds.shape ?? [], expect.modules);
    if (problem) throw new CalibrationInvalid(`pedestal file ${path}: ${problem}`);
    if (!floatKind(ds)) throw new CalibrationInvalid(`pedestal file ${path}: /gains is ${describeType(ds)}, expected float32 or float64`);
    const [planes, rows] = ds.shape as [number, number, number];
    const modules = rows / 512;
    const maskDs = datasetOf(file, 'pixel_mask', 'pedestal file');
    const maskProblem = imageProblem('/pixel_mask', maskDs.shape ?? [], modules);
    if (maskProblem) throw new CalibrationInvalid(`pedestal file ${path}: ${maskProblem}`);
    const { pixelMask, dtype } = readMask(maskDs, path);
    return { pedestal: [...Array(planes).keys()].map((p) => readPlane(ds, p)), pixelMask, pixelMaskDtype: dtype, modules };
  });
}

/** int64 (bits kept, a bit above 31 folded into bit 31) or bool (True = 1); anything else refused. */
function readMask(ds: Dataset, path: string): { pixelMask: Uint32Array; dtype: 'int64' | 'bool' } {
  const m = ds.metadata;
  if (m.type === H5T_INTEGER && m.size === 8 && m.signed) {
    const values = ds.value as BigInt64Array;
    const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
    const out = new Uint32Array(values.length);
    for (let i = 0; i < out.length; i++) out[i] = (words[2 * i]! | (words[2 * i + 1] ? 0x80000000 : 0)) >>> 0;
    return { pixelMask: out, dtype: 'int64' };
  }
  const members = m.enum_type?.members;
  if (m.type === H5T_ENUM && m.size === 1 && members && members.FALSE === 0 && members.TRUE === 1 && Object.keys(members).length === 2) {
    const values = ds.value as Int8Array;
    return { pixelMask: Uint32Array.from(values, (v) => (v ? 1 : 0)), dtype: 'bool' };
  }
  throw new CalibrationInvalid(`pedestal file ${path}: /pixel_mask is ${describeType(ds)}, expected int64 or bool (other types are refused, as jungfrau_utils does)`);
}

/**
 * Write the pedestal run's result (`gains`, `gainsRMS` float64, `pixel_mask` int64).
 * @example await writePedestalFile('/sf/jungfrau/data/pedestal/JF06T08V04/20250601_120000.h5', accumulator.finish());
 */
export async function writePedestalFile(path: string, result: Pick<PedestalResult, 'modules' | 'pedestal' | 'rms' | 'pixelMask'>): Promise<void> {
  const w = await PlaneWriter.create(path);
  try {
    w.writeImages('gains', '<d', result.pedestal.length, result.modules, (p, m) => moduleSlab(result.pedestal[p]!, m));
    w.writeImages('gainsRMS', '<d', result.rms.length, result.modules, (p, m) => moduleSlab(result.rms[p]!, m));
    w.writeImages('pixel_mask', '<q', 0, result.modules, (_, m) => moduleSlab(result.pixelMask, m));
  } finally {
    w.close();
  }
}

/**
 * The conversion constants of a detector from its two files.
 * @example const calibration = await readCalibration(gainPath, pedestalPath, 8);
 */
export async function readCalibration(gainPath: string, pedestalPath: string, modules: number): Promise<Calibration> {
  const { gain } = await readGainFile(gainPath, { modules });
  const { pedestal, pixelMask } = await readPedestalFile(pedestalPath, { modules });
  return { modules, gain, pedestal, pixelMask };
}
