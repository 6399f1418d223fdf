/**
 * The gain file (jungfrau.md §3): dataset `/gains`, (4 | 6, modules*512, 1024)
 * float, ADU per keV, planes [G0, G1, G2, HG0(, HG1, HG2)]. Read as float32
 * (as jungfrau_utils casts it); written float64 with 6 planes as the
 * facility's jungfrau_convert_gainmaps does (float32 on request).
 */
import { CalibrationInvalid, planesProblem } from '../../core/jungfrau/calibration';
import { MODULE_PIXELS } from '../../core/jungfrau/constants';
import { datasetOf, describeType, floatKind, PlaneWriter, readPlane, withFile } from './h5-planes';

export interface GainFile {
  /** 4 or 6 planes of modules*512*1024 float32. */
  gain: Float32Array[];
  modules: number;
  /** The stored element type. */
  dtype: 'float32' | 'float64';
}

/**
 * @example const { gain } = await readGainFile('/sf/jungfrau/config/gainMaps/JF06T08V04/gains.h5', { modules: 8 });
 */
export async function readGainFile(path: string, expect: { modules?: number } = {}): Promise<GainFile> {
  return withFile(path, 'gain file', (file) => {
    const ds = datasetOf(file, 'gains', 'gain file');
    const problem = planesProblem('gain', ds.shape ?? [], expect.modules);
    if (problem) throw new CalibrationInvalid(`gain file ${path}: ${problem}`);
    const dtype = floatKind(ds);
    if (!dtype) throw new CalibrationInvalid(`gain file ${path}: /gains is ${describeType(ds)}, expected float32 or float64`);
    const [planes, rows] = ds.shape as [number, number, number];
    return { gain: [...Array(planes).keys()].map((p) => readPlane(ds, p)), modules: rows / 512, dtype };
  });
}

export interface GainFileContent {
  modules: number;
  /** 4 or 6 */
  planes: number;
  /** The 512*1024 values of one plane of one module. */
  values: (plane: number, module: number) => ArrayLike<number>;
  /** Stored type (default float64). */
  dtype?: 'float64' | 'float32';
}

/**
 * Write a gain file, module slab by module slab (chunked per module plane).
 * @example await writeGainFile(path, { modules: 8, planes: 6, values: (p, m) => maps.gain(p, m) });
 */
export async function writeGainFile(path: string, content: GainFileContent): Promise<void> {
  if (content.planes !== 4 && content.planes !== 6) throw new RangeError(`a gain file has 4 or 6 planes, not ${content.planes}`);
  const w = await PlaneWriter.create(path);
  try {
    w.writeImages('gains', content.dtype === 'float32' ? '<f' : '<d', content.planes, content.modules, content.values);
  } finally {
    w.close();
  }
}

/** Values of one module of a full plane. @example moduleSlab(plane, 2) // plane.subarray(2 * 524288, 3 * 524288) */
export function moduleSlab<T extends Float32Array | Float64Array | Uint32Array>(plane: T, module: number): T {
  return plane.subarray(module * MODULE_PIXELS, (module + 1) * MODULE_PIXELS) as T;
}
