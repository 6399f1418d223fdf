/**
 * Reading the broker's own HDF5 files back for the monitor (h5wasm, as
 * lib/retrieval/check-files.ts does): pulse ids, a channel's values row by
 * row (in blocks, so a long waveform channel never sits whole in memory),
 * one image of a camera or detector. Paths below are those of the layouts in
 * README "Output files".
 */
import type { Dataset, File } from 'h5wasm/node';
import { RequestRefused } from '../core/errors';
import { expectedPulses } from '../core/check';
import type { ExpectedSpec, MissingPulses } from '../core/run-details';
import { loadH5, withH5Errors, type H5Lib } from '../adapters/hdf5/h5';
import { missingPulseRanges } from './presence';

/** HDF5 type classes (H5Tpublic.h). */
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
/** Rows read per block of a channel with several values per row. */
const BLOCK_VALUES = 4_000_000;
/** Largest image read: 64 Mpixel (a 32-module Jungfrau is 16). */
const MAX_FRAME_PIXELS = 64 * 1024 * 1024;

export interface OpenFile {
  lib: H5Lib;
  file: File;
}

/**
 * Open a file read-only, run `fn`, close it; HDF5 errors become one readable reason.
 * @example const ids = await withH5File(path, (h5) => readNumbers(h5, '/data/SAR:CH1/pulse_id'));
 */
export async function withH5File<T>(path: string, fn: (h5: OpenFile) => T): Promise<T> {
  const { lib, module } = await loadH5();
  let file: File;
  // A damaged file is no reason to retry: it is refused with what HDF5 said (the run's log tells more).
  try {
    file = withH5Errors(module, () => new lib.File(path, 'r'));
  } catch (error) {
    throw new RequestRefused('source', `the file cannot be opened: ${hdf5Reason(error)}`);
  }
  try {
    return withH5Errors(module, () => fn({ lib, file }));
  } catch (error) {
    if (error instanceof RequestRefused) throw error;
    throw new RequestRefused('source', `the file cannot be read: ${hdf5Reason(error)}`);
  } finally {
    file.close();
  }
}

/** The dataset at `path`, or undefined; parents are looked up first so HDF5 is never asked about a path below a missing group. */
export function datasetAt({ lib, file }: OpenFile, path: string): Dataset | undefined {
  const parts = path.split('/').filter((p) => p !== '');
  let at = '';
  for (const part of parts.slice(0, -1)) {
    at += `/${part}`;
    if (!(file.get(at) instanceof lib.Group)) return undefined;
  }
  const entity = file.get(path);
  return entity instanceof lib.Dataset ? entity : undefined;
}

/** A numeric dataset flattened to numbers (int64 pulse ids included), or undefined if absent. */
export function readNumbers(h5: OpenFile, path: string): Float64Array | undefined {
  const dataset = datasetAt(h5, path);
  if (!dataset) return undefined;
  checkNumeric(dataset, path);
  return toFloat64(dataset.value);
}

export interface RowValues {
  values: Float64Array;
  /** Values per row (1 for a scalar channel); a row of several is plotted as its mean. */
  perRow: number;
}

/** A channel's values, one per row (the mean of the row for waveforms and images). */
export function readRowValues(h5: OpenFile, path: string): RowValues | undefined {
  const dataset = datasetAt(h5, path);
  if (!dataset) return undefined;
  checkNumeric(dataset, path);
  const shape = dataset.shape ?? [];
  const rows = shape[0] ?? 0;
  const perRow = shape.slice(1).reduce((a, b) => a * b, 1);
  if (shape.length <= 1) return { values: toFloat64(dataset.value), perRow: 1 };
  const values = new Float64Array(rows);
  const block = Math.max(1, Math.floor(BLOCK_VALUES / Math.max(1, perRow)));
  for (let from = 0; from < rows; from += block) {
    const to = Math.min(rows, from + block);
    const flat = toFloat64(dataset.slice([[from, to]]));
    for (let r = 0; r < to - from; r++) {
      let sum = 0;
      for (let k = 0; k < perRow; k++) sum += flat[r * perRow + k]!;
      values[from + r] = sum / perRow;
    }
  }
  return { values, perRow };
}

export interface Frame {
  pixels: ArrayLike<number>;
  height: number;
  width: number;
  frames: number;
}

/** Image `index` of an (N, h, w) dataset. */
export function readFrame(h5: OpenFile, path: string, index: number): Frame | undefined {
  const dataset = datasetAt(h5, path);
  if (!dataset) return undefined;
  checkNumeric(dataset, path);
  const shape = dataset.shape ?? [];
  if (shape.length !== 3) throw new Error(`${path} is not a stack of images (shape ${JSON.stringify(shape)})`);
  const [frames, height, width] = shape as [number, number, number];
  if (index >= frames) throw new RequestRefused('frame', `frame ${index} does not exist: the file holds ${frames} image${frames === 1 ? '' : 's'} (0..${frames - 1})`);
  if (height * width > MAX_FRAME_PIXELS) throw new Error(`${path}: images of ${width}x${height} are too large for a quick look`);
  const pixels = dataset.slice([[index, index + 1], [], []]);
  if (!ArrayBuffer.isView(pixels)) throw new Error(`${path}: unexpected image data`);
  return { pixels: pixels as unknown as ArrayLike<number>, height, width, frames };
}

/** Where a channel's pulse ids are, per kind of file. */
export function pulseIdPath(kind: 'data' | 'image' | 'detector' | 'archiver', channel: string): string {
  return kind === 'image' ? `/${channel}/pulse_id` : `/data/${channel}/pulse_id`;
}

/** The missing pulses of some channels of one file (the run details' per-channel verdict). */
export async function missingPulsesIn(path: string, kind: 'data' | 'image' | 'detector', channels: string[], spec: ExpectedSpec): Promise<Record<string, MissingPulses>> {
  const expected = expectedPulses(spec.start, spec.stop, spec.rate, spec.selected);
  return withH5File(path, (h5) => {
    const out: Record<string, MissingPulses> = {};
    for (const channel of channels) {
      const ids = readNumbers(h5, pulseIdPath(kind, channel)) ?? new Float64Array(0);
      out[channel] = missingPulseRanges(ids, expected, spec.maxRanges);
    }
    return out;
  });
}

function checkNumeric(dataset: Dataset, path: string): void {
  const meta = dataset.metadata;
  if (meta.vlen || (meta.type !== H5T_INTEGER && meta.type !== H5T_FLOAT)) {
    throw new RequestRefused('channel', `${path.split('/').slice(-2, -1)[0] ?? path} holds ${meta.type === 3 ? 'strings' : 'values that are not numbers'}: there is nothing to plot`);
  }
}

function toFloat64(value: unknown): Float64Array {
  if (value === null || value === undefined) return new Float64Array(0);
  if (typeof value === 'number' || typeof value === 'bigint') return Float64Array.of(Number(value));
  if (value instanceof Float64Array) return value;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const typed = value as unknown as ArrayLike<number | bigint>;
    const out = new Float64Array(typed.length);
    for (let i = 0; i < typed.length; i++) out[i] = Number(typed[i]);
    return out;
  }
  if (Array.isArray(value)) return Float64Array.from(value.flat(Infinity) as Array<number | bigint | boolean>, (v) => Number(v));
  throw new Error('not a numeric dataset');
}

/** HDF5's error stack names the root cause last: `... in H5F__super_read(): file signature not found`. */
function hdf5Reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const causes = [...text.matchAll(/ in \w+\(\): (.+)$/gm)].map((m) => m[1]!);
  return causes.at(-1) ?? text.split('\n')[0]!;
}
