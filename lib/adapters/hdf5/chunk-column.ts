/**
 * The rows of one growing dataset on their way to the file: one chunk buffer that keeps its capacity,
 * filled row by row from column data (no object per row), handed to the ChunkPipeline when full and at
 * `finish` (padded with zeros: HDF5 chunks are whole; readers see only the extent).
 */
import type { ChunkPipeline } from './chunk-pipeline';
import { GLOBAL_DATE_BYTES, type GlobalDateCache } from './global-date';
import type { GrowingDataset } from './growing-dataset';

/**
 * @example
 *   const ids = new ChunkColumn(pulseIdDataset, 8, pipeline);
 *   ids.appendWords64(new Uint32Array(pulseIds.buffer), 0, pulseIds.length);
 *   ids.finish();
 */
export class ChunkColumn {
  readonly rowBytes: number;
  readonly chunkRows: number;
  readonly chunkBytes: number;
  /** Rows appended in all (handed on, or in the current chunk). */
  rows = 0;
  /** Rows in the current chunk. */
  private fill = 0;
  private buf: Uint8Array | undefined;
  /** The chunk buffer lives in the compression job's buffer (see constructor). */
  private readonly inPlace: boolean;

  /**
   * `share`: chunks of this column are often identical to another channel's (pulse_id, timestamp,
   * global_date of channels with the same pulses): the pipeline compresses such a chunk once.
   */
  constructor(readonly target: GrowingDataset, readonly elementSize: number, private readonly pipeline: ChunkPipeline, private readonly share?: string) {
    this.rowBytes = target.spec.rowShape.reduce((a, b) => a * b, 1) * elementSize;
    this.chunkRows = target.spec.chunkRows;
    this.chunkBytes = this.chunkRows * this.rowBytes;
    // Chunks of few rows (waveforms) fill within a network chunk or two: filled in place in the
    // compression job's buffer. Chunks of thousands of rows fill over a channel: a buffer of their own.
    this.inPlace = this.chunkRows <= 64;
  }

  /** Rows of row i = src[starts[from + i] ..] (rowBytes each, as stored: the dataset's byte order). */
  appendRows(src: Uint8Array, starts: Int32Array, from: number, count: number): void {
    const size = this.rowBytes;
    let i = from;
    const end = from + count;
    while (i < end) {
      const buf = this.current();
      const n = Math.min(end - i, this.chunkRows - this.fill);
      let at = this.fill * size;
      if (size <= 16) {
        for (let r = 0; r < n; r++, i++, at += size) {
          const s = starts[i]!;
          for (let b = 0; b < size; b++) buf[at + b] = src[s + b]!;
        }
      } else {
        for (let r = 0; r < n; r++, i++, at += size) buf.set(src.subarray(starts[i]!, starts[i]! + size), at);
      }
      this.advance(n);
    }
  }

  /** One row's bytes (rowBytes of them). */
  appendRow(row: Uint8Array): void {
    this.current().set(row, this.fill * this.rowBytes);
    this.advance(1);
  }

  /** int64 rows from their 32-bit words in native order (words[2i] low, words[2i+1] high): no BigInt per row. */
  appendWords64(words: Uint32Array, from: number, count: number): void {
    let i = from;
    const end = from + count;
    while (i < end) {
      const out = new Uint32Array(this.current().buffer, 0, this.chunkBytes / 4);
      const n = Math.min(end - i, this.chunkRows - this.fill);
      let at = this.fill * 2;
      for (let r = 0; r < n; r++, i++, at += 2) {
        out[at] = words[2 * i]!;
        out[at + 1] = words[2 * i + 1]!;
      }
      this.advance(n);
    }
  }

  /**
   * global_date rows (fixed 35-byte ASCII) of the timestamps whose words are given as for appendWords64;
   * dates already formatted for another channel's same rows come from `cache`.
   */
  appendGlobalDates(words: Uint32Array, from: number, count: number, cache: GlobalDateCache): void {
    let i = from;
    const end = from + count;
    while (i < end) {
      const buf = this.current();
      const n = Math.min(end - i, this.chunkRows - this.fill);
      cache.write(words, i, n, this.rows, buf, this.fill * GLOBAL_DATE_BYTES);
      i += n;
      this.advance(n);
    }
  }

  /**
   * Hands the partial chunk on (zero-padded) and gives the buffer back: the dataset then holds every
   * row (once the pipeline finished). More rows may follow: `resume` first.
   */
  finish(): void {
    if (this.fill > 0 && this.buf) {
      this.buf.fill(0, this.fill * this.rowBytes);
      const first = this.rows - this.fill;
      this.buf = this.pipeline.submit(this.target, first, this.fill, this.buf, this.elementSize, this.share);
    }
    if (this.buf) this.pipeline.release(this.buf);
    this.buf = undefined;
    this.fill = 0;
  }

  /**
   * After `finish`, before more rows: a partial last chunk is read back (the pipeline must have written
   * it: `pipeline.finish()` first), so the next rows complete it. `readRows(first, n)` returns the stored
   * bytes of rows [first, first + n).
   */
  resume(readRows: (first: number, n: number) => Uint8Array): void {
    const partial = this.rows % this.chunkRows;
    if (partial === 0 || this.fill > 0) return;
    const buf = this.current();
    buf.set(readRows(this.rows - partial, partial), 0);
    this.fill = partial;
  }

  private current(): Uint8Array {
    this.buf ??= (this.inPlace ? this.pipeline.reserve(this.chunkBytes) : undefined) ?? this.pipeline.buffer(this.chunkBytes);
    return this.buf;
  }

  private advance(n: number): void {
    this.fill += n;
    this.rows += n;
    if (this.fill === this.chunkRows) {
      this.buf = this.pipeline.submit(this.target, this.rows - this.fill, this.fill, this.buf!, this.elementSize, this.share);
      this.fill = 0;
    }
  }
}

/** A column whose every row is the same byte (is_data_present's 1s): counts rows, writes one stored chunk per chunk. */
export class ConstantColumn {
  rows = 0;
  /** Rows of the chunks handed on as complete. */
  private completeRows = 0;
  private readonly chunkRows: number;
  private readonly stored: Uint8Array;

  constructor(readonly target: GrowingDataset, value: number, elementSize: number, private readonly pipeline: ChunkPipeline) {
    this.chunkRows = target.spec.chunkRows;
    // Padding rows hold the value too: one stored chunk serves full and partial chunks alike.
    this.stored = pipeline.constantChunk(value, this.chunkRows * elementSize, elementSize);
  }

  append(count: number): void {
    this.rows += count;
    while (this.rows - this.completeRows >= this.chunkRows) {
      this.pipeline.submitStored(this.target, this.completeRows, this.chunkRows, this.stored);
      this.completeRows += this.chunkRows;
    }
  }

  /** Hands the partial chunk on; later rows rewrite it (H5Dwrite_chunk replaces a chunk) when it completes. */
  finish(): void {
    if (this.rows > this.completeRows) this.pipeline.submitStored(this.target, this.completeRows, this.rows - this.completeRows, this.stored);
  }
}

/**
 * Variable-length UTF-8 strings (a string channel's data): written through HDF5's own filters a chunk of
 * rows at a time (the stored form of a vlen string chunk is references into HDF5's global heap, which
 * only HDF5 can make). String channels are few and short.
 */
export class StringColumn {
  rows = 0;
  private pending: string[] = [];
  private readonly perRow: number;
  private readonly zeros: number[];

  constructor(readonly target: GrowingDataset) {
    this.perRow = target.spec.rowShape.reduce((a, b) => a * b, 1);
    this.zeros = target.spec.rowShape.map(() => 0);
  }

  /** One row: `perRow` strings (1 for a scalar string channel). */
  append(values: readonly string[]): void {
    for (const v of values) this.pending.push(v);
    if (this.pending.length >= this.target.spec.chunkRows * this.perRow) this.finish();
  }

  /** Writes the pending rows. */
  finish(): void {
    const n = this.pending.length / this.perRow;
    if (n === 0) return;
    this.target.grow(this.rows + n);
    this.target.ds.writeStrings([this.rows, ...this.zeros], [n, ...this.target.spec.rowShape], this.pending);
    this.rows += n;
    this.pending = [];
  }
}
