/**
 * Writes a converted Jungfrau file from its layout (lib/core/jungfrau/file-layout.ts):
 * values known up front (meta/) at once, images block by block as the
 * converter produces them (one frame per chunk, bitshuffle+LZ4 with
 * compression), the per-frame datasets and the detector name at close.
 * HDF5 cannot store enums through h5wasm, so bools are uint8 0/1.
 */
import type { Dataset, File, Group } from 'h5wasm/node';
import type { ImageArray } from '../../core/jungfrau/converter';
import type { LayoutDataset, LayoutDType } from '../../core/jungfrau/file-layout';
import { loadH5, withH5Errors, type H5Module } from '../hdf5/h5';
import { HeapScratch, writeRaw } from '../hdf5/h5-write';

const H5_DTYPE: Record<Exclude<LayoutDType, 'string'>, string> = {
  uint8: '<B', uint16: '<H', uint32: '<I', uint64: '<Q', int32: '<i', int64: '<q', float32: '<f', float64: '<d',
};

/** The kept frames' rows of the raw file's per-frame datasets, and its detector name. */
export interface ConvertedFrames {
  detectorName: string;
  pulseId: BigUint64Array;
  daqRec: Uint32Array;
  isGoodFrame: Uint8Array;
}

export class ConvertedFileWriter {
  private readonly scratch: HeapScratch;
  private closed = false;

  private constructor(
    private readonly module: H5Module,
    private readonly file: File,
    private readonly layout: LayoutDataset[],
    private readonly images: Map<number, { ds: Dataset; shape: number[] }>,
  ) {
    this.scratch = new HeapScratch(module);
  }

  /**
   * Create (truncate) the file: groups, meta values, empty image datasets of their full size.
   * @example const w = await ConvertedFileWriter.create(tmp, convertedFileLayout(resolved, converter, kept.length));
   */
  static async create(path: string, layout: LayoutDataset[]): Promise<ConvertedFileWriter> {
    const { lib, module } = await loadH5();
    return withH5Errors(module, () => {
      const file = new lib.File(path, 'w');
      const images = new Map<number, { ds: Dataset; shape: number[] }>();
      for (const d of layout) {
        const { group, name } = parentOf(file, d.path);
        if (d.content.kind === 'value') writeValue(group, name, d, d.content.value);
        else if (d.content.kind === 'image') {
          const [frames, ...image] = d.shape as [number, ...number[]];
          const ds = group.create_dataset({
            name,
            data: [] as number[],
            dtype: H5_DTYPE[d.dtype as Exclude<LayoutDType, 'string'>],
            shape: [0, ...image],
            maxshape: [frames > 0 ? frames : null, ...image],
            chunks: d.chunks ?? [1, ...image],
            ...(d.compression ? { compression: d.compression.filter, compression_opts: [...d.compression.options] } : {}),
          });
          ds.resize(d.shape);
          images.set(d.content.image, { ds, shape: d.shape });
        }
      }
      return new ConvertedFileWriter(module, file, layout, images);
    });
  }

  /** Write `frameCount` frames of image `image` (as the converter filled them) from frame `first` on. */
  writeImages(image: number, first: number, values: ImageArray, frameCount: number): void {
    if (this.closed) throw new Error(`${this.file.filename} is closed`);
    const target = this.images.get(image);
    if (!target) throw new RangeError(`no image ${image} in this file`);
    const [frames, h, w] = target.shape as [number, number, number];
    if (first < 0 || first + frameCount > frames) throw new RangeError(`frames ${first}..${first + frameCount - 1} outside 0..${frames - 1}`);
    const per = h * w;
    if (values.length < frameCount * per) throw new RangeError(`${frameCount} frames need ${frameCount * per} values, got ${values.length}`);
    const bytes = new Uint8Array(values.buffer, values.byteOffset, frameCount * per * values.BYTES_PER_ELEMENT);
    writeRaw(this.module, this.scratch, target.ds, [first, 0, 0], [frameCount, h, w], bytes);
  }

  /** Write the per-frame datasets and the detector name, and close. */
  close(frames: ConvertedFrames): void {
    if (this.closed) return;
    this.closed = true;
    this.scratch.free();
    withH5Errors(this.module, () => {
      try {
        for (const d of this.layout) {
          const { group, name } = parentOf(this.file, d.path);
          if (d.content.kind === 'copy') group.create_dataset({ name, data: frames.detectorName, dtype: 'A' });
          if (d.content.kind === 'frames') {
            const data = d.content.from === 'pulse_id' ? frames.pulseId : d.content.from === 'daq_rec' ? frames.daqRec : frames.isGoodFrame;
            if (data.length !== d.shape[0]) throw new RangeError(`${d.path}: ${data.length} rows, expected ${d.shape[0]}`);
            group.create_dataset({ name, data, shape: d.shape, dtype: H5_DTYPE[d.dtype as Exclude<LayoutDType, 'string'>] });
          }
        }
      } finally {
        this.file.close();
      }
    });
  }
}

function parentOf(file: File, path: string): { group: Group; name: string } {
  const parts = path.split('/');
  const name = parts.pop()!;
  let group: Group = file;
  for (const part of parts) {
    const next = group.get(part);
    group = next && 'create_group' in next ? (next as Group) : group.create_group(part);
  }
  return { group, name };
}

function writeValue(group: Group, name: string, d: LayoutDataset, value: number | string | ArrayLike<number>): void {
  if (d.dtype === 'string') {
    group.create_dataset({ name, data: String(value), dtype: 'S' });
    return;
  }
  const values = typeof value === 'number' ? [value] : typeof value === 'string' ? [Number(value)] : value;
  group.create_dataset({ name, data: typed(d.dtype, values), shape: d.shape, dtype: H5_DTYPE[d.dtype] });
}

/** Values as the typed array of `dtype`; int64 from values below 2^32 built word by word (no BigInt per pixel). */
function typed(dtype: Exclude<LayoutDType, 'string'>, values: ArrayLike<number>) {
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
  }
}
