/**
 * Reading and writing calibration images module by module, so a 32-module
 * file (6 x 16384 x 1024 float64 = 805 MB) never sits in memory twice.
 */
import { existsSync } from 'node:fs';
import type { Dataset, File } from 'h5wasm/node';
import { CalibrationInvalid } from '../../core/jungfrau/calibration';
import { MODULE_COLS, MODULE_PIXELS, MODULE_ROWS } from '../../core/jungfrau/constants';
import { loadH5, withH5Errors, type H5Module } from '../hdf5/h5';
import { HeapScratch, writeRaw } from '../hdf5/h5-write';

/** HDF5 type classes (H5Tpublic.h) as h5wasm's metadata gives them. */
export const H5T_INTEGER = 0;
export const H5T_FLOAT = 1;
export const H5T_ENUM = 8;

/** Open `path` read-only, run `fn`, close; a missing or unreadable file is CalibrationInvalid. */
export async function withFile<T>(path: string, what: string, fn: (file: File) => T): Promise<T> {
  if (!existsSync(path)) throw new CalibrationInvalid(`${what} ${path} does not exist`);
  const { lib, module } = await loadH5();
  let file: File;
  try {
    file = withH5Errors(module, () => new lib.File(path, 'r'));
  } catch (error) {
    throw new CalibrationInvalid(`${what} ${path} is not a readable HDF5 file (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  try {
    return fn(file);
  } finally {
    file.close();
  }
}

/** The dataset at `name`, or CalibrationInvalid naming the file. */
export function datasetOf(file: File, name: string, what: string): Dataset {
  const ds = file.get(name);
  if (!ds || !('shape' in ds) || !('slice' in ds)) throw new CalibrationInvalid(`${what} ${file.filename} has no dataset ${name}`);
  return ds as Dataset;
}

/** 'float32' | 'float64' of a float dataset, else undefined. */
export function floatKind(ds: Dataset): 'float32' | 'float64' | undefined {
  const m = ds.metadata;
  if (m.type !== H5T_FLOAT) return undefined;
  return m.size === 4 ? 'float32' : m.size === 8 ? 'float64' : undefined;
}

/** A readable name of a dataset's element type, for refusals. */
export function describeType(ds: Dataset): string {
  const m = ds.metadata;
  const base = m.type === H5T_INTEGER ? `${m.signed ? 'int' : 'uint'}${m.size * 8}` : m.type === H5T_FLOAT ? `float${m.size * 8}` : m.type === H5T_ENUM ? `enum of ${m.size} byte(s)` : `HDF5 type class ${m.type}`;
  return base;
}

/** Plane `p` of a (planes, rows, 1024) dataset as float32 (values cast as numpy's astype(float32)). */
export function readPlane(ds: Dataset, p: number): Float32Array {
  const values = ds.slice([[p, p + 1]]) as Float32Array | Float64Array;
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

/** A writer of chunked datasets, one module slab per write. */
export class PlaneWriter {
  private readonly scratch: HeapScratch;

  private constructor(private readonly module: H5Module, readonly file: File) {
    this.scratch = new HeapScratch(module);
  }

  /** Create (truncate) `path`. */
  static async create(path: string): Promise<PlaneWriter> {
    const { lib, module } = await loadH5();
    const file = withH5Errors(module, () => new lib.File(path, 'w'));
    return new PlaneWriter(module, file);
  }

  /**
   * A (planes, modules*512, 1024) dataset (planes = 0: a 2-D (modules*512, 1024) one),
   * chunked per module, filled by `values(plane, module)` (512*1024 values each).
   */
  writeImages(name: string, dtype: '<d' | '<f' | '<q', planes: number, modules: number, values: (plane: number, module: number) => ArrayLike<number>): void {
    const rows = modules * MODULE_ROWS;
    const planar = planes > 0;
    // Created empty (h5wasm wants data with a new dataset), chunked per module, then extended.
    const ds = withH5Errors(this.module, () =>
      planar
        ? this.file.create_dataset({ name, data: [] as number[], dtype, shape: [0, rows, MODULE_COLS], maxshape: [planes, rows, MODULE_COLS], chunks: [1, MODULE_ROWS, MODULE_COLS] })
        : this.file.create_dataset({ name, data: [] as number[], dtype, shape: [0, MODULE_COLS], maxshape: [rows, MODULE_COLS], chunks: [MODULE_ROWS, MODULE_COLS] }),
    );
    withH5Errors(this.module, () => ds.resize(planar ? [planes, rows, MODULE_COLS] : [rows, MODULE_COLS]));
    const bytes = dtype === '<f' ? 4 : 8;
    const slab = new Uint8Array(MODULE_PIXELS * bytes);
    for (let p = 0; p < Math.max(1, planes); p++) {
      for (let m = 0; m < modules; m++) {
        encode(values(p, m), dtype, slab);
        const offset = planar ? [p, m * MODULE_ROWS, 0] : [m * MODULE_ROWS, 0];
        const count = planar ? [1, MODULE_ROWS, MODULE_COLS] : [MODULE_ROWS, MODULE_COLS];
        writeRaw(this.module, this.scratch, ds, offset, count, slab);
      }
    }
  }

  close(): void {
    this.scratch.free();
    this.file.close();
  }
}

function encode(values: ArrayLike<number>, dtype: '<d' | '<f' | '<q', slab: Uint8Array): void {
  if (values.length !== MODULE_PIXELS) throw new RangeError(`a module slab has ${MODULE_PIXELS} values, got ${values.length}`);
  if (dtype === '<d') new Float64Array(slab.buffer, 0, MODULE_PIXELS).set(values);
  else if (dtype === '<f') new Float32Array(slab.buffer, 0, MODULE_PIXELS).set(values);
  else {
    // int64 little-endian from non-negative values below 2^32: low word, then 0.
    const words = new Uint32Array(slab.buffer, 0, 2 * MODULE_PIXELS);
    for (let i = 0; i < MODULE_PIXELS; i++) {
      words[2 * i] = values[i]! >>> 0;
      words[2 * i + 1] = 0;
    }
  }
}
