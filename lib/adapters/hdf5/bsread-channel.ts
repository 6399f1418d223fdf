/**
 * One channel of a BSREAD file: its five datasets under `/data/<name>/`, growing together, each fed by a
 * column that keeps one chunk in memory.
 */
import { DTYPES } from '../../core/dtypes';
import type { H5Engine, H5Group } from './engine';
import { ChunkColumn, ConstantColumn, StringColumn } from './chunk-column';
import type { ChunkPipeline } from './chunk-pipeline';
import { GLOBAL_DATE_BYTES, type GlobalDateCache } from './global-date';
import { GrowingDataset } from './growing-dataset';
import { elementCount } from './h5-create';
import { engineDtype, swapInPlace } from './h5-dtypes';
import { rowEncoder, stringsOf, words64, type ChannelSpec, type Row, type RowColumns } from './bsread-rows';

/** Rows per chunk of the 1-D datasets (pulse_id, timestamp, global_date, is_data_present, scalar data), as PSI's client. */
export const SCALAR_CHUNK_ROWS = 8192;
/** Rows per chunk of variable-length string data (each element is a 16-byte heap reference). */
const STRING_CHUNK_ROWS = 1024;
/** Not fatal: a stray byte in a string must not fail a run. */
const utf8 = new TextDecoder('utf-8');
/** Smallest chunk of the 1-D datasets in a short run. */
const MIN_SCALAR_CHUNK_ROWS = 256;

/**
 * Rows per chunk of the 1-D datasets: 8192 as PSI's Data API 3 client, or, for a run of fewer pulses,
 * the next power of two at or above them (at least 256): a chunk is compressed whole, padding included,
 * and 500 channels x 4 mostly empty 8192-row chunks cost more than a short run's data.
 *
 * @example
 *   scalarChunkRows(6_000) // 8192
 *   scalarChunkRows(300)   // 512
 */
export function scalarChunkRows(expectedRows?: number): number {
  if (expectedRows === undefined || expectedRows >= SCALAR_CHUNK_ROWS) return SCALAR_CHUNK_ROWS;
  return Math.max(MIN_SCALAR_CHUNK_ROWS, 2 ** Math.ceil(Math.log2(Math.max(1, expectedRows))));
}

/**
 * Rows per chunk of a channel's `data`, as PSI's Data API 3 client chunks:
 * scalars 8192 rows (fewer in a short run, see scalarChunkRows), waveforms
 * max(2, 16384 // n) rows, images one per chunk; strings 1024 elements per chunk.
 *
 * @example
 *   dataChunkRows({ dtype: 'float64', shape: [1000] }) // 16
 */
export function dataChunkRows(spec: Pick<ChannelSpec, 'dtype' | 'shape'>, expectedRows?: number): number {
  const n = elementCount(spec.shape);
  if (spec.dtype === 'string') return Math.max(1, Math.floor(STRING_CHUNK_ROWS / n));
  if (spec.shape.length === 0) return scalarChunkRows(expectedRows);
  if (spec.shape.length === 1) return Math.max(2, Math.floor(16384 / n));
  return 1;
}

export interface ChannelContext {
  engine: H5Engine;
  pipeline: ChunkPipeline;
  /** The writer's global_date rows, shared by its channels (same pulses, same dates). */
  dates: GlobalDateCache;
  /** Pulses the run asks for (sizes the 1-D chunks of a short run). */
  expectedRows?: number;
}

export class BsreadChannel {
  private readonly data: ChunkColumn | StringColumn;
  private readonly pulseId: ChunkColumn;
  private readonly timestamp: ChunkColumn;
  private readonly globalDate: ChunkColumn;
  private readonly isDataPresent: ConstantColumn;
  private readonly datasets: GrowingDataset[];
  private readonly elementSize: number;
  private readonly rowBytes: number;
  private readonly elements: number;
  private readonly encode: ((value: Row['value']) => Uint8Array) | undefined;
  /** Columns handed their partial chunks (see finish); the next rows resume them. */
  private finished = false;

  constructor(group: H5Group, readonly name: string, readonly spec: ChannelSpec, private readonly ctx: ChannelContext) {
    const filters = ctx.pipeline.deflateLevel === null ? undefined : { shuffle: true, deflate: ctx.pipeline.deflateLevel };
    const rows1d = scalarChunkRows(ctx.expectedRows);
    const isString = spec.dtype === 'string';
    this.elements = elementCount(spec.shape);
    this.elementSize = isString ? 0 : DTYPES[spec.dtype].size;
    this.rowBytes = this.elements * this.elementSize;
    const data = GrowingDataset.create(group, 'data', {
      dtype: engineDtype(spec.dtype, spec.byteOrder),
      rowShape: spec.shape,
      chunkRows: dataChunkRows(spec, ctx.expectedRows),
      ...(filters ? { filters } : {}),
    });
    const oneD = (name: string, dtype: 'int64' | 'bool' | `S${number}`) => GrowingDataset.create(group, name, { dtype, rowShape: [], chunkRows: rows1d, ...(filters ? { filters } : {}) });
    const pulseId = oneD('pulse_id', 'int64');
    const timestamp = oneD('timestamp', 'int64');
    const globalDate = oneD('global_date', `S${GLOBAL_DATE_BYTES}`);
    const isDataPresent = oneD('is_data_present', 'bool');
    this.datasets = [data, pulseId, timestamp, globalDate, isDataPresent];
    this.data = isString ? new StringColumn(data) : new ChunkColumn(data, this.elementSize, ctx.pipeline);
    this.pulseId = new ChunkColumn(pulseId, 8, ctx.pipeline, 'pulse_id');
    this.timestamp = new ChunkColumn(timestamp, 8, ctx.pipeline, 'timestamp');
    // HDF5's shuffle takes a fixed-length string's whole size as its element size.
    this.globalDate = new ChunkColumn(globalDate, GLOBAL_DATE_BYTES, ctx.pipeline, 'global_date');
    this.isDataPresent = new ConstantColumn(isDataPresent, 1, 1, ctx.pipeline);
    this.encode = isString ? undefined : rowEncoder(name, spec);
  }

  /** Rows appended (in the file or on their way). */
  get rows(): number {
    return this.pulseId.rows;
  }

  /**
   * Appends rows given as columns. Every value is checked before any row is taken, so a bad value
   * leaves the channel as it was. `encoding` 'bitshuffle-lz4': each value is a compressed stream
   * (the Data API's), decompressed here.
   */
  appendColumns(rows: RowColumns, encoding: 'raw' | 'bitshuffle-lz4' = 'raw'): void {
    const { count } = rows;
    if (count === 0) return;
    const values = encoding === 'bitshuffle-lz4' ? this.decompress(rows) : rows;
    let strings: string[][] | undefined;
    if (this.data instanceof ChunkColumn) {
      for (let i = 0; i < count; i++) {
        const n = values.ends[i]! - values.starts[i]!;
        if (n !== this.rowBytes) this.fail(`${n} bytes${encoding === 'raw' ? '' : ' once decompressed'}, expected ${this.rowBytes}`);
      }
    } else {
      strings = [];
      for (let i = 0; i < count; i++) strings.push(stringsOf(this.name, this.elements, utf8.decode(values.bytes.subarray(values.starts[i]!, values.ends[i]!))));
    }
    this.resume();
    if (this.data instanceof ChunkColumn) this.data.appendRows(values.bytes, values.starts, 0, count);
    else for (const row of strings!) this.data.append(row);
    const ids = words64(rows.pulseIds);
    const ts = words64(rows.timestamps);
    this.pulseId.appendWords64(ids, 0, count);
    this.timestamp.appendWords64(ts, 0, count);
    this.globalDate.appendGlobalDates(ts, 0, count, this.ctx.dates);
    this.isDataPresent.append(count);
  }

  /** Appends rows given as JS values (the archiver's samples, tests). */
  append(rows: readonly Row[]): void {
    for (const row of rows) {
      // Encode (and so check) the value before any column takes the row.
      const strings = this.encode ? undefined : stringsOf(this.name, this.elements, row.value);
      const bytes = this.encode ? this.encode(row.value) : undefined;
      this.resume();
      if (this.data instanceof ChunkColumn) this.data.appendRow(bytes!);
      else this.data.append(strings!);
      const pair = BigInt64Array.of(BigInt(row.pulseId), BigInt(row.timestampNs));
      const w = words64(pair);
      this.pulseId.appendWords64(w, 0, 1);
      this.timestamp.appendWords64(w, 1, 1);
      this.globalDate.appendGlobalDates(w, 1, 1, this.ctx.dates);
      this.isDataPresent.append(1);
    }
  }

  /**
   * Hands every partial chunk on (the channel's rows are complete, e.g. the buffer moved on to the next
   * channel): its chunk buffers go back to the pipeline, so memory holds one channel at a time.
   */
  finish(): void {
    if (this.finished) return;
    for (const column of [this.data, this.pulseId, this.timestamp, this.globalDate, this.isDataPresent]) column.finish();
    this.finished = true;
  }

  close(): void {
    for (const ds of this.datasets) ds.close();
  }

  /** More rows after `finish` (the channel came again): the partial chunks are read back and completed. */
  private resume(): void {
    if (!this.finished) return;
    this.finished = false;
    this.ctx.pipeline.finish();
    for (const column of [this.data, this.pulseId, this.timestamp, this.globalDate]) {
      if (!(column instanceof ChunkColumn)) continue;
      column.resume((first, n) => {
        const shape = column.target.spec.rowShape;
        const read = column.target.ds.readSlab([first, ...shape.map(() => 0)], [n, ...shape]);
        const stored = new Uint8Array(read.buffer, read.byteOffset, read.byteLength);
        // readSlab gives numbers in native order; the column holds the dataset's order.
        if (column.target.spec.dtype.endsWith('be')) swapInPlace(stored, column.elementSize);
        return stored;
      });
    }
  }

  private decompress(rows: RowColumns): { bytes: Uint8Array; starts: Int32Array; ends: Int32Array } {
    const elemSize = this.elementSize || 1;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (let i = 0; i < rows.count; i++) {
      const value = this.ctx.engine.bitshuffleLz4Decompress(rows.bytes.subarray(rows.starts[i]!, rows.ends[i]!), elemSize);
      parts.push(value);
      total += value.length;
    }
    const bytes = new Uint8Array(total);
    const starts = new Int32Array(rows.count);
    const ends = new Int32Array(rows.count);
    let at = 0;
    parts.forEach((p, i) => {
      bytes.set(p, at);
      starts[i] = at;
      at += p.length;
      ends[i] = at;
    });
    return { bytes, starts, ends };
  }

  private fail(what: string): never {
    throw new TypeError(`channel ${this.name} (${this.spec.dtype} [${this.spec.shape.join(', ')}]): got ${what}`);
  }
}
