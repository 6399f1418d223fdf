/**
 * The 2020 BSREAD file layout (run_NNNNNN.BSREAD.h5 and .PVCHANNELS.h5):
 *
 *   /general/{created,instrument,process,user}       scalar UTF-8 strings
 *   /data/<channel>/data             (N, ...shape)    channel dtype (stored little-endian; bool as uint8)
 *   /data/<channel>/pulse_id         (N,) int64
 *   /data/<channel>/timestamp        (N,) int64, ns since 1970
 *   /data/<channel>/global_date      (N,) UTF-8 string, 'YYYY-MM-DDTHH:MM:SS.fffffffff+00:00'
 *   /data/<channel>/is_data_present  (N,) uint8, 1 on every row ("compact" form)
 *
 * All five grow together, chunked, uncompressed (vlen strings cannot be
 * compressed by h5wasm, and BS data is small next to images). Rows are kept in
 * memory per channel and written in batches, bounded per channel (whole chunks,
 * at most 4 MiB) and in total (`maxPendingBytes`).
 */
import type { File, Group } from 'h5wasm/node';
import { loadH5, withH5Errors, type H5Module } from './h5';
import { checkLinkName, createScalarString } from './h5-create';
import { HeapScratch } from './h5-write';
import { BsreadChannel } from './bsread-channel';
import type { ChannelSpec, Row } from './bsread-rows';

export type { ChannelSpec, Row, RowValue } from './bsread-rows';

/** The `/general` strings of a BSREAD file. */
export interface BsreadGeneral {
  created: string;
  instrument: string;
  process: string;
  user: string;
}

export interface BsreadWriterOptions {
  /** Write all pending rows once together they hold this many bytes (default 64 MiB). */
  maxPendingBytes?: number;
  /** Rows a channel keeps before writing them (default: whole chunks, see bsread-channel.ts). */
  flushRows?: number;
}

export class BsreadFileWriter {
  private readonly channels = new Map<string, BsreadChannel>();
  private readonly scratch: HeapScratch;
  private pendingBytes = 0;
  private closed = false;

  private constructor(
    private readonly module: H5Module,
    private readonly file: File,
    private readonly dataGroup: Group,
    private readonly options: Required<Pick<BsreadWriterOptions, 'maxPendingBytes'>> & BsreadWriterOptions,
  ) {
    this.scratch = new HeapScratch(module);
  }

  /**
   * Create (truncate) the file and write `/general`.
   *
   * @example
   *   const w = await BsreadFileWriter.create('/sf/alvra/data/p12345/raw/run_000001.BSREAD.h5',
   *     { created: '2020-05-27 18:06:39.772622', instrument: 'alvra', process: 'sfdaq-broker', user: 'p12345' });
   */
  static async create(path: string, general: BsreadGeneral, options: BsreadWriterOptions = {}): Promise<BsreadFileWriter> {
    const { lib, module } = await loadH5();
    return withH5Errors(module, () => {
      const file = new lib.File(path, 'w');
      const generalGroup = file.create_group('general');
      for (const key of ['created', 'instrument', 'process', 'user'] as const) {
        createScalarString(generalGroup, key, general[key]);
      }
      const dataGroup = file.create_group('data');
      return new BsreadFileWriter(module, file, dataGroup, { maxPendingBytes: 64 << 20, ...options });
    });
  }

  /**
   * Create `/data/<name>/` with its five datasets, 0 rows each (a channel that
   * never gets a row stays so).
   *
   * @example
   *   w.addChannel('SARFE10-PBPG050:HAMP-INTENSITY-CAL', { dtype: 'float64', shape: [] });
   *   w.addChannel('SAROP11-PSPEC:SPECTRUM', { dtype: 'uint16', shape: [2048], byteOrder: 'big' });
   */
  addChannel(name: string, spec: ChannelSpec): void {
    this.assertOpen();
    checkLinkName('channel', name);
    if (this.channels.has(name)) throw new Error(`channel ${name} added twice`);
    if (spec.shape.some((d) => !Number.isInteger(d) || d < 1)) throw new TypeError(`channel ${name}: bad shape [${spec.shape.join(', ')}]`);
    const channel = withH5Errors(this.module, () => new BsreadChannel(this.dataGroup, name, spec, this.options.flushRows));
    this.channels.set(name, channel);
  }

  /**
   * Queue rows of one channel, in the order given; written in batches.
   *
   * @example
   *   w.append('SARFE10-PBPG050:HAMP-INTENSITY-CAL', [{ pulseId: 18_940_426_916n, timestampNs: 1_693_900_000_123_916_000n, value: 0.42 }]);
   */
  append(name: string, rows: readonly Row[]): void {
    this.assertOpen();
    const channel = this.channels.get(name);
    if (!channel) throw new Error(`channel ${name} was not added`);
    for (const row of rows) {
      const before = channel.pending.bytes;
      channel.pending.push(row);
      this.pendingBytes += channel.pending.bytes - before;
      if (channel.full) this.flushChannel(channel);
    }
    if (this.pendingBytes >= this.options.maxPendingBytes) this.flush();
  }

  /** Write every pending row now. */
  flush(): void {
    this.assertOpen();
    for (const channel of this.channels.values()) this.flushChannel(channel);
  }

  /** Rows in the file plus pending, per channel (for logs and checks). */
  rowCount(name: string): number {
    const channel = this.channels.get(name);
    return channel ? channel.written + channel.pending.rows : 0;
  }

  /** Write what is pending and close the file. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      this.scratch.free();
      withH5Errors(this.module, () => this.file.close());
    }
  }

  private flushChannel(channel: BsreadChannel): void {
    const bytes = channel.pending.bytes;
    channel.flush(this.module, this.scratch);
    this.pendingBytes -= bytes;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`${this.file.filename} is closed`);
  }
}
