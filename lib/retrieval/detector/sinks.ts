/**
 * Where a part's frames go, batch by batch (lib/retrieval/detector/part.ts):
 *
 * - RawSkeletonSink: pwrite into the run's pre-allocated raw file, the batch's
 *   frames in one write (they are contiguous there too), rows at the end.
 * - RawPartSink: a part file, each frame one chunk, bitshuffle+LZ4 by the
 *   compressor pool on every core (or the raw frame as the chunk).
 * - ConvertedPartSink: the kept frames converted (lib/core/jungfrau/converter)
 *   into a converted part file, compressed by the pool when asked.
 *
 * `write(batch)` resolves once the batch's buffer is no longer needed (the
 * reader refills it next); compression results are written in order as they
 * come, one frame compressing while the one before is written, so memory stays bounded.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { FrameBatch } from '../../adapters/buffers/detector/frame-batches';
import { ConvertedPartWriter } from '../../adapters/hdf5/detector/converted-files';
import { RawPartWriter, type RawSkeletonLayout } from '../../adapters/hdf5/detector/raw-files';
import type { CompressorPool } from '../../adapters/hdf5/engine';
import { compressPieces, type ChunkPieces } from '../../adapters/hdf5/detector/chunk-compress';
import type { Converter, ImageArray } from '../../core/jungfrau/converter';
import type { LayoutDataset } from '../../core/jungfrau/file-layout';
import { isPulsePickerEvent } from '../../core/jungfrau/pixel-word';
import { fullGc } from './conversion';

export interface Sink {
  /** Resolves when the batch's buffer may be reused. */
  write(batch: FrameBatch): Promise<void>;
  /** Writes of successive batches may run at once (positional writes only). */
  readonly overlapWrites?: boolean;
  /** Everything on disk and fsync'd; the part file renamed into place. Returns the bytes written. */
  finish(): Promise<{ writtenBytes: number; partFile?: string; keptFrames?: number }>;
  /** Stop after a failure: temp files removed. */
  abandon(): Promise<void>;
}

const PAGE = 4096;
const ZERO_PAGE = Buffer.alloc(PAGE);

/**
 * Writes into the skeleton at its offsets. `skipZeroPages`: pages of zeros are
 * not written (the fresh skeleton reads zeros there): a sparse simulated
 * buffer then costs no disk; on real frames no page is zero and the batch is
 * one write. Only on a part's first attempt: a retry must overwrite what an
 * earlier attempt may have left.
 */
export class RawSkeletonSink implements Sink {
  readonly overlapWrites = true;
  private written = 0;
  private readonly rows: { pulseId: BigUint64Array; frameIndex: BigUint64Array; daqRec: Uint32Array; isGoodFrame: Uint8Array };

  private constructor(private readonly handle: FileHandle, private readonly layout: RawSkeletonLayout, private readonly first: number, count: number, private readonly skipZeroPages: boolean) {
    this.rows = { pulseId: new BigUint64Array(count), frameIndex: new BigUint64Array(count), daqRec: new Uint32Array(count), isGoodFrame: new Uint8Array(count) };
  }

  /** @example const sink = await RawSkeletonSink.open(tempOfRawFile, manifest.raw.layout, range.first, range.count, attempt === 1); */
  static async open(path: string, layout: RawSkeletonLayout, first: number, count: number, skipZeroPages: boolean): Promise<RawSkeletonSink> {
    return new RawSkeletonSink(await open(path, 'r+'), layout, first, count, skipZeroPages);
  }

  async write(batch: FrameBatch): Promise<void> {
    const length = batch.frames.length * batch.frameBytes;
    const at = this.layout.offsets.data + (this.first + batch.first) * this.layout.frameBytes;
    const pixels = this.skipZeroPages ? this.writeNonZero(batch.pixels, length, at) : writeFully(this.handle, batch.pixels, 0, length, at);
    batch.frames.forEach((f, i) => {
      const r = batch.first + i;
      this.rows.pulseId[r] = BigInt.asUintN(64, f.pulseId);
      this.rows.frameIndex[r] = BigInt.asUintN(64, f.frameIndex);
      this.rows.daqRec[r] = Number(BigInt.asUintN(32, f.daqRec));
      this.rows.isGoodFrame[r] = f.isGoodFrame ? 1 : 0;
    });
    await pixels;
  }

  private async writeNonZero(buffer: Buffer, length: number, position: number): Promise<void> {
    let run = -1;
    for (let at = 0; at < length; at += PAGE) {
      const end = Math.min(at + PAGE, length);
      const zero = buffer.compare(ZERO_PAGE, 0, end - at, at, end) === 0;
      if (!zero && run < 0) run = at;
      if (zero && run >= 0) {
        await writeFully(this.handle, buffer, run, at - run, position + run);
        run = -1;
      }
    }
    if (run >= 0) await writeFully(this.handle, buffer, run, length - run, position + run);
  }

  async finish(): Promise<{ writtenBytes: number }> {
    const o = this.layout.offsets;
    const n = this.rows.pulseId.length;
    for (const [values, offset, size] of [[this.rows.pulseId, o.pulse_id, 8], [this.rows.frameIndex, o.frame_index, 8], [this.rows.daqRec, o.daq_rec, 4], [this.rows.isGoodFrame, o.is_good_frame, 1]] as const) {
      await writeFully(this.handle, Buffer.from(values.buffer, values.byteOffset, values.byteLength), 0, n * size, offset + this.first * size);
    }
    // On disk before the part says done: the run's file is renamed into place on the strength of it.
    await this.handle.datasync();
    await this.handle.close();
    this.written = n * this.layout.frameBytes;
    return { writtenBytes: this.written };
  }

  async abandon(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

async function writeFully(handle: FileHandle, buffer: Buffer, offset: number, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await handle.write(buffer, offset + done, length - done, position + done);
    done += bytesWritten;
  }
}

const GC_EVERY_BYTES = 256 << 20;

/** A chunk as the pool hands it (in pieces), or a frame's bytes as they are. */
type Pending = ChunkPieces | Uint8Array;

/** One buffer reused for every chunk laid out before its write (writeChunk copies it): no frame-sized garbage per frame. */
class Scratch {
  private buffer = new Uint8Array(0);
  /** The chunk's bytes, contiguous. */
  bytes(p: Pending): Uint8Array {
    if (p instanceof Uint8Array) return p;
    if (this.buffer.byteLength < p.byteLength) this.buffer = new Uint8Array(Math.ceil(p.byteLength * 1.125));
    return p.into(this.buffer);
  }
}

/** Results in submission order, at most `limit` pending; `take` writes each as it comes due. */
class Ordered {
  private readonly queue: Promise<Pending>[] = [];
  private readonly scratch = new Scratch();
  private sinceGc = 0;
  constructor(private readonly limit: number, private readonly take: (chunk: Uint8Array) => void) {}

  private write(p: Pending): void {
    this.take(this.scratch.bytes(p));
    // The pool hands each compressed piece back in a new buffer; V8 lets such garbage pile up to
    // hundreds of MB before a full collection (measured: 544 MB peak converting with compression,
    // 360 with this). A collection every 256 MB of pieces costs milliseconds.
    if (!(p instanceof Uint8Array) && (this.sinceGc += p.byteLength) > GC_EVERY_BYTES) {
      this.sinceGc = 0;
      fullGc();
    }
  }

  async push(chunk: Promise<Pending>): Promise<void> {
    chunk.catch(() => undefined); // awaited below; a failure must not surface as unhandled meanwhile
    this.queue.push(chunk);
    while (this.queue.length > this.limit) this.write(await this.queue.shift()!);
  }

  async drain(): Promise<void> {
    while (this.queue.length > 0) this.write(await this.queue.shift()!);
  }
}

/** A unique temp name per attempt: two attempts of a part running at once never write one file. */
const tempIn = (dir: string, name: string) => join(dir, `.${name}.${randomBytes(4).toString('hex')}.partial`);

/** A raw part file (compressed or not), renamed to `<dir>/<name>` when complete. */
export class RawPartSink implements Sink {
  private readonly ordered: Ordered;
  private next = 0;
  private written = 0;
  private readonly rows: Array<{ pulseId: bigint; frameIndex: bigint; daqRec: bigint; isGoodFrame: boolean }> = [];

  private constructor(private readonly writer: RawPartWriter, private readonly temp: string, private readonly target: string, private readonly pool: CompressorPool | undefined) {
    // One frame compressing (on every thread, in pieces) while the one before is written.
    this.ordered = new Ordered(pool ? 1 : 0, (chunk) => {
      const i = this.next++;
      this.writer.writeFrame(i, chunk, this.rows[i]!);
      this.written += chunk.byteLength;
    });
  }

  static async create(dir: string, name: string, options: { detector: string; modules: number; frames: number; compression: boolean }, pool: CompressorPool | undefined): Promise<RawPartSink> {
    const temp = tempIn(dir, name);
    return new RawPartSink(await RawPartWriter.create(temp, options), temp, join(dir, name), options.compression ? pool : undefined);
  }

  async write(batch: FrameBatch): Promise<void> {
    for (const [i, f] of batch.frames.entries()) {
      this.rows.push({ pulseId: f.pulseId, frameIndex: f.frameIndex, daqRec: f.daqRec, isGoodFrame: f.isGoodFrame });
      const frame = batch.pixels.subarray(i * batch.frameBytes, (i + 1) * batch.frameBytes);
      // The pool copies each piece as it takes it: the batch buffer stays untouched until this frame is
      // written, which happens before the batch after next is read into it (Ordered: one frame pending).
      await this.ordered.push(this.pool ? compressPieces(this.pool, frame, 2) : Promise.resolve(frame));
      if (!this.pool) await this.ordered.drain();
    }
  }

  async finish(): Promise<{ writtenBytes: number; partFile: string }> {
    await this.ordered.drain();
    this.writer.close();
    await syncAndRename(this.temp, this.target);
    return { writtenBytes: this.written, partFile: this.target };
  }

  async abandon(): Promise<void> {
    this.writer.abandon();
    await rm(this.temp, { force: true });
  }
}

/** What decides which frames a converted file keeps (jungfrau.md §5); the part's pulses are already the selected ones. */
export interface KeepRules {
  ppickerEventsOnly: boolean;
}

/** A converted part file: kept frames converted, chunked per frame, compressed by the pool when asked. */
export class ConvertedPartSink implements Sink {
  private readonly ordered: Ordered[];
  private out: ImageArray[] = [];
  private capacity = 0;
  private written = 0;
  private readonly rows = { pulseId: [] as bigint[], daqRec: [] as number[] };

  private constructor(
    private readonly writer: ConvertedPartWriter,
    private readonly temp: string,
    private readonly target: string,
    private readonly converter: Converter,
    private readonly rules: KeepRules,
    private readonly pool: CompressorPool | undefined,
    private readonly blockSizes: number[],
  ) {
    this.ordered = converter.images.map((_, image) => new Ordered(pool ? 1 : 0, (chunk) => {
      this.writer.appendFrames(image, [chunk]);
      this.written += chunk.byteLength;
    }));
  }

  static async create(dir: string, name: string, layout: readonly LayoutDataset[], detector: string, converter: Converter, rules: KeepRules, pool: CompressorPool | undefined): Promise<ConvertedPartSink> {
    const temp = tempIn(dir, name);
    const compressed = layout.some((d) => d.content.kind === 'image' && d.compression);
    const blockSizes = converter.images.map((_, i) => layout.find((d) => d.content.kind === 'image' && d.content.image === i)?.compression?.options[0] ?? 0);
    return new ConvertedPartSink(await ConvertedPartWriter.create(temp, layout, detector), temp, join(dir, name), converter, rules, compressed ? pool : undefined, blockSizes);
  }

  async write(batch: FrameBatch): Promise<void> {
    const kept: number[] = [];
    batch.frames.forEach((f, i) => {
      if (f.isGoodFrame && (!this.rules.ppickerEventsOnly || isPulsePickerEvent(Number(BigInt.asUintN(32, f.daqRec))))) kept.push(i);
    });
    if (kept.length === 0) return;
    if (this.capacity < batch.frames.length) {
      this.out = this.converter.allocate(batch.frames.length);
      this.capacity = batch.frames.length;
    }
    const words = new Uint16Array(batch.pixels.buffer, batch.pixels.byteOffset, (batch.frames.length * batch.frameBytes) / 2);
    // The converter refills its output arrays: every chunk taken from them must be compressed (and written) first.
    // On a few cores this costs little: the pool's threads and the conversion would only compete for them.
    for (const o of this.ordered) await o.drain();
    // Runs of consecutive kept frames convert together (the converter shares its table passes across frames).
    for (let k = 0; k < kept.length; ) {
      let end = k + 1;
      while (end < kept.length && kept[end] === kept[end - 1]! + 1) end++;
      const from = kept[k]!;
      const count = end - k;
      if (k > 0) for (const o of this.ordered) await o.drain();
      this.converter.convert(words.subarray(from * this.converter.frameWords), count, this.out.map((a, image) => a.subarray(0, count * pixelsOf(this.converter, image)) as ImageArray));
      for (let j = 0; j < count; j++) {
        const f = batch.frames[from + j]!;
        this.rows.pulseId.push(f.pulseId);
        this.rows.daqRec.push(Number(BigInt.asUintN(32, f.daqRec)));
        for (let image = 0; image < this.out.length; image++) {
          const per = pixelsOf(this.converter, image);
          const a = this.out[image]!;
          const bytes = new Uint8Array(a.buffer, a.byteOffset + j * per * a.BYTES_PER_ELEMENT, per * a.BYTES_PER_ELEMENT);
          await this.ordered[image]!.push(this.pool ? compressPieces(this.pool, bytes, a.BYTES_PER_ELEMENT, this.blockSizes[image]) : Promise.resolve(bytes));
          if (!this.pool) await this.ordered[image]!.drain();
        }
      }
      k = end;
    }
  }

  async finish(): Promise<{ writtenBytes: number; partFile: string; keptFrames: number }> {
    for (const o of this.ordered) await o.drain();
    const n = this.rows.pulseId.length;
    this.writer.close({ pulseId: BigUint64Array.from(this.rows.pulseId, (p) => BigInt.asUintN(64, p)), daqRec: Uint32Array.from(this.rows.daqRec), isGoodFrame: new Uint8Array(n).fill(1) });
    await syncAndRename(this.temp, this.target);
    return { writtenBytes: this.written, partFile: this.target, keptFrames: n };
  }

  async abandon(): Promise<void> {
    this.writer.abandon();
    await rm(this.temp, { force: true });
  }
}

const pixelsOf = (c: Converter, image: number) => c.images[image]!.shape[0] * c.images[image]!.shape[1];

async function syncAndRename(temp: string, target: string): Promise<void> {
  const handle = await open(temp, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, target);
}
