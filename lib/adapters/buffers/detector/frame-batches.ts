/**
 * Detector frames read in batches straight into their place in an output
 * buffer, with the next batch read while the caller writes the current one.
 *
 * Each module's slots of a batch are read with one `readv` per run of
 * adjacent slots: the 41-byte headers into a small buffer, the pixels
 * directly to `pixels[f * frameBytes + k * 1 MiB]` (frame f, k-th enabled
 * module), so a frame is never assembled by copying, and the batch's frames
 * are contiguous as they are in the file being written (one write per batch).
 * Frame logic as frame.ts (buffers.md, "Ours"): the requested pulse id, good
 * only when every enabled module holds it with 128 packets, frame_index and
 * daq_rec from the first good module, missing and stale modules zeroed.
 *
 * Memory: `buffers` (default 2) batch buffers of `batchFrames` frames each;
 * nothing else grows with the detector.
 */
import type { FileHandle } from 'node:fs/promises';
import { BufferUnavailable } from '../../../core/errors';
import { fileStartPulseId, MODULE_PIXEL_BYTES, SLOT_BYTES, SLOT_HEADER_BYTES, slotIndex, slotOffset } from './layout';
import { ModuleFile } from './module-cursor';
import { decodeSlotHeader, slotStatus, type ModuleStatus } from './slot';

/** One frame of a batch: its pulse and what its modules held. */
export interface BatchFrame {
  pulseId: bigint;
  /** Per enabled module, in order. */
  modules: ModuleStatus[];
  isGoodFrame: boolean;
  frameIndex: bigint;
  daqRec: bigint;
}

export interface FrameBatch {
  /** Index of the batch's first frame among the pulses read. */
  first: number;
  frames: BatchFrame[];
  /** frames.length frames of `frameBytes`, module k of frame f at f * frameBytes + k * MODULE_PIXEL_BYTES. Valid until the next batch is asked for. */
  pixels: Buffer;
  frameBytes: number;
}

export interface FrameBatchReaderOptions {
  root: string;
  detector: string;
  /** Module folder indexes, in image order. */
  modules: readonly number[];
  /** Frames per batch (default: as many as fit 32 MiB, at least 1). */
  batchFrames?: number;
  /** Batch buffers in rotation (default 2: one being written by the caller, one being read). */
  buffers?: number;
}

const DEFAULT_BATCH_BYTES = 32 << 20;

/**
 * @example
 *   const reader = new FrameBatchReader({ root, detector: 'JF07T32V01', modules: [...Array(32).keys()] });
 *   for await (const batch of reader.read(pulseIds)) await file.write(batch.pixels, 0, batch.frames.length * batch.frameBytes, at(batch.first));
 */
export class FrameBatchReader {
  readonly frameBytes: number;
  readonly batchFrames: number;
  private readonly modules: ModuleFiles[];
  private readonly pool: Buffer[];
  private readonly headers: Buffer[];

  constructor(private readonly options: FrameBatchReaderOptions) {
    if (options.modules.length === 0) throw new RangeError('no module to read');
    this.frameBytes = options.modules.length * MODULE_PIXEL_BYTES;
    this.batchFrames = Math.max(1, options.batchFrames ?? Math.floor(DEFAULT_BATCH_BYTES / this.frameBytes));
    this.modules = options.modules.map((m) => new ModuleFiles(options.root, options.detector, m));
    this.pool = Array.from({ length: Math.max(2, options.buffers ?? 2) }, () => Buffer.allocUnsafe(this.batchFrames * this.frameBytes));
    this.headers = options.modules.map(() => Buffer.allocUnsafe(this.batchFrames * SLOT_HEADER_BYTES));
  }

  /**
   * Batches of the pulses in order, each read while the previous one is in the caller's hands.
   * A batch never spans two buffer files. Closes its files when done (or abandoned).
   */
  async *read(pulseIds: Iterable<bigint>): AsyncGenerator<FrameBatch> {
    const groups = this.groups(pulseIds);
    let turn = 0;
    let first = 0;
    const start = (ids: bigint[] | undefined, at: number) => (ids ? this.readBatch(ids, at, this.pool[turn++ % this.pool.length]!, this.headers) : undefined);
    try {
      let next = groups.next();
      let pending = start(next.done ? undefined : next.value, first);
      while (pending) {
        const batch = await pending;
        first += batch.frames.length;
        next = groups.next();
        // The header buffers are reused: decode them (readBatch does) before the next read starts.
        pending = start(next.done ? undefined : next.value, first);
        // Keep a read in flight from turning into an unhandled rejection while the caller works.
        pending?.catch(() => undefined);
        yield batch;
      }
    } finally {
      await Promise.all(this.modules.map((m) => m.close()));
    }
  }

  /** Consecutive requested pulses of one buffer file, at most batchFrames. */
  private *groups(pulseIds: Iterable<bigint>): Generator<bigint[]> {
    let current: bigint[] = [];
    for (const id of pulseIds) {
      if (current.length > 0 && (current.length >= this.batchFrames || fileStartPulseId(id) !== fileStartPulseId(current[0]!))) {
        yield current;
        current = [];
      }
      current.push(id);
    }
    if (current.length > 0) yield current;
  }

  private async readBatch(ids: bigint[], first: number, pixels: Buffer, headers: Buffer[]): Promise<FrameBatch> {
    const runs = runsOf(ids.map(slotIndex));
    const perModule = await Promise.all(
      this.modules.map(async (module, k) => {
        const header = headers[k]!;
        const handle = await module.fileFor(ids[0]!);
        for (const run of runs) {
          const iov: Buffer[] = [];
          for (let j = 0; j < run.count; j++) {
            const f = run.frame + j;
            iov.push(header.subarray(f * SLOT_HEADER_BYTES, (f + 1) * SLOT_HEADER_BYTES));
            iov.push(pixels.subarray(f * this.frameBytes + k * MODULE_PIXEL_BYTES, f * this.frameBytes + (k + 1) * MODULE_PIXEL_BYTES));
          }
          const got = handle ? await module.readv(handle, iov, slotOffset(run.slot)) : 0;
          // Slots not read in full (absent or short file) read as missing.
          for (let j = Math.floor(got / SLOT_BYTES); j < run.count; j++) header[(run.frame + j) * SLOT_HEADER_BYTES] = 0;
        }
        return ids.map((id, f) => {
          const h = decodeSlotHeader(header, f * SLOT_HEADER_BYTES);
          return { status: slotStatus(h, id), header: h };
        });
      }),
    );
    const frames: BatchFrame[] = ids.map((pulseId, f) => {
      let good: { frameIndex: bigint; daqRec: bigint } | undefined;
      let isGoodFrame = true;
      const modules = perModule.map((slots, k) => {
        const { status, header } = slots[f]!;
        if (status === 'missing' || status === 'stale') {
          const at = f * this.frameBytes + k * MODULE_PIXEL_BYTES;
          pixels.fill(0, at, at + MODULE_PIXEL_BYTES);
        }
        if (status === 'good') good ??= header;
        else isGoodFrame = false;
        return status;
      });
      return { pulseId, modules, isGoodFrame, frameIndex: good?.frameIndex ?? 0n, daqRec: good?.daqRec ?? 0n };
    });
    return { first, frames, pixels, frameBytes: this.frameBytes };
  }
}

/** Runs of adjacent slots: the run's first slot, its first frame in the batch, and its length. */
function runsOf(slots: number[]): Array<{ slot: number; frame: number; count: number }> {
  const runs: Array<{ slot: number; frame: number; count: number }> = [];
  slots.forEach((slot, frame) => {
    const last = runs[runs.length - 1];
    // At most 256 slots (512 buffers) a readv: IOV_MAX is 1024.
    if (last && last.slot + last.count === slot && last.frame + last.count === frame && last.count < 256) last.count += 1;
    else runs.push({ slot, frame, count: 1 });
  });
  return runs;
}

/** One module's current buffer file, kept open across batches of the same file, read with readv. */
class ModuleFiles extends ModuleFile {
  /** readv until every buffer is full or the file ends; returns the bytes read. */
  async readv(handle: FileHandle, buffers: Buffer[], position: number): Promise<number> {
    const total = buffers.reduce((s, b) => s + b.length, 0);
    let done = 0;
    let rest = buffers;
    while (done < total) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.readv(rest, position + done));
      } catch (error) {
        throw new BufferUnavailable('detector', `cannot read detector buffer file ${this.path}: ${(error as Error).message}`, { cause: error });
      }
      if (bytesRead === 0) break;
      done += bytesRead;
      rest = skip(rest, bytesRead);
    }
    return done;
  }
}

/** The buffers after the first `bytes` bytes (a short readv continues where it stopped). */
function skip(buffers: Buffer[], bytes: number): Buffer[] {
  let left = bytes;
  let i = 0;
  while (i < buffers.length && left >= buffers[i]!.length) left -= buffers[i++]!.length;
  const rest = buffers.slice(i);
  if (rest.length > 0 && left > 0) rest[0] = rest[0]!.subarray(left);
  return rest;
}
