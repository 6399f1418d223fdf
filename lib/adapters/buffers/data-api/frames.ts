/**
 * Incremental decoder of the Data API 3 binary body.
 *
 * A body is a sequence of frames: `len` (u32 BE, counts mtype + payload),
 * `mtype` (i8), payload, `len` again. mtype 0 = JSON channel header, mtype 1 =
 * event (timestamp i64 BE, pulse id i64 BE, value); other mtypes are skipped.
 *
 * Chunks may split frames anywhere. The decoder holds at most the current
 * frame: a frame wholly inside a chunk is decoded in place, a frame spanning
 * chunks is assembled in a buffer of its own size (<= 20 MiB, the facility
 * writer's limit), never the whole body.
 */
import { BufferProtocolError, BufferUnavailable } from '../../../core/errors';

/** The facility's HDF5 writer rejects frames over 20 MiB; so do we. */
export const MAX_FRAME_BYTES = 20 * 1024 * 1024;

export type Frame =
  | { mtype: 0; header: unknown }
  | {
      mtype: 1;
      timestampNs: bigint;
      pulseId: bigint;
      /** The value bytes as sent (compressed or not). */
      value: Uint8Array;
      /** True when `value` is a view into a buffer of its own; false when it views the caller's chunk. */
      owned: boolean;
    };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * What `FrameDecoder.visit` calls per frame. An event's value is `buf[valueStart, valueEnd)`; its
 * timestamp and pulse id (int64 BE each) are the 16 bytes before it. `owned`: `buf` is the frame's own
 * buffer (a frame that spanned chunks), else the caller's chunk.
 */
export interface FrameVisitor {
  header(json: unknown): void;
  event(buf: Uint8Array, valueStart: number, valueEnd: number, owned: boolean): void;
}

/**
 * @example
 *   const decoder = new FrameDecoder('data');
 *   for await (const chunk of body) for (const frame of decoder.push(chunk)) handle(frame);
 *   decoder.end(); // throws BufferUnavailable if the body stopped inside a frame
 */
export class FrameDecoder {
  private readonly lenBytes = new Uint8Array(4);
  private lenFill = 0;
  /** Length of the frame being read (mtype + payload), or -1 while reading `len`. */
  private frameLen = -1;
  /** Partial frame (mtype + payload + trailing len) when it spans chunks. */
  private partial: Uint8Array | undefined;
  private partialFill = 0;
  private bytesSeen = 0;

  /** Buffers of frames that spanned chunks, completed during the current `visit`, and free ones. */
  private readonly completed: Uint8Array[] = [];
  private readonly spare: Uint8Array[] = [];

  /**
   * `buffer` names the buffer in errors ('data', 'image'). `reuseFrameBuffers`: the buffer of a frame
   * that spanned chunks is reused once the next chunk is visited (the caller is done with the frames of
   * a chunk before it visits the next, as the client's batches are): no allocation per such frame.
   */
  constructor(private readonly buffer: string, private readonly maxFrameBytes = MAX_FRAME_BYTES, private readonly reuseFrameBuffers = false) {}

  /** True when the input so far ends inside a frame. */
  get midFrame(): boolean {
    return this.lenFill > 0 || this.frameLen >= 0;
  }

  /** Body bytes consumed so far. */
  get bytes(): number {
    return this.bytesSeen;
  }

  /** Feed the next chunk; returns the frames it completes, in order. */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    this.visit(chunk, {
      header: (header) => frames.push({ mtype: 0, header }),
      event: (buf, at, end, owned) => {
        const view = new DataView(buf.buffer, buf.byteOffset + at - 16, 16);
        frames.push({ mtype: 1, timestampNs: view.getBigInt64(0), pulseId: view.getBigInt64(8), value: buf.subarray(at, end), owned });
      },
    });
    return frames;
  }

  /**
   * Feed the next chunk; calls `visitor` for each frame it completes, in order, without making an
   * object per frame (the client's batches are built this way).
   */
  visit(chunk: Uint8Array, visitor: FrameVisitor): void {
    if (this.reuseFrameBuffers && this.completed.length > 0) {
      for (const b of this.completed) if (this.spare.length < 4) this.spare.push(b);
      this.completed.length = 0;
    }
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.frameLen < 0) {
        // Reading the leading len; fast path when all 4 bytes are here.
        if (this.lenFill === 0 && pos + 4 <= end) {
          this.startFrame(((chunk[pos]! << 24) | (chunk[pos + 1]! << 16) | (chunk[pos + 2]! << 8) | chunk[pos + 3]!) >>> 0);
          pos += 4;
        } else {
          this.lenBytes[this.lenFill++] = chunk[pos++]!;
          if (this.lenFill === 4) {
            const b = this.lenBytes;
            this.lenFill = 0;
            this.startFrame(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0);
          }
        }
        continue;
      }
      const need = this.frameLen + 4;
      if (!this.partial && pos + need <= end) {
        // Whole frame inside this chunk: decode in place.
        this.finishFrame(chunk, pos, false, visitor);
        pos += need;
        continue;
      }
      if (!this.partial) {
        this.partial = this.frameBuffer(need);
        this.partialFill = 0;
      }
      const take = Math.min(need - this.partialFill, end - pos);
      this.partial.set(chunk.subarray(pos, pos + take), this.partialFill);
      this.partialFill += take;
      pos += take;
      if (this.partialFill === need) {
        const buf = this.partial;
        this.partial = undefined;
        if (this.reuseFrameBuffers) this.completed.push(buf);
        this.finishFrame(buf, 0, true, visitor);
      }
    }
    this.bytesSeen += end;
  }

  /** A buffer for a frame of `bytes` that spans chunks: a free one large enough, or a new one. */
  private frameBuffer(bytes: number): Uint8Array {
    if (this.reuseFrameBuffers) {
      const i = this.spare.findIndex((b) => b.buffer.byteLength >= bytes);
      if (i >= 0) return new Uint8Array(this.spare.splice(i, 1)[0]!.buffer, 0, bytes);
    }
    return new Uint8Array(bytes);
  }

  /** Signal the end of the body: a body cut inside a frame is a transient fault (retry). */
  end(): void {
    if (this.midFrame) {
      const got = this.frameLen >= 0 ? `${this.partialFill} of ${this.frameLen + 4} frame bytes` : `${this.lenFill} of 4 length bytes`;
      throw new BufferUnavailable(this.buffer, `${this.buffer} buffer response ended inside a frame (${got}, after ${this.bytesSeen} B)`);
    }
  }

  private startFrame(len: number): void {
    if (len < 1) throw this.protocol(`frame length ${len} at byte ${this.bytesSeen} is too small`);
    if (len > this.maxFrameBytes) throw this.protocol(`frame of ${len} B exceeds the ${this.maxFrameBytes} B limit`);
    this.frameLen = len;
    this.partialFill = 0;
  }

  /** `buf[at]` is the mtype byte; the trailing len follows the payload. */
  private finishFrame(buf: Uint8Array, at: number, owned: boolean, visitor: FrameVisitor): void {
    const len = this.frameLen;
    this.frameLen = -1;
    const t = at + len;
    const trailer = ((buf[t]! << 24) | (buf[t + 1]! << 16) | (buf[t + 2]! << 8) | buf[t + 3]!) >>> 0;
    if (trailer !== len) throw this.protocol(`corrupt frame: leading length ${len} != trailing length ${trailer}`);
    const mtype = (buf[at]! << 24) >> 24; // int8
    if (mtype === 0) {
      let header: unknown;
      try {
        header = JSON.parse(utf8.decode(buf.subarray(at + 1, t)));
      } catch (error) {
        throw this.protocol(`channel header is not JSON: ${(error as Error).message}`, error);
      }
      visitor.header(header);
    } else if (mtype === 1) {
      if (len < 17) throw this.protocol(`event frame of ${len} B is shorter than its 17 B header`);
      visitor.event(buf, at + 17, t, owned);
    }
    // other message types: skipped, as the facility's client does
  }

  private protocol(message: string, cause?: unknown): BufferProtocolError {
    return new BufferProtocolError(this.buffer, `${this.buffer} buffer: ${message}`, cause === undefined ? undefined : { cause });
  }
}
