/**
 * From a full chunk of rows to the file: stored as it is (no filter), or shuffled and deflated (the
 * dataset's pipeline is shuffle + deflate) on this thread for small amounts and on the ChunkCompressor's
 * worker threads beyond, then written with H5Dwrite_chunk, grouped per dataset so that each grows once
 * per group. Synchronous like the writers that use it; memory bounded by `maxInFlightBytes`.
 */
import { shuffleDeflate } from 'sfdaq-hdf5-engine/chunk-codec';
import { ChunkCompressor, type ChunkTask } from './chunk-compressor';
import type { GrowingDataset } from './growing-dataset';

export interface ChunkPipelineOptions {
  /** gzip level of the datasets' deflate filter; null: the datasets have no filter, chunks are stored raw. */
  deflateLevel: number | null;
  /** Chunk bytes compressed on this thread before the worker threads are used (default 8 MiB): small files never start them. */
  inlineBytes?: number;
  /** Most chunk bytes with the workers at once (default 64 MiB). */
  maxInFlightBytes?: number;
  /** The worker pool (default: the process's). */
  compressor?: () => ChunkCompressor;
}

/** Chunks gathered for one message to a worker: back to back in `buffer`. */
interface OpenJob {
  buffer: Uint8Array;
  fill: number;
  tasks: ChunkTask[];
  /** Reserved chunk buffers not yet submitted or released. */
  outstanding: number;
  /** Takes no more chunks; sent once `outstanding` is 0. */
  closing: boolean;
}

/** A chunk other channels may repeat, compressed once: its raw bytes, then its stored form. */
interface SharedChunk {
  raw: Uint8Array;
  stored?: Uint8Array;
  waiting: { target: GrowingDataset; firstRow: number; rows: number }[];
}

interface PendingWrite {
  target: GrowingDataset;
  firstRow: number;
  /** Rows of data in the chunk (the rest is padding): the extent it needs is firstRow + rows. */
  rows: number;
  stored: Uint8Array;
  /** A chunk buffer to give back for reuse once written. */
  recycle?: ArrayBuffer;
}

/** Chunks gathered before writing them: dataset extents grow once per group. */
const WRITE_GROUP = 256;
/** Jobs sent to the workers hold about this many chunk bytes (fewer messages); their buffers twice that. */
const JOB_BYTES = 8 << 20;
/**
 * Job buffers kept for reuse: as many as can be in flight, so that a steady stream allocates none (a new
 * 16 MiB buffer each time costs page faults and, worse, garbage collections started by the external
 * memory it adds).
 */
const MAX_SPARE_JOBS = 12;
/** Recycled chunk buffers kept for reuse, at most. */
const FREE_BYTES = 64 << 20;

/**
 * @example
 *   const pipeline = new ChunkPipeline({ deflateLevel: 1 });
 *   buffer = pipeline.submit(ids, 0, 8192, buffer, 8);   // fill the returned buffer with the next chunk
 *   pipeline.finish();                                    // everything written
 */
export class ChunkPipeline {
  readonly deflateLevel: number | null;
  private readonly inlineBytes: number;
  private readonly maxInFlight: number;
  private readonly compressor: () => ChunkCompressor;
  private pool: ChunkCompressor | undefined;
  private inlineDone = 0;
  private scratch = new Uint8Array(0);
  private writes: PendingWrite[] = [];
  /** Jobs being gathered (the last takes new chunks); a closed one is sent once its reserved chunks are in. */
  private jobs: OpenJob[] = [];
  /** Chunk buffers handed out inside a job's buffer (reserve), by view. */
  private readonly reservations = new Map<Uint8Array, OpenJob>();
  private readonly spareJobBuffers: Uint8Array[] = [];
  private readonly free = new Map<number, ArrayBuffer[]>();
  private freeBytes = 0;
  private failure: Error | undefined;
  /** Results still coming back for an abandoned pipeline are dropped (its file is closed). */
  private abandoned = false;
  private readonly constants = new Map<string, Uint8Array>();
  /** Shareable chunks by role, first row and size (one per position: the last channel's). */
  private readonly shared = new Map<string, SharedChunk>();
  /** Stored bytes written so far (for logs and benchmarks). */
  storedBytes = 0;

  constructor(options: ChunkPipelineOptions) {
    this.deflateLevel = options.deflateLevel;
    this.inlineBytes = options.inlineBytes ?? 8 << 20;
    this.maxInFlight = options.maxInFlightBytes ?? 64 << 20;
    this.compressor = options.compressor ?? (() => ChunkCompressor.shared());
  }

  /** An empty chunk buffer of `bytes` (recycled or new; contents undefined). */
  buffer(bytes: number): Uint8Array {
    const list = this.free.get(bytes);
    const ab = list?.pop();
    if (ab) {
      this.freeBytes -= bytes;
      return new Uint8Array(ab);
    }
    return new Uint8Array(bytes);
  }

  /** Gives a chunk buffer back (e.g. a column that is done). */
  recycle(buffer: ArrayBuffer): void {
    if (this.freeBytes + buffer.byteLength > FREE_BYTES) return;
    let list = this.free.get(buffer.byteLength);
    if (!list) this.free.set(buffer.byteLength, (list = []));
    list.push(buffer);
    this.freeBytes += buffer.byteLength;
  }

  /**
   * Takes one whole chunk (`chunk` is the whole buffer, padded past `rows`) for the rows starting at
   * `firstRow`; returns the buffer to fill with the next chunk (the same one when compressing; when
   * storing raw, another: `chunk` then belongs to the pipeline until written).
   */
  submit(target: GrowingDataset, firstRow: number, rows: number, chunk: Uint8Array, elementSize: number, share?: string): Uint8Array {
    this.rethrow();
    const level = this.deflateLevel;
    if (level === null) {
      this.queueWrite({ target, firstRow, rows, stored: chunk, recycle: chunk.buffer as ArrayBuffer });
      return this.buffer(chunk.byteLength);
    }
    if (share !== undefined && !this.reservations.has(chunk)) {
      // Another channel's identical chunk (same pulses: same pulse_id, timestamp, global_date) is compressed once.
      const key = `${share}/${firstRow}/${rows}/${elementSize}`;
      const known = this.shared.get(key);
      if (known && Buffer.from(known.raw.buffer, known.raw.byteOffset, known.raw.byteLength).equals(chunk)) {
        if (known.stored) this.queueWrite({ target, firstRow, rows, stored: known.stored });
        else known.waiting.push({ target, firstRow, rows });
        return chunk;
      }
      const entry: SharedChunk = { raw: chunk.slice(), waiting: [] };
      this.shared.set(key, entry);
      const chunkBuffer = chunk;
      return this.compress(chunkBuffer, elementSize, level, (stored) => {
        entry.stored = stored;
        this.queueWrite({ target, firstRow, rows, stored });
        for (const w of entry.waiting) this.queueWrite({ ...w, stored });
        entry.waiting = [];
      });
    }
    return this.compress(chunk, elementSize, level, (stored) => this.queueWrite({ target, firstRow, rows, stored }));
  }

  /** Compresses one chunk, here or on the workers; `store` receives the stored bytes (now or during a later drain). */
  private compress(chunk: Uint8Array, elementSize: number, level: number, store: (stored: Uint8Array) => void): Uint8Array {
    const reserved = this.reservations.get(chunk);
    if (!reserved && !this.pool && this.inlineDone + chunk.byteLength <= this.inlineBytes) {
      this.inlineDone += chunk.byteLength;
      if (this.scratch.length < chunk.byteLength) this.scratch = new Uint8Array(chunk.byteLength);
      store(shuffleDeflate(chunk, elementSize, level, this.scratch));
      return chunk;
    }
    this.pool ??= this.compressor();
    const bytes = chunk.byteLength;
    const task = {
      length: bytes,
      elementSize,
      done: (stored: Uint8Array) => {
        if (this.abandoned) return;
        // Called from whichever pipeline drains the shared pool: an error stays this pipeline's.
        try {
          store(stored);
        } catch (error) {
          this.failure ??= error as Error;
        }
      },
    };
    let job: OpenJob;
    if (reserved) {
      // Filled in place in the job's buffer: no copy.
      this.reservations.delete(chunk);
      job = reserved;
      job.tasks.push({ ...task, offset: chunk.byteOffset });
      job.outstanding--;
    } else {
      // Copied into the job's buffer (one transfer per job, not per chunk); the chunk stays the caller's.
      job = this.openJob(bytes);
      job.buffer.set(chunk, job.fill);
      job.tasks.push({ ...task, offset: job.fill });
      job.fill += bytes;
    }
    if (job.fill >= JOB_BYTES) job.closing = true;
    this.postReady();
    // The caller's next chunk: in place in a job's buffer when it came from one.
    return reserved ? (this.reserve(bytes) ?? this.buffer(bytes)) : chunk;
  }

  /**
   * A chunk buffer of `bytes` inside a job's buffer, when chunks go to the worker threads: the caller
   * fills it and hands it to `submit` (or `release`) as it is, and nothing is copied. For chunks filled
   * quickly (waveform rows): a job is sent only once all its reserved chunks came back.
   */
  reserve(bytes: number): Uint8Array | undefined {
    if (this.deflateLevel === null || !this.pool || bytes > JOB_BYTES) return undefined;
    const job = this.openJob(bytes);
    const view = job.buffer.subarray(job.fill, job.fill + bytes);
    job.fill += bytes;
    job.outstanding++;
    this.reservations.set(view, job);
    return view;
  }

  /** Gives back a reserved chunk buffer that holds no rows. */
  release(view: Uint8Array): void {
    const job = this.reservations.get(view);
    if (!job) {
      this.recycle(view.buffer as ArrayBuffer);
      return;
    }
    this.reservations.delete(view);
    job.outstanding--;
    this.postReady();
  }

  /** The job taking new chunks, with room for `bytes` (a full one is closed and a new one opened). */
  private openJob(bytes: number): OpenJob {
    let job = this.jobs.at(-1);
    if (!job || job.closing || job.fill + bytes > job.buffer.length) {
      if (job) job.closing = true;
      const buffer = bytes <= JOB_BYTES * 2 ? (this.spareJobBuffers.pop() ?? new Uint8Array(JOB_BYTES * 2)) : new Uint8Array(bytes);
      job = { buffer, fill: 0, tasks: [], outstanding: 0, closing: false };
      this.jobs.push(job);
    }
    return job;
  }

  /** Sends every closed job whose chunks are all in; `all`: close the open one too. */
  private postReady(all = false): void {
    let posted = false;
    for (let i = 0; i < this.jobs.length; ) {
      const job = this.jobs[i]!;
      if (all) job.closing = true;
      if (!job.closing || job.outstanding > 0) {
        i++;
        continue;
      }
      this.jobs.splice(i, 1);
      if (job.tasks.length === 0) {
        this.spareJobBuffers.push(job.buffer);
        continue;
      }
      posted = true;
      this.pool!.post(
        this.deflateLevel ?? 0,
        job.buffer.buffer as ArrayBuffer,
        job.tasks,
        (error) => {
          if (!this.abandoned) this.failure ??= error;
        },
        (returned) => {
          if (returned.byteLength === JOB_BYTES * 2 && this.spareJobBuffers.length < MAX_SPARE_JOBS) this.spareJobBuffers.push(new Uint8Array(returned));
        },
      );
    }
    // Results already back are written now; beyond the bound, wait for the workers.
    if (posted) this.pool!.drain(this.pool!.inFlightBytes > this.maxInFlight ? { untilBytes: this.maxInFlight / 2 } : {});
  }

  /**
   * The stored form of a chunk whose every byte is `value` (e.g. is_data_present's 1s), made once per
   * size: such a chunk costs a write, never a compression.
   */
  constantChunk(value: number, bytes: number, elementSize: number): Uint8Array {
    const key = `${value}/${bytes}/${elementSize}`;
    let stored = this.constants.get(key);
    if (!stored) {
      const raw = new Uint8Array(bytes).fill(value);
      stored = this.deflateLevel === null ? raw : Uint8Array.from(shuffleDeflate(raw, elementSize, this.deflateLevel, new Uint8Array(bytes)));
      this.constants.set(key, stored);
    }
    return stored;
  }

  /** Queues an already stored chunk (as constantChunk gives). */
  submitStored(target: GrowingDataset, firstRow: number, rows: number, stored: Uint8Array): void {
    this.rethrow();
    this.queueWrite({ target, firstRow, rows, stored });
  }

  /** Everything submitted is compressed and written; datasets have their final extents. */
  finish(): void {
    this.rethrow();
    if (this.pool) this.postReady(true);
    this.pool?.drain({ untilBytes: 0 });
    this.rethrow();
    this.flushWrites();
  }

  /** Stop writing: pending and returning chunks are dropped (the file is being thrown away). */
  abandon(): void {
    this.abandoned = true;
    this.writes = [];
    this.jobs = [];
    this.reservations.clear();
  }

  private queueWrite(write: PendingWrite): void {
    this.writes.push(write);
    if (this.writes.length >= WRITE_GROUP) this.flushWrites();
  }

  private flushWrites(): void {
    const writes = this.writes;
    if (writes.length === 0) return;
    this.writes = [];
    const need = new Map<GrowingDataset, number>();
    for (const w of writes) need.set(w.target, Math.max(need.get(w.target) ?? 0, w.firstRow + w.rows));
    for (const [target, rows] of need) target.grow(rows);
    for (const w of writes) {
      w.target.writeChunk(w.firstRow, w.stored);
      this.storedBytes += w.stored.byteLength;
      if (w.recycle) this.recycle(w.recycle);
    }
  }

  private rethrow(): void {
    if (this.failure) throw this.failure;
  }
}
