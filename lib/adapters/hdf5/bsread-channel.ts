/**
 * One channel of a BSREAD file: its five datasets under `/data/<name>/`, all
 * growing together, and the rows waiting to be written to them.
 */
import type { Dataset, Group } from 'h5wasm/node';
import { DTYPES } from '../../core/dtypes';
import { globalDate } from './global-date';
import type { H5Module } from './h5';
import { createExtendable } from './h5-create';
import { storedDtype } from './h5-dtypes';
import { resize, writeRaw, writeStrings, type HeapScratch } from './h5-write';
import { RowBuffer, type ChannelSpec } from './bsread-rows';

/** Rows per chunk of the 1-D bookkeeping datasets (pulse_id, timestamp, is_data_present). */
const SCALAR_CHUNK_ROWS = 8192;
/** Rows per chunk of variable-length string datasets (each element is a 16-byte heap id). */
const STRING_CHUNK_ROWS = 1024;
/** A channel writes its pending rows once they hold this many bytes (bounds memory per channel). */
const CHANNEL_FLUSH_BYTES = 4 << 20;

/**
 * Rows per chunk of a channel's `data`, as PSI's Data API 3 client chunks:
 * scalars 8192 rows, waveforms max(2, 16384 // n) rows, images one per chunk;
 * strings 1024 elements per chunk.
 *
 * @example
 *   dataChunkRows({ dtype: 'float64', shape: [1000] }) // 16
 */
export function dataChunkRows(spec: ChannelSpec): number {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.dtype === 'string') return Math.max(1, Math.floor(STRING_CHUNK_ROWS / n));
  if (spec.shape.length === 0) return SCALAR_CHUNK_ROWS;
  if (spec.shape.length === 1) return Math.max(2, Math.floor(16384 / n));
  return 1;
}

export class BsreadChannel {
  /** Rows already in the file. */
  written = 0;
  readonly pending: RowBuffer;
  /** Pending rows that trigger a write on their own. */
  readonly flushRows: number;
  private readonly data: Dataset;
  private readonly pulseId: Dataset;
  private readonly timestamp: Dataset;
  private readonly globalDate: Dataset;
  private readonly isDataPresent: Dataset;

  constructor(dataGroup: Group, readonly name: string, readonly spec: ChannelSpec, flushRows?: number) {
    const group = dataGroup.create_group(name);
    const chunkRows = dataChunkRows(spec);
    this.data = createExtendable(group, 'data', { dtype: storedDtype(spec.dtype), rowShape: spec.shape, chunkRows });
    this.pulseId = createExtendable(group, 'pulse_id', { dtype: '<q', rowShape: [], chunkRows: SCALAR_CHUNK_ROWS });
    this.timestamp = createExtendable(group, 'timestamp', { dtype: '<q', rowShape: [], chunkRows: SCALAR_CHUNK_ROWS });
    this.globalDate = createExtendable(group, 'global_date', { dtype: 'S', rowShape: [], chunkRows: STRING_CHUNK_ROWS });
    this.isDataPresent = createExtendable(group, 'is_data_present', { dtype: '<B', rowShape: [], chunkRows: SCALAR_CHUNK_ROWS });
    this.pending = new RowBuffer(name, spec);
    const rowBytes = this.pending.rowBytes; // 0 for strings
    // Whole chunks per write where memory allows: a partial chunk is read back and rewritten next time.
    this.flushRows = flushRows ?? (rowBytes === 0 || spec.shape.length === 0
      ? SCALAR_CHUNK_ROWS
      : Math.max(chunkRows, Math.min(SCALAR_CHUNK_ROWS, Math.floor(CHANNEL_FLUSH_BYTES / rowBytes))));
  }

  /** True when the pending rows should be written now. */
  get full(): boolean {
    return this.pending.rows >= this.flushRows || this.pending.bytes >= CHANNEL_FLUSH_BYTES;
  }

  /** Write the pending rows to all five datasets at rows [written, written + n). */
  flush(module: H5Module, scratch: HeapScratch): void {
    const p = this.pending;
    const n = p.rows;
    if (n === 0) return;
    const at = this.written;
    const total = at + n;
    const { shape, dtype } = this.spec;
    for (const ds of [this.data, this.pulseId, this.timestamp, this.globalDate, this.isDataPresent]) {
      resize(module, ds, ds === this.data ? [total, ...shape] : [total]);
    }
    const dataOffset = [at, ...shape.map(() => 0)];
    const dataCount = [n, ...shape];
    if (dtype === 'string') writeStrings(module, this.data, dataOffset, dataCount, p.strings);
    else writeRaw(module, scratch, this.data, dataOffset, dataCount, p.values.subarray(0, n * DTYPES[dtype].size * p.elements));
    writeRaw(module, scratch, this.pulseId, [at], [n], bytesOf(p.pulseIds, n));
    writeRaw(module, scratch, this.timestamp, [at], [n], bytesOf(p.timestamps, n));
    writeStrings(module, this.globalDate, [at], [n], Array.from(p.timestamps.subarray(0, n), globalDate));
    // Compact form: a row exists only where the channel had data.
    writeRaw(module, scratch, this.isDataPresent, [at], [n], new Uint8Array(n).fill(1));
    this.written = total;
    p.clear();
  }
}

function bytesOf(values: BigInt64Array, n: number): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, n * 8);
}
