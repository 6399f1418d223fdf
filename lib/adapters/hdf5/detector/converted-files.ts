/**
 * The converted Jungfrau file (lib/core/jungfrau/file-layout.ts, the layout
 * jungfrau_utils' File.export writes) made by many workers, with the HDF5
 * engine: each worker writes a **part** (the whole layout for its kept frames,
 * images one frame per chunk written directly, compressed by the pool when
 * asked), and the run's file is assembled from the parts: meta/ copied from
 * part 0 (every part computes the same), the per-frame rows concatenated,
 * each image dataset a virtual dataset over the parts' (`assembleConvertedFile`).
 * With one part, the part is the file.
 *
 * Bools are uint8 0/1 as the layout says.
 */
import { CONVERTED_COMPRESSION, type LayoutDataset, type LayoutDType } from '../../../core/jungfrau/file-layout';
import { H5Engine, type Dtype, type H5File } from '../engine';
import type { PartRef } from './raw-files';

/** The kept frames' rows of a converted file. */
export interface ConvertedRows {
  pulseId: BigUint64Array;
  daqRec: Uint32Array;
  isGoodFrame: Uint8Array;
}

const ENGINE_DTYPE: Record<Exclude<LayoutDType, 'string'>, Dtype> = {
  uint8: 'uint8', uint16: 'uint16', uint32: 'uint32', uint64: 'uint64', int32: 'int32', int64: 'int64', float32: 'float32', float64: 'float64',
};

const bshufBlock = (d: LayoutDataset) => (d.compression ? d.compression.options[0] : 0);

/**
 * @example
 *   const w = await ConvertedPartWriter.create(tmp, convertedFileLayout(resolved, converter, 0), 'JF06T08V04');
 *   w.appendFrames(0, [chunk0, chunk1]);        // image 0, two frames
 *   w.close({ pulseId, daqRec, isGoodFrame });  // the kept frames' rows
 */
export class ConvertedPartWriter {
  private readonly frames = new Map<number, { path: string; rows: number; shape: [number, number] }>();
  private closed = false;

  private constructor(private readonly file: H5File, private readonly layout: readonly LayoutDataset[]) {
    for (const d of layout) {
      if (d.content.kind === 'image') this.frames.set(d.content.image, { path: d.path, rows: 0, shape: [d.shape[1]!, d.shape[2]!] });
    }
  }

  /** Create the part: meta values and the detector name now, images empty (growing as frames come). */
  static async create(path: string, layout: readonly LayoutDataset[], detectorName: string): Promise<ConvertedPartWriter> {
    const engine = await H5Engine.load();
    const file = engine.create(path);
    try {
      for (const d of layout) {
        if (d.content.kind === 'copy') file.createStringDataset(d.path, detectorName, { ascii: true });
        else if (d.content.kind === 'value') writeValue(file, d, d.content.value);
        else if (d.content.kind === 'image') {
          const [, h, w] = d.shape as [number, number, number];
          file.createDataset(d.path, {
            dtype: ENGINE_DTYPE[d.dtype as Exclude<LayoutDType, 'string'>],
            shape: [0, h, w],
            maxshape: [null, h, w],
            chunks: [1, h, w],
            ...(d.compression ? { filters: { bitshuffleLz4: { blockSize: bshufBlock(d) } } } : {}),
          }).close();
        }
      }
      return new ConvertedPartWriter(file, layout);
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** Append frames of image `image` (one chunk each: the frame's bytes, compressed when the dataset is). */
  appendFrames(image: number, chunks: readonly Uint8Array[]): void {
    if (this.closed) throw new Error('part file already closed');
    const target = this.frames.get(image);
    if (!target) throw new RangeError(`no image ${image} in this layout`);
    if (chunks.length === 0) return;
    const ds = this.file.dataset(target.path);
    try {
      ds.resize([target.rows + chunks.length, ...target.shape]);
      chunks.forEach((chunk, i) => ds.writeChunk([target.rows + i, 0, 0], chunk));
      target.rows += chunks.length;
    } finally {
      ds.close();
    }
  }

  /** Frames written so far of image `image`. */
  rows(image: number): number {
    return this.frames.get(image)?.rows ?? 0;
  }

  /** Write the kept frames' rows (as many as every image's frames) and close. */
  close(rows: ConvertedRows): void {
    if (this.closed) return;
    this.closed = true;
    try {
      for (const [image, target] of this.frames) {
        if (target.rows !== rows.pulseId.length) throw new RangeError(`image ${image} has ${target.rows} frames, the rows say ${rows.pulseId.length}`);
      }
      writeFrameRows(this.file, this.layout, rows);
    } finally {
      this.file.close();
    }
  }

  /** Close without finishing (the part is being abandoned). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.file.close();
  }
}

function writeFrameRows(file: H5File, layout: readonly LayoutDataset[], rows: ConvertedRows): void {
  const n = rows.pulseId.length;
  for (const d of layout) {
    if (d.content.kind !== 'frames') continue;
    const values = d.content.from === 'pulse_id' ? rows.pulseId : d.content.from === 'daq_rec' ? rows.daqRec : rows.isGoodFrame;
    const ds = file.createDataset(d.path, { dtype: ENGINE_DTYPE[d.dtype as Exclude<LayoutDType, 'string'>], shape: [n, 1], layout: 'contiguous' });
    if (n > 0) ds.writeSlab([0, 0], [n, 1], values);
    ds.close();
  }
}

function writeValue(file: H5File, d: LayoutDataset, value: number | string | ArrayLike<number>): void {
  if (d.dtype === 'string') {
    file.createStringDataset(d.path, String(value));
    return;
  }
  const dtype = ENGINE_DTYPE[d.dtype];
  const values = typeof value === 'number' ? [value] : typeof value === 'string' ? [Number(value)] : value;
  const ds = file.createDataset(d.path, { dtype, shape: d.shape, layout: d.shape.length === 0 ? 'compact' : 'contiguous' });
  try {
    ds.writeSlab(d.shape.map(() => 0), d.shape, typed(dtype, values));
  } finally {
    ds.close();
  }
}

/** Values as the typed array of `dtype`; int64 built word by word from values below 2^32 (no BigInt per pixel). */
function typed(dtype: Dtype, values: ArrayLike<number>): ArrayBufferView {
  switch (dtype) {
    case 'uint8': return Uint8Array.from(values);
    case 'uint16': return Uint16Array.from(values);
    case 'uint32': return Uint32Array.from(values);
    case 'int32': return Int32Array.from(values);
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'uint64': return BigUint64Array.from(Array.from(values, (v) => BigInt(v)));
    case 'int64': {
      const out = new BigInt64Array(values.length);
      const words = new Int32Array(out.buffer);
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (v >= 0 && v < 2 ** 32) {
          words[2 * i] = v | 0;
          words[2 * i + 1] = 0;
        } else out[i] = BigInt(v);
      }
      return out;
    }
    default: throw new TypeError(`no values of ${dtype} in a converted file`);
  }
}

/** Rows of a 2-D (or more) dataset copied per block, so a 16M pixel mask never sits whole in wasm memory. */
const COPY_BLOCK_BYTES = 16 << 20;

/**
 * The run's converted file over its parts (at least one frame in all).
 *
 * @example await assembleConvertedFile(tmp, layout, 'JF06T08V04', parts);
 */
export async function assembleConvertedFile(path: string, layout: readonly LayoutDataset[], detectorName: string, parts: readonly PartRef[]): Promise<void> {
  const engine = await H5Engine.load();
  const total = parts.reduce((s, p) => s + p.frames, 0);
  const rows: ConvertedRows = { pulseId: new BigUint64Array(total), daqRec: new Uint32Array(total), isGoodFrame: new Uint8Array(total) };
  const firstGroup = layout.find((d) => d.content.kind === 'frames')?.path.replace(/\/[^/]+$/, '');
  let at = 0;
  for (const part of parts) {
    if (part.frames === 0) continue;
    const f = engine.open(part.path, 'r');
    try {
      for (const [name, target] of [['pulse_id', rows.pulseId], ['daq_rec', rows.daqRec], ['is_good_frame', rows.isGoodFrame]] as const) {
        const ds = f.dataset(`${firstGroup}/${name}`);
        const got = ds.shape[0];
        if (got !== part.frames) throw new Error(`${part.path}: ${firstGroup}/${name} has ${got} rows, expected ${part.frames}`);
        (target as unknown as { set(v: ArrayLike<unknown>, at: number): void }).set(ds.readSlab([0, 0], [part.frames, 1]) as ArrayLike<unknown>, at);
        ds.close();
      }
    } finally {
      f.close();
    }
    at += part.frames;
  }
  const source = engine.open(parts[0]!.path, 'r');
  const file = engine.create(path);
  try {
    for (const d of layout) {
      if (d.content.kind === 'copy') file.createStringDataset(d.path, detectorName, { ascii: true });
      else if (d.content.kind === 'value') copyDataset(source, file, d);
    }
    writeFrameRows(file, layout, rows);
    for (const d of layout) {
      if (d.content.kind !== 'image') continue;
      const [, h, w] = d.shape as [number, number, number];
      let row = 0;
      const mappings = parts.filter((p) => p.frames > 0).map((p) => {
        const m = {
          sourceFile: p.relative,
          sourceDataset: d.path,
          sourceShape: [p.frames, h, w],
          sourceSelection: { start: [0, 0, 0], count: [p.frames, h, w] },
          destSelection: { start: [row, 0, 0], count: [p.frames, h, w] },
        };
        row += p.frames;
        return m;
      });
      file.createVirtualDataset(d.path, { dtype: ENGINE_DTYPE[d.dtype as Exclude<LayoutDType, 'string'>], shape: [total, h, w], mappings }).close();
    }
  } finally {
    file.close();
    source.close();
  }
}

function copyDataset(from: H5File, to: H5File, d: LayoutDataset): void {
  const src = from.dataset(d.path);
  try {
    if (d.dtype === 'string') {
      to.createStringDataset(d.path, src.readStrings([], [])[0] ?? '');
      return;
    }
    const shape = src.shape;
    const dst = to.createDataset(d.path, { dtype: src.dtype, shape, layout: shape.length === 0 ? 'compact' : 'contiguous' });
    try {
      if (shape.length === 0) {
        dst.writeSlab([], [], src.readSlab([], []));
        return;
      }
      const rowBytes = shape.slice(1).reduce((a, b) => a * b, 1) * Math.max(1, elementBytes(d.dtype));
      const block = Math.max(1, Math.floor(COPY_BLOCK_BYTES / Math.max(1, rowBytes)));
      for (let r = 0; r < shape[0]!; r += block) {
        const count = [Math.min(block, shape[0]! - r), ...shape.slice(1)];
        const start = [r, ...shape.slice(1).map(() => 0)];
        dst.writeSlab(start, count, src.readSlab(start, count));
      }
    } finally {
      dst.close();
    }
  } finally {
    src.close();
  }
}

const elementBytes = (dtype: LayoutDType): number => ({ uint8: 1, uint16: 2, uint32: 4, uint64: 8, int32: 4, int64: 8, float32: 4, float64: 8, string: 0 })[dtype];

export { CONVERTED_COMPRESSION };
