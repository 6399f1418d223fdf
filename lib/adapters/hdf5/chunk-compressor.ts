/**
 * Shuffle + deflate of dataset chunks on worker threads, for writers whose API is synchronous.
 *
 * Results come back on a MessagePort per worker that nobody listens to: the writer takes them with
 * `receiveMessageOnPort` whenever it is called (`drain`), and, when it must wait (too much in flight, or
 * closing), sleeps in `Atomics.wait` on a counter each worker bumps after posting a result. So the
 * writers keep their synchronous `append`/`close`, the workers compress while the writer's thread reads
 * the network, and a writer never holds more than `maxInFlightBytes` of chunks in flight.
 *
 * One pool per process (`ChunkCompressor.shared()`), started on first use; its threads are unref'd, so
 * an idle pool keeps nothing alive.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { CHUNK_WORKER_URL } from 'sfdaq-hdf5-engine';

/** One chunk of a job: `length` bytes at `offset` of the job's buffer. */
export interface ChunkTask {
  offset: number;
  length: number;
  elementSize: number;
  /** Called (during a later `drain`) with the stored bytes. */
  done(stored: Uint8Array): void;
}

interface Job {
  tasks: ChunkTask[];
  bytes: number;
  fail(error: Error): void;
  /** Receives the job's input buffer back, for reuse. */
  returned(buffer: ArrayBuffer): void;
}

interface Slot {
  worker: Worker;
  port: MessagePort;
  pendingBytes: number;
}

interface Result {
  id: number;
  out?: ArrayBuffer;
  ends?: Int32Array;
  input: ArrayBuffer;
  error?: string;
}

/** No result for this long while work is in flight: the workers are taken as gone. */
const STALL_MS = 120_000;

let shared: ChunkCompressor | undefined;

/**
 * @example
 *   const pool = ChunkCompressor.shared();
 *   pool.post(1, [{ buffer, length, elementSize: 8, done: (stored) => ds.writeChunk([row], stored) }], (e) => { throw e; });
 *   pool.drain({ untilBytes: 0 });   // every result handled
 */
export class ChunkCompressor {
  private readonly slots: Slot[];
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly jobs = new Map<number, Job>();
  private readonly slotOf = new Map<number, Slot>();
  private nextId = 1;
  /** Bytes of chunks posted and not yet answered. */
  inFlightBytes = 0;

  private constructor(threads: number) {
    this.slots = Array.from({ length: threads }, () => {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(CHUNK_WORKER_URL, { workerData: { port: port2, signal: this.signal }, transferList: [port2] });
      worker.unref();
      // A worker that dies without answering: its jobs fail at the next drain (see fail below).
      worker.on('error', (error) => this.failSlot(slot, error));
      const slot: Slot = { worker, port: port1, pendingBytes: 0 };
      return slot;
    });
  }

  /** The process's pool: one thread per core (at least 1), started on first call. */
  static shared(): ChunkCompressor {
    shared ??= new ChunkCompressor(Math.max(1, availableParallelism()));
    return shared;
  }

  get threads(): number {
    return this.slots.length;
  }

  /**
   * Sends one job to the least busy worker: the chunks lie back to back in `buffer`, which is
   * transferred (one transfer per job, whatever its number of chunks) and comes back through
   * `returned`. `fail` receives a worker's error for this job.
   *
   * @example
   *   pool.post(1, jobBuffer, [{ offset: 0, length: 65536, elementSize: 4, done: (stored) => write(stored) }], fail, reuse);
   */
  post(level: number, buffer: ArrayBuffer, tasks: ChunkTask[], fail: (error: Error) => void, returned: (buffer: ArrayBuffer) => void): void {
    if (tasks.length === 0) return;
    const id = this.nextId++;
    const bytes = tasks.reduce((n, t) => n + t.length, 0);
    const slot = this.slots.reduce((a, b) => (b.pendingBytes < a.pendingBytes ? b : a));
    slot.pendingBytes += bytes;
    this.inFlightBytes += bytes;
    this.jobs.set(id, { tasks, bytes, fail, returned });
    this.slotOf.set(id, slot);
    slot.port.postMessage(
      {
        id,
        level,
        input: buffer,
        offsets: Int32Array.from(tasks, (t) => t.offset),
        lengths: Int32Array.from(tasks, (t) => t.length),
        elementSizes: Int32Array.from(tasks, (t) => t.elementSize),
      },
      [buffer],
    );
  }

  /**
   * Handles every result already back; then, while more than `untilBytes` are in flight, waits for more.
   * Without `untilBytes` it never waits.
   */
  drain({ untilBytes }: { untilBytes?: number } = {}): void {
    let lastProgress = Date.now();
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      let got = false;
      for (const slot of this.slots) {
        for (let m = receiveMessageOnPort(slot.port); m; m = receiveMessageOnPort(slot.port)) {
          this.handle(m.message as Result);
          got = true;
        }
      }
      if (untilBytes === undefined || this.inFlightBytes <= untilBytes) return;
      if (got) {
        lastProgress = Date.now();
        continue;
      }
      if (Date.now() - lastProgress > STALL_MS) {
        throw new Error(`chunk compression: no answer from the worker threads for ${STALL_MS / 1000} s (${this.inFlightBytes} bytes in flight)`);
      }
      Atomics.wait(this.signal, 0, seen, 1_000);
    }
  }

  private handle(result: Result): void {
    const job = this.jobs.get(result.id);
    if (!job) return;
    this.jobs.delete(result.id);
    const slot = this.slotOf.get(result.id);
    this.slotOf.delete(result.id);
    if (slot) slot.pendingBytes -= job.bytes;
    this.inFlightBytes -= job.bytes;
    job.returned(result.input);
    if (result.error !== undefined || !result.out || !result.ends) {
      job.fail(new Error(`chunk compression failed: ${result.error ?? 'no result'}`));
      return;
    }
    const out = new Uint8Array(result.out);
    let at = 0;
    job.tasks.forEach((task, i) => {
      const end = result.ends![i]!;
      task.done(out.subarray(at, end));
      at = end;
    });
  }

  /** A worker died: its jobs fail (reported by their owners), and it is replaced at the next start. */
  private failSlot(slot: Slot, error: Error): void {
    for (const [id, s] of this.slotOf) {
      if (s !== slot) continue;
      const job = this.jobs.get(id);
      this.jobs.delete(id);
      this.slotOf.delete(id);
      if (job) {
        this.inFlightBytes -= job.bytes;
        job.fail(new Error(`chunk compression worker failed: ${error.message}`));
      }
    }
    slot.pendingBytes = 0;
    if (shared === this) shared = undefined;
  }
}
