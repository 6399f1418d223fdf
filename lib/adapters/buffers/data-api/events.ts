/**
 * Event frames -> what the client yields: per network chunk one batch, in which the events of one channel
 * are a run of columns (pulse ids, timestamps, where each value lies in the received bytes). No object
 * per event: a 500-channel BS query has millions of events, and per-event objects and generator steps
 * cost more than the rest of the client together.
 *
 * Values are left where they arrived (the network chunk, or the buffer of a frame that spanned chunks)
 * and are not decompressed: a writer stores a camera's bitshuffle-LZ4 blob as an HDF5 chunk unchanged.
 * Sizes are checked here (an uncompressed value's length, a compressed one's declared size), so a wrong
 * value fails where it arrives.
 *
 * The per-event form (DataApiEvent, `value` decompressed on first access) remains for callers that
 * want it (`toEvents`).
 */
import { BufferProtocolError } from '../../../core/errors';
import { DTYPES } from '../../../core/dtypes';
import { BitshuffleError, bitshuffleLz4Decompress } from './bitshuffle';
import type { FrameVisitor } from './frames';
import { elementCount, parseChannelHeader, type ChannelHeader } from './header';

export interface DataApiEvent {
  kind: 'event';
  channel: string;
  timestampNs: bigint;
  pulseId: bigint;
  /** Element bytes in the header's byte order, or the text of a string channel. */
  value: Uint8Array | string;
  /** The bitshuffle-LZ4 stream as sent (12-byte header included), when the value was compressed. */
  compressed?: Uint8Array;
}

/**
 * Consecutive events of one channel, as columns. Event i: `pulseIds[i]`, `timestamps[i]` (ns), value
 * `bytes[starts[i], ends[i])` as sent (the element bytes in the header's byte order, UTF-8 for strings,
 * or the bitshuffle-LZ4 stream when `header.compression` says so).
 *
 * Valid until the client is asked for its next batch: the arrays are reused.
 */
export interface EventRun {
  kind: 'events';
  header: ChannelHeader;
  count: number;
  pulseIds: BigInt64Array;
  timestamps: BigInt64Array;
  bytes: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
}

/** One item of a batch: a channel header (the events after it are that channel's), or a run of events. */
export type DataApiBatchItem = { kind: 'header'; header: ChannelHeader } | EventRun;

/** What one network chunk completed, in order; `bytes` = the chunk's size. */
export interface DataApiBatch {
  items: DataApiBatchItem[];
  bytes: number;
}

const INITIAL_CAPACITY = 1024;

/** Big-endian uint32 at `at`. */
const u32be = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

/**
 * Builds batches from the frames of a FrameDecoder: `decoder.visit(chunk, batcher)`, then `take()`.
 *
 * @example
 *   const batcher = new EventBatcher('data');
 *   for await (const chunk of body) { decoder.visit(chunk, batcher); yield { items: batcher.take(), bytes: chunk.length }; }
 */
export class EventBatcher implements FrameVisitor {
  /** Events per channel name, over the whole response. */
  readonly counts = new Map<string, number>();
  private items: DataApiBatchItem[] = [];
  private current: ChannelHeader | undefined;
  /** The value length every event must have (uncompressed), or its declared size (compressed); -1: any. */
  private expected = -1;
  private compressed = false;
  private pulseIds = new BigInt64Array(INITIAL_CAPACITY);
  private timestamps = new BigInt64Array(INITIAL_CAPACITY);
  private idWords = new Uint32Array(this.pulseIds.buffer);
  private tsWords = new Uint32Array(this.timestamps.buffer);
  private starts = new Int32Array(INITIAL_CAPACITY);
  private ends = new Int32Array(INITIAL_CAPACITY);
  private n = 0;
  private runStart = 0;
  private runBytes: Uint8Array | undefined;

  /** `buffer` names the buffer in errors ('data', 'image'). */
  constructor(private readonly buffer: string) {}

  header(json: unknown): void {
    this.cut();
    const header = parseChannelHeader(json, this.buffer);
    this.current = header;
    this.compressed = header.compression !== 'none';
    this.expected = header.dtype === undefined || header.dtype === 'string' ? -1 : elementCount(header.shape) * DTYPES[header.dtype].size;
    this.items.push({ kind: 'header', header });
  }

  event(buf: Uint8Array, start: number, end: number, _owned: boolean): void {
    const header = this.current;
    if (!header) throw new BufferProtocolError(this.buffer, `${this.buffer} buffer sent an event before any channel header`);
    if (header.dtype === undefined) throw new BufferProtocolError(this.buffer, `channel ${header.name}: event frame after a header without type`);
    this.checkValue(header, buf, start, end);
    if (buf !== this.runBytes) {
      this.cut();
      this.runBytes = buf;
    }
    if (this.n === this.starts.length) this.grow();
    // Timestamp and pulse id: int64 BE at start - 16 and start - 8, into native words (no BigInt made).
    const w = 2 * this.n;
    const t = start - 16;
    this.tsWords[w + 1] = ((buf[t]! << 24) | (buf[t + 1]! << 16) | (buf[t + 2]! << 8) | buf[t + 3]!) >>> 0;
    this.tsWords[w] = ((buf[t + 4]! << 24) | (buf[t + 5]! << 16) | (buf[t + 6]! << 8) | buf[t + 7]!) >>> 0;
    this.idWords[w + 1] = ((buf[t + 8]! << 24) | (buf[t + 9]! << 16) | (buf[t + 10]! << 8) | buf[t + 11]!) >>> 0;
    this.idWords[w] = ((buf[t + 12]! << 24) | (buf[t + 13]! << 16) | (buf[t + 14]! << 8) | buf[t + 15]!) >>> 0;
    this.starts[this.n] = start;
    this.ends[this.n] = end;
    this.n++;
  }

  /** The items completed since the last take (the arrays are reused by the next chunk). */
  take(): DataApiBatchItem[] {
    this.cut();
    const items = this.items;
    this.items = [];
    this.n = 0;
    this.runStart = 0;
    this.runBytes = undefined;
    return items;
  }

  private checkValue(header: ChannelHeader, buf: Uint8Array, start: number, end: number): void {
    const length = end - start;
    if (!this.compressed) {
      if (this.expected >= 0 && length !== this.expected) {
        throw new BufferProtocolError(this.buffer, `channel ${header.name} pulse ${this.pulseIdAt(buf, start)}: value of ${length} B, expected ${this.expected} B for ${header.dtype}${JSON.stringify(header.shape)}`);
      }
      return;
    }
    if (length < 12) {
      throw new BufferProtocolError(this.buffer, `channel ${header.name} pulse ${this.pulseIdAt(buf, start)}: bitshuffle stream of ${length} bytes has no header`);
    }
    const declared = u32be(buf, start) * 4_294_967_296 + u32be(buf, start + 4);
    if (this.expected >= 0 && declared !== this.expected) {
      throw new BufferProtocolError(this.buffer, `channel ${header.name} pulse ${this.pulseIdAt(buf, start)}: compressed value declares ${declared} B, expected ${this.expected} B for ${header.dtype}${JSON.stringify(header.shape)}`);
    }
  }

  private pulseIdAt(buf: Uint8Array, start: number): bigint {
    return new DataView(buf.buffer, buf.byteOffset + start - 8, 8).getBigInt64(0);
  }

  /** Closes the current run (if it has events) into an item. */
  private cut(): void {
    const { n, runStart } = this;
    if (n > runStart && this.current && this.runBytes) {
      const header = this.current;
      this.items.push({
        kind: 'events',
        header,
        count: n - runStart,
        pulseIds: this.pulseIds.subarray(runStart, n),
        timestamps: this.timestamps.subarray(runStart, n),
        bytes: this.runBytes,
        starts: this.starts.subarray(runStart, n),
        ends: this.ends.subarray(runStart, n),
      });
      this.counts.set(header.name, (this.counts.get(header.name) ?? 0) + n - runStart);
    }
    this.runStart = n;
  }

  /** Doubles the arrays; runs already cut keep viewing the old ones (their data stays valid). */
  private grow(): void {
    const capacity = this.starts.length * 2;
    const grow64 = (a: BigInt64Array) => {
      const b = new BigInt64Array(capacity);
      b.set(a);
      return b;
    };
    const grow32 = (a: Int32Array) => {
      const b = new Int32Array(capacity);
      b.set(a);
      return b;
    };
    this.pulseIds = grow64(this.pulseIds);
    this.timestamps = grow64(this.timestamps);
    this.idWords = new Uint32Array(this.pulseIds.buffer);
    this.tsWords = new Uint32Array(this.timestamps.buffer);
    this.starts = grow32(this.starts);
    this.ends = grow32(this.ends);
  }
}

const text = new TextDecoder('utf-8'); // not fatal: a stray byte in a PV string must not fail a run

/**
 * A run's events one by one, each with its own copy of the value (compressed values: `compressed`
 * holds the stream, `value` is decompressed on first access).
 *
 * @example
 *   for (const event of toEvents(run, 'data')) console.log(event.pulseId, event.value);
 */
export function toEvents(run: EventRun, buffer: string): DataApiEvent[] {
  const { header } = run;
  const channel = header.name;
  const isString = header.dtype === 'string';
  const elemSize = header.dtype === undefined || isString ? 1 : DTYPES[header.dtype].size;
  const events: DataApiEvent[] = [];
  for (let i = 0; i < run.count; i++) {
    const pulseId = run.pulseIds[i]!;
    const timestampNs = run.timestamps[i]!;
    const bytes = run.bytes.slice(run.starts[i]!, run.ends[i]!);
    if (header.compression === 'none') {
      events.push({ kind: 'event', channel, timestampNs, pulseId, value: isString ? text.decode(bytes) : bytes });
      continue;
    }
    const event = { kind: 'event', channel, timestampNs, pulseId, compressed: bytes } as DataApiEvent;
    let cached: Uint8Array | string | undefined;
    Object.defineProperty(event, 'value', {
      enumerable: true,
      get(): Uint8Array | string {
        if (cached === undefined) {
          let out: Uint8Array;
          try {
            out = bitshuffleLz4Decompress(bytes, elemSize);
          } catch (error) {
            if (!(error instanceof BitshuffleError)) throw error;
            throw new BufferProtocolError(buffer, `channel ${channel} pulse ${pulseId}: ${error.message}`, { cause: error });
          }
          cached = isString ? text.decode(out) : out;
        }
        return cached;
      },
    });
    events.push(event);
  }
  return events;
}
