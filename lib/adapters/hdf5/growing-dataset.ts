/**
 * A chunked dataset that grows along its first axis and is written one whole chunk at a time
 * (H5Dwrite_chunk): the stored bytes are made outside HDF5 (as received, or shuffled and deflated here).
 *
 * The extent only ever grows, to exactly the rows written: HDF5 refuses a chunk outside the extent, and
 * shrinking a filtered dataset would make HDF5 rewrite its last chunk through its own (slow, wasm)
 * filters. Callers group their chunks per dataset (`grow` once for many `writeChunk`s) because each
 * resize costs an HDF5 call.
 */
import type { Dtype, H5Dataset, H5Location } from './engine';
import type { Filters } from './engine';

export interface GrowingSpec {
  dtype: Dtype;
  /** Shape of one row: [] scalar, [n], [h, w]. */
  rowShape: readonly number[];
  chunkRows: number;
  filters?: Filters;
}

/**
 * @example
 *   const ids = GrowingDataset.create(group, 'pulse_id', { dtype: 'int64', rowShape: [], chunkRows: 8192, filters: { shuffle: true, deflate: 1 } });
 *   ids.grow(8192); ids.writeChunk(0, storedBytes);
 */
export class GrowingDataset {
  /** Rows the dataset has now (its extent along the first axis). */
  rows = 0;
  private readonly zeros: number[];

  constructor(readonly ds: H5Dataset, readonly spec: GrowingSpec) {
    this.zeros = spec.rowShape.map(() => 0);
  }

  /** Creates the dataset with 0 rows, unlimited along the first axis, chunked `(chunkRows, ...rowShape)`. */
  static create(at: H5Location, name: string, spec: GrowingSpec): GrowingDataset {
    const ds = at.createDataset(name, {
      dtype: spec.dtype,
      shape: [0, ...spec.rowShape],
      maxshape: [null, ...spec.rowShape],
      chunks: [spec.chunkRows, ...spec.rowShape],
      ...(spec.filters ? { filters: spec.filters } : {}),
    });
    return new GrowingDataset(ds, spec);
  }

  /** Bytes of one whole chunk in memory. */
  static chunkBytes(spec: GrowingSpec, elementSize: number): number {
    return spec.chunkRows * spec.rowShape.reduce((a, b) => a * b, 1) * elementSize;
  }

  /** Grows the extent to `rows` (never shrinks). */
  grow(rows: number): void {
    if (rows <= this.rows) return;
    this.ds.resize([rows, ...this.spec.rowShape]);
    this.rows = rows;
  }

  /** Stores `stored` as the chunk starting at row `firstRow` (a multiple of chunkRows, inside the extent). */
  writeChunk(firstRow: number, stored: ArrayBufferView): void {
    this.ds.writeChunk([firstRow, ...this.zeros], stored);
  }

  close(): void {
    this.ds.close();
  }
}
