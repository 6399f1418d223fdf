/**
 * Writes Data API 3 frames to an HTTP response with backpressure: small
 * frames are packed into 64 KiB chunks (millions of scalar events would
 * otherwise mean millions of writes), and the producer waits whenever the
 * socket is behind, so a response is never built in memory.
 *
 * It also applies the byte faults of the simulator: end the body cleanly, or
 * reset the connection, once N body bytes went out.
 */
import type { ServerResponse } from 'node:http';

const CHUNK = 64 * 1024;

/** Encode one frame: len (u32 BE, counts mtype + payload), mtype, payload parts, len again. */
export function encodeFrame(mtype: number, ...parts: Uint8Array[]): Uint8Array {
  const len = 1 + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(len + 8);
  const view = new DataView(out.buffer);
  view.setUint32(0, len);
  view.setInt8(4, mtype);
  let at = 5;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  view.setUint32(at, len);
  return out;
}

/** A header frame (mtype 0) from its JSON. */
export function headerFrame(json: unknown): Uint8Array {
  return encodeFrame(0, new TextEncoder().encode(JSON.stringify(json)));
}

/** An event frame (mtype 1): timestamp, pulse id, value. */
export function eventFrame(timestampNs: bigint, pulseId: bigint, value: Uint8Array): Uint8Array {
  const ids = new Uint8Array(16);
  const view = new DataView(ids.buffer);
  view.setBigInt64(0, timestampNs);
  view.setBigInt64(8, pulseId);
  return encodeFrame(1, ids, value);
}

export interface ByteCut {
  /** Body bytes to send before cutting. */
  bytes: number;
  /** 'truncate': end the body cleanly; 'reset': destroy the connection. */
  mode: 'truncate' | 'reset';
}

/**
 * @example
 *   const sink = new FrameSink(res);
 *   const wait = sink.event(ts, pulse, value); if (wait) await wait;
 *   await sink.finish();
 */
export class FrameSink {
  private chunk = Buffer.allocUnsafe(CHUNK);
  private fill = 0;
  private sent = 0;
  private closed = false;
  /** Set when the body was cut by a fault. */
  cutApplied: ByteCut['mode'] | undefined;

  /** `onCut` runs when a fault cuts the body, before the client can see the cut. */
  constructor(private readonly res: ServerResponse, private readonly cut?: ByteCut, private readonly onCut?: (mode: ByteCut['mode']) => void) {
    res.once('close', () => {
      this.closed = true;
    });
  }

  /** True once nothing more should be produced (client gone, or a fault cut the body). */
  get stopped(): boolean {
    return this.closed || this.cutApplied !== undefined;
  }

  /** Queue a header frame; returns a promise to await when the socket is behind. */
  header(json: unknown): Promise<void> | undefined {
    return this.frame(headerFrame(json));
  }

  /** Queue an event frame; returns a promise to await when the socket is behind. */
  event(timestampNs: bigint, pulseId: bigint, value: Uint8Array): Promise<void> | undefined {
    const len = 17 + value.length;
    if (len + 8 > CHUNK - this.fill) {
      const wait = this.flush();
      if (len + 8 > CHUNK) {
        // Big values (images) go out as a frame of their own after the pending chunk,
        // written in place (head, value, trailer) rather than copied into a new frame.
        const head = Buffer.allocUnsafe(21);
        head.writeUInt32BE(len, 0);
        head.writeInt8(1, 4);
        head.writeBigInt64BE(timestampNs, 5);
        head.writeBigInt64BE(pulseId, 13);
        const tail = Buffer.allocUnsafe(4);
        tail.writeUInt32BE(len, 0);
        const send = (): Promise<void> | undefined => {
          const waits = [this.write(head), this.write(value), this.write(tail)];
          return waits[2] ?? waits[1] ?? waits[0];
        };
        return wait ? wait.then(send) : send();
      }
      if (wait) return wait.then(() => this.event(timestampNs, pulseId, value));
    }
    const c = this.chunk;
    let at = this.fill;
    c.writeUInt32BE(len, at);
    c.writeInt8(1, at + 4);
    c.writeBigInt64BE(timestampNs, at + 5);
    c.writeBigInt64BE(pulseId, at + 13);
    at += 21;
    c.set(value, at);
    at += value.length;
    c.writeUInt32BE(len, at);
    this.fill = at + 4;
    return undefined;
  }

  /** Send what is pending and end the body (unless a fault or the client ended it already). */
  async finish(): Promise<void> {
    const wait = this.flush();
    if (wait) await wait;
    if (!this.stopped) this.res.end();
  }

  private frame(bytes: Uint8Array): Promise<void> | undefined {
    if (bytes.length > CHUNK - this.fill) {
      const wait = this.flush();
      if (bytes.length > CHUNK) return wait ? wait.then(() => this.write(bytes)) : this.write(bytes);
      if (wait) return wait.then(() => this.frame(bytes));
    }
    this.chunk.set(bytes, this.fill);
    this.fill += bytes.length;
    return undefined;
  }

  private flush(): Promise<void> | undefined {
    if (this.fill === 0) return undefined;
    const out = this.chunk.subarray(0, this.fill);
    this.chunk = Buffer.allocUnsafe(CHUNK); // the written chunk stays referenced until the socket took it
    this.fill = 0;
    return this.write(out);
  }

  private write(bytes: Uint8Array): Promise<void> | undefined {
    if (this.stopped) return undefined;
    if (this.cut && this.sent + bytes.length >= this.cut.bytes) return this.applyCut(bytes.subarray(0, this.cut.bytes - this.sent));
    this.sent += bytes.length;
    if (this.res.write(bytes)) return undefined;
    return new Promise((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  private applyCut(prefix: Uint8Array): undefined {
    const mode = this.cut!.mode;
    this.cutApplied = mode;
    this.sent += prefix.length;
    this.onCut?.(mode);
    if (mode === 'truncate') {
      this.res.end(prefix);
      return undefined;
    }
    // Reset: hand over the prefix, then drop the connection with a TCP RST.
    this.res.write(prefix, () => {
      const socket = this.res.socket;
      if (socket && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket?.destroy();
    });
    return undefined;
  }
}
