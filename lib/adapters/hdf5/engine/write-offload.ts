/**
 * The engine's large file writes on another thread. HDF5 (wasm, synchronous) writes a chunk with one
 * pwrite from the engine's thread, which is also the thread that reads the network: a camera file's
 * 386 MB of chunks cost as much of that thread as the HTTP read itself. With the offload installed, a
 * pwrite of at least `minBytes` is copied out of wasm memory and written by a worker thread, in order,
 * while HDF5 goes on; smaller writes (HDF5's metadata) stay synchronous.
 *
 * Ordering: writes of the worker land in the order given. A synchronous write or a read that overlaps a
 * region still on its way, an ftruncate, and closing or flushing a file wait for the worker first (the
 * hooks in native/hdf5-wasm/library-fd64.js, and H5File). A failed write fails the next call that waits.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { WRITE_WORKER_URL } from 'sfdaq-hdf5-engine';
import type { Hdf5EngineModule } from './module';

interface Region {
  fd: number;
  start: number;
  end: number;
}

/** No write done for this long while writes are pending: the thread is taken as gone. */
const STALL_MS = 120_000;

/**
 * @example
 *   const offload = new WriteOffload(mod);  // from now on pwrites >= 64 KiB go to the worker
 *   ...
 *   offload.drain();                        // before closing a file: every write landed
 */
export class WriteOffload {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** [0] writes done, [1] 1 once a write failed. */
  private readonly state = new Int32Array(new SharedArrayBuffer(8));
  private readonly pending: Region[] = [];
  private posted = 0;
  private popped = 0;
  private pendingBytes = 0;
  private failure: Error | undefined;
  /** Writes done here, synchronously, while set (closing a file: its descriptor closes inside HDF5). */
  private suspended = 0;

  constructor(private readonly mod: Hdf5EngineModule, private readonly minBytes = 64 << 10, private readonly maxPendingBytes = 64 << 20) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WRITE_WORKER_URL, { workerData: { port: port2, state: this.state }, transferList: [port2] });
    this.worker.unref();
    this.worker.on('error', (error) => {
      this.failure ??= new Error(`file write thread failed: ${error.message}`);
    });
    mod.sfdaqPwrite = (fd, ptr, len, position) => this.pwrite(fd, ptr, len, position);
    mod.sfdaqBeforeIo = (fd, position, len) => {
      if (this.overlaps(fd, position, position + len)) this.drain();
    };
  }

  /** Bytes of writes not yet landed. */
  get inFlightBytes(): number {
    this.settle();
    return this.pendingBytes;
  }

  /**
   * Waits until every write handed to the thread landed (at most `untilBytes` still in flight); throws
   * if one failed.
   */
  drain(untilBytes = 0): void {
    let last = Date.now();
    let lastDone = -1;
    for (;;) {
      this.settle();
      this.rethrow();
      if (this.pendingBytes <= untilBytes) return;
      const done = Atomics.load(this.state, 0);
      if (done !== lastDone) {
        lastDone = done;
        last = Date.now();
      } else if (Date.now() - last > STALL_MS) {
        throw new Error(`file write thread: no write done for ${STALL_MS / 1000} s (${this.pendingBytes} bytes pending)`);
      }
      Atomics.wait(this.state, 0, done, 1_000);
    }
  }

  /**
   * Runs `fn` with every write done synchronously (after the pending ones landed): for HDF5 calls that
   * close descriptors (H5Fclose).
   */
  synchronously<T>(fn: () => T): T {
    this.drain();
    this.suspended++;
    try {
      return fn();
    } finally {
      this.suspended--;
    }
  }

  private pwrite(fd: number, ptr: number, len: number, position: number): number {
    if (this.failure || this.suspended > 0 || len < this.minBytes) {
      // Written here, now: first whatever is still on its way to the same bytes.
      if (this.overlaps(fd, position, position + len)) this.drain();
      return -1;
    }
    const copy = this.mod.HEAPU8.slice(ptr, ptr + len);
    this.port.postMessage({ fd, position, bytes: copy.buffer }, [copy.buffer]);
    this.pending.push({ fd, start: position, end: position + len });
    this.posted++;
    this.pendingBytes += len;
    if (this.pendingBytes > this.maxPendingBytes) this.drain(this.maxPendingBytes / 2);
    return len;
  }

  /** Forgets the regions the thread has written. */
  private settle(): void {
    const done = Atomics.load(this.state, 0);
    while (this.popped < done && this.pending.length > 0) {
      const r = this.pending.shift()!;
      this.pendingBytes -= r.end - r.start;
      this.popped++;
    }
    if (Atomics.load(this.state, 1) === 1 && !this.failure) {
      const message = receiveMessageOnPort(this.port)?.message as { error?: string } | undefined;
      this.failure = new Error(`file write failed: ${message?.error ?? 'unknown error'}`);
    }
  }

  private overlaps(fd: number, start: number, end: number): boolean {
    this.settle();
    for (const r of this.pending) if (r.fd === fd && r.start < end && start < r.end) return true;
    return false;
  }

  private rethrow(): void {
    if (this.failure) throw this.failure;
  }
}
