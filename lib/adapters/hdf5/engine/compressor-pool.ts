/**
 * Bitshuffle + LZ4 (filter 32008 chunks) on every core: worker threads, each with its own instance of
 * the engine's wasm. Each call answers its own chunk; `compressAll` and `compressOrdered` keep order.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { COMPRESSOR_WORKER_URL, wasmBinary as engineWasm } from 'sfdaq-hdf5-engine';

export interface CompressorPoolOptions {
  /** Worker threads; default: the number of cores. */
  threads?: number;
}

interface Task {
  resolve: (bytes: Uint8Array) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: number;
}

/**
 * @example
 *   const pool = await CompressorPool.create();
 *   const chunks = await pool.compressAll(frames, 2);   // in order
 *   for await (const chunk of pool.compressOrdered(readFrames(), 2)) ds.writeChunk([i++, 0, 0], chunk);
 *   await pool.close();
 */
export class CompressorPool {
  private readonly tasks = new Map<number, Task>();
  private nextId = 1;
  private closed = false;

  private constructor(private readonly slots: Slot[], readonly simd: boolean) {}

  /** Starts the workers and waits until each has loaded the wasm. */
  static async create({ threads = availableParallelism() }: CompressorPoolOptions = {}): Promise<CompressorPool> {
    const wasmBinary = engineWasm();
    const url = COMPRESSOR_WORKER_URL;
    const started = await Promise.all(
      Array.from({ length: Math.max(1, threads) }, () => {
        const worker = new Worker(url, { workerData: { wasmBinary } });
        return new Promise<{ worker: Worker; simd: boolean }>((resolve, reject) => {
          const onError = (e: Error) => reject(e);
          worker.once('error', onError);
          worker.once('message', (m: { ready?: boolean; simd?: boolean }) => {
            worker.off('error', onError);
            if (m.ready) resolve({ worker, simd: Boolean(m.simd) });
            else reject(new Error('compressor worker: unexpected first message'));
          });
        });
      }),
    );
    const pool = new CompressorPool(started.map(({ worker }) => ({ worker, pending: 0 })), started.every((s) => s.simd));
    for (const slot of pool.slots) pool.listen(slot);
    return pool;
  }

  get threads(): number {
    return this.slots.length;
  }

  /** One chunk in filter 32008's format (see H5Engine.bitshuffleLz4Compress). The input is copied. */
  compress(bytes: ArrayBufferView, elementSize: number, blockSize = 0): Promise<Uint8Array> {
    return this.submit('compress', bytes, elementSize, blockSize);
  }

  /** The data of one filter-32008 chunk. */
  decompress(chunk: ArrayBufferView, elementSize: number): Promise<Uint8Array> {
    return this.submit('decompress', chunk, elementSize, 0);
  }

  /** Compresses every chunk in parallel; the results in input order. */
  compressAll(chunks: Iterable<ArrayBufferView>, elementSize: number, blockSize = 0): Promise<Uint8Array[]> {
    return Promise.all(Array.from(chunks, (c) => this.compress(c, elementSize, blockSize)));
  }

  /**
   * Compresses a stream of chunks, yielding the results in input order with at most `inFlight`
   * (default 2 per thread) chunks in the pool: bounded memory for any number of frames.
   */
  async *compressOrdered(
    source: Iterable<ArrayBufferView> | AsyncIterable<ArrayBufferView>,
    elementSize: number,
    { blockSize = 0, inFlight = 2 * this.slots.length }: { blockSize?: number; inFlight?: number } = {},
  ): AsyncGenerator<Uint8Array> {
    const queue: Promise<Uint8Array>[] = [];
    for await (const chunk of source) {
      queue.push(this.compress(chunk, elementSize, blockSize));
      if (queue.length >= inFlight) yield await queue.shift()!;
    }
    while (queue.length > 0) yield await queue.shift()!;
  }

  /** Stops the workers; pending calls are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    for (const task of this.tasks.values()) task.reject(new Error('compressor pool closed'));
    this.tasks.clear();
  }

  private submit(op: 'compress' | 'decompress', bytes: ArrayBufferView, elementSize: number, blockSize: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error('compressor pool closed'));
    const slot = this.slots.reduce((a, b) => (b.pending < a.pending ? b : a));
    const id = this.nextId++;
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return new Promise<Uint8Array>((resolve, reject) => {
      this.tasks.set(id, { resolve, reject });
      if (slot.pending++ === 0) slot.worker.ref();
      slot.worker.postMessage({ id, op, bytes: copy, elementSize, blockSize }, [copy.buffer]);
    });
  }

  private listen(slot: Slot): void {
    slot.worker.unref();
    slot.worker.on('message', (m: { id: number; bytes?: Uint8Array; error?: string }) => {
      const task = this.tasks.get(m.id);
      if (!task) return;
      this.tasks.delete(m.id);
      if (--slot.pending === 0) slot.worker.unref();
      if (m.error !== undefined || !m.bytes) task.reject(new Error(m.error ?? 'compressor worker: no result'));
      else task.resolve(m.bytes);
    });
    slot.worker.on('error', (e) => {
      for (const [id, task] of this.tasks) {
        task.reject(e);
        this.tasks.delete(id);
      }
    });
  }
}
