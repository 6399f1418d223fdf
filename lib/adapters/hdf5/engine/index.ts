/**
 * The HDF5 engine: libhdf5 1.10.8 compiled to WebAssembly (native/hdf5-wasm) with what h5wasm lacks:
 * direct chunk writes (H5Dwrite_chunk), virtual datasets, a contiguous dataset's file offset, h5py's
 * bool enum, shuffle + deflate, and bitshuffle + LZ4 (filter 32008) compiled in with wasm SIMD.
 *
 * One engine per process or worker thread (`await H5Engine.load()`); it reads and writes real files
 * through Node's fs. It is a separate HDF5 instance from h5wasm's: never open one file in both at once.
 *
 * @example
 *   const engine = await H5Engine.load();
 *   const file = engine.create('/data/run_000001.CAMERAS.h5');
 *   file.setAttribute('file_create_datetime', '2025-06-01T12:00:00.000Z');
 *   const data = file.createDataset('CAM:FPICTURE/data', {
 *     dtype: 'uint16', shape: [0, 1024, 1280], maxshape: [null, 1024, 1280], chunks: [1, 1024, 1280],
 *     filters: { bitshuffleLz4: true },
 *   });
 *   data.resize([1, 1024, 1280]);
 *   data.writeChunk([0, 0, 0], blobFromTheDataApi);  // stored as received
 *   file.close();
 */
import { bitshuffleLz4Compress, bitshuffleLz4Decompress } from './bitshuffle';
import { allocTyped, dtypeCode, dtypeOfCode, dtypeSize, isStringDtype, type Dtype, type TypedArray } from './dtypes';
import { instantiate, withBlocks, withBytes, withDoubles, withStrings, type Hdf5EngineModule } from './module';

export type { Dtype, FixedStringDtype, NumericDtype, TypedArray } from './dtypes';
export { CompressorPool, type CompressorPoolOptions } from './compressor-pool';
export { BSHUF_FILTER_ID, checkBitshuffleChunk, parseBitshuffleHeader } from './bitshuffle';

/** An HDF5 call failed; the message carries HDF5's error stack, innermost cause first. */
export class H5EngineError extends Error {
  override readonly name = 'H5EngineError';
}

/** Filters of a chunked dataset, applied in this order: shuffle, bitshuffle + LZ4, deflate. */
export interface Filters {
  /** Byte shuffle (HDF5 filter 2). */
  shuffle?: boolean;
  /** gzip level 0-9 (HDF5 filter 1): readable by any HDF5 without plugins. */
  deflate?: number;
  /**
   * Bitshuffle + LZ4 (filter 32008), declared optional with cd_values (0, 2, elem_size, blockSize, 2)
   * like h5py + hdf5plugin; `blockSize` in elements, 0 = bitshuffle's default (8 KiB / element size).
   */
  bitshuffleLz4?: boolean | { blockSize: number };
  /** Fletcher32 checksum (filter 3). */
  fletcher32?: boolean;
}

export interface DatasetOptions {
  dtype: Dtype;
  /** [] for a scalar. */
  shape: readonly number[];
  /** Per axis the maximum, null = unlimited (needs a chunked layout). Default: shape. */
  maxshape?: readonly (number | null)[];
  /** Default: 'chunked' when chunks, filters or an unlimited axis are given, else 'contiguous'. */
  layout?: 'contiguous' | 'chunked' | 'compact';
  chunks?: readonly number[];
  filters?: Filters;
  /**
   * When file space is allocated. 'early' with a contiguous layout reserves the whole dataset at
   * creation, so `offset()` is known at once and other processes can pwrite into it.
   */
  allocTime?: 'default' | 'early' | 'incremental' | 'late';
  /** false: never write fill values (faster early allocation; unwritten bytes read as whatever is on disk, zeros in a new file). */
  fill?: boolean;
}

/** A hyperslab: `count` elements per axis from `start`. */
export interface Selection {
  start: readonly number[];
  count: readonly number[];
}

export interface VirtualMapping {
  /** The part file; relative paths are looked up beside the virtual dataset's file. "." = the same file. */
  sourceFile: string;
  sourceDataset: string;
  /** The source dataset's shape; default: sourceSelection's start + count. */
  sourceShape?: readonly number[];
  sourceSelection: Selection;
  destSelection: Selection;
}

export interface VirtualDatasetOptions {
  dtype: Dtype;
  shape: readonly number[];
  maxshape?: readonly (number | null)[];
  mappings: readonly VirtualMapping[];
}

/** An attribute value: string (variable-length UTF-8), number (float64 unless `dtype`), bigint (int64), or arrays of those. */
export type AttributeValue = string | number | bigint | readonly number[] | readonly bigint[] | TypedArray;

let loading: Promise<H5Engine> | undefined;

/** One libhdf5 instance (per process or worker thread). */
export class H5Engine {
  private constructor(readonly mod: Hdf5EngineModule) {}

  /**
   * The engine of this process/thread, loaded once (about 100 ms the first time).
   *
   * @example
   *   const engine = await H5Engine.load();
   */
  static load(): Promise<H5Engine> {
    loading ??= instantiate().then((mod) => new H5Engine(mod));
    return loading;
  }

  /** A separate engine with its own memory (tests; the pool's workers load their own). */
  static async loadIsolated(): Promise<H5Engine> {
    return new H5Engine(await instantiate());
  }

  /**
   * Creates a file, replacing any file of that name unless `overwrite` is false.
   *
   * @example
   *   const file = engine.create('/tmp/x.h5');
   */
  create(path: string, { overwrite = true }: { overwrite?: boolean } = {}): H5File {
    const h = withStrings(this.mod, [path], (p) => this.mod._h5e_file_create(p!, overwrite ? 1 : 0));
    return new H5File(this, this.check(h, `create ${path}`), path, 'r+');
  }

  /**
   * Opens an existing file read-only ('r') or for writing ('r+').
   *
   * @example
   *   const file = engine.open('/tmp/x.h5', 'r+');
   */
  open(path: string, mode: 'r' | 'r+' = 'r'): H5File {
    const h = withStrings(this.mod, [path], (p) => this.mod._h5e_file_open(p!, mode === 'r+' ? 1 : 0));
    return new H5File(this, this.check(h, `open ${path}`), path, mode);
  }

  /**
   * Bitshuffle + LZ4 of `bytes` in filter 32008's chunk format (12-byte header + blocks), the same
   * bytes h5py + hdf5plugin store and the Data API sends: ready for `writeChunk`.
   *
   * @example
   *   const chunk = engine.bitshuffleLz4Compress(new Uint16Array(image), 2);
   */
  bitshuffleLz4Compress(bytes: ArrayBufferView, elementSize: number, blockSize = 0): Uint8Array {
    return bitshuffleLz4Compress(this.mod, bytes, elementSize, blockSize);
  }

  /** The data of a filter-32008 chunk (its declared size), refusing truncated or corrupt chunks. */
  bitshuffleLz4Decompress(chunk: ArrayBufferView, elementSize: number): Uint8Array {
    return bitshuffleLz4Decompress(this.mod, chunk, elementSize);
  }

  /** Whether bitshuffle runs its SSE2 path (on wasm SIMD). */
  get simd(): boolean {
    return this.mod._h5e_bshuf_using_sse2() === 1;
  }

  /** Whether HDF5 here has a filter (1 deflate, 2 shuffle, 3 fletcher32, 32008 bitshuffle). */
  hasFilter(id: number): boolean {
    return this.mod._h5e_filter_avail(id) === 1;
  }

  /** Handles open in the shim (files, groups, datasets): 0 once everything is closed. */
  get openObjects(): number {
    return this.mod._h5e_open_object_count();
  }

  private scratch = { offsets: 0, data: 0, capacity: 0 };

  /**
   * @internal Wasm memory for one writeChunk call (offsets: 32 doubles; data: at least `bytes`), kept
   * and grown as needed. Valid until the next call.
   */
  chunkScratch(rank: number, bytes: number): { offsets: number; data: number } {
    if (rank > 32) throw new RangeError(`rank ${rank} > 32`);
    const s = this.scratch;
    if (s.offsets === 0) {
      s.offsets = this.mod._malloc(32 * 8);
      if (s.offsets === 0) throw new RangeError('HDF5 engine: cannot allocate wasm memory');
    }
    if (bytes > s.capacity) {
      if (s.data) this.mod._free(s.data);
      s.capacity = Math.max(bytes, s.capacity * 2, 1 << 16);
      s.data = this.mod._malloc(s.capacity);
      if (s.data === 0) {
        s.capacity = 0;
        throw new RangeError(`HDF5 engine: cannot allocate ${bytes} bytes of wasm memory`);
      }
    }
    return { offsets: s.offsets, data: s.data };
  }

  /** @internal Throws H5EngineError when a shim call failed (negative result). */
  check(result: number, what: string): number {
    if (result < 0) throw new H5EngineError(`${what}: ${this.mod.UTF8ToString(this.mod._h5e_last_error()).replace(/\s*\n\s*/g, ' ')}`);
    return result;
  }
}

/** A file or group: where groups, datasets and attributes live. */
export abstract class H5Location {
  constructor(readonly engine: H5Engine, protected handle: number, readonly name: string) {}

  protected get mod(): Hdf5EngineModule {
    return this.engine.mod;
  }

  /** @internal the shim handle; throws once closed. */
  get id(): number {
    if (this.handle <= 0) throw new H5EngineError(`${this.name}: already closed`);
    return this.handle;
  }

  /**
   * Creates a group and any missing parents.
   *
   * @example
   *   file.createGroup('data/SAR-CVME-TIFALL5:EvtSet');
   */
  createGroup(path: string): H5Group {
    const h = withStrings(this.mod, [path], (p) => this.mod._h5e_group_create(this.id, p!));
    return new H5Group(this.engine, this.engine.check(h, `create group ${path}`), path);
  }

  /** Opens an existing group. */
  group(path: string): H5Group {
    return new H5Group(this.engine, this.openObject(path, 0), path);
  }

  /** Opens an existing dataset. */
  dataset(path: string): H5Dataset {
    return new H5Dataset(this.engine, this.openObject(path, 1), path);
  }

  /** Whether every part of the path exists. */
  exists(path: string): boolean {
    return this.engine.check(withStrings(this.mod, [path], (p) => this.mod._h5e_exists(this.id, p!)), `exists ${path}`) === 1;
  }

  /**
   * Creates a dataset (missing parent groups too).
   *
   * @example
   *   file.createDataset('data/CH/pulse_id', { dtype: 'int64', shape: [0], maxshape: [null], chunks: [8192],
   *                                          filters: { shuffle: true, deflate: 4 } });
   *   file.createDataset('data/JF/data', { dtype: 'uint16', shape: [n, 1536, 1024], allocTime: 'early' });
   */
  createDataset(path: string, options: DatasetOptions): H5Dataset {
    const { dtype, shape } = options;
    const rank = shape.length;
    const maxshape = options.maxshape ?? shape;
    if (maxshape.length !== rank) throw new RangeError(`${path}: maxshape has rank ${maxshape.length}, shape ${rank}`);
    const filters = options.filters ?? {};
    const anyFilter = Boolean(filters.shuffle || filters.bitshuffleLz4 || filters.fletcher32 || filters.deflate !== undefined);
    const layout = options.layout ?? (options.chunks || anyFilter || maxshape.some((m) => m === null) ? 'chunked' : 'contiguous');
    if (layout !== 'chunked' && anyFilter) throw new RangeError(`${path}: filters need a chunked layout`);
    let chunks = options.chunks;
    if (layout === 'chunked' && !chunks) throw new RangeError(`${path}: a chunked dataset needs chunks`);
    if (chunks && chunks.length !== rank) throw new RangeError(`${path}: chunks have rank ${chunks.length}, shape ${rank}`);
    chunks ??= shape.map(() => 0);
    const bshuf = filters.bitshuffleLz4;
    const opts = Int32Array.of(
      layout === 'chunked' ? 1 : layout === 'compact' ? 2 : 0,
      { default: 0, early: 1, incremental: 2, late: 3 }[options.allocTime ?? 'default'],
      filters.shuffle ? 1 : 0,
      filters.deflate ?? -1,
      bshuf ? 1 : 0,
      typeof bshuf === 'object' ? bshuf.blockSize : 0,
      filters.fletcher32 ? 1 : 0,
      options.fill === false ? 1 : 0,
    );
    const h = withStrings(this.mod, [path], (p) =>
      withDoubles(this.mod, shape, (d) =>
        withDoubles(this.mod, maxshape.map((m) => (m === null ? -1 : m)), (m) =>
          withDoubles(this.mod, chunks, (c) =>
            withBytes(this.mod, opts, (o) => this.mod._h5e_dataset_create(this.id, p!, dtypeCode(dtype), rank, d, m, c, o))))));
    return new H5Dataset(this.engine, this.engine.check(h, `create dataset ${path}`), path);
  }

  /**
   * A string dataset written at once: a scalar for one string, 1-D for an array.
   *
   * @example
   *   file.createStringDataset('general/detector_name', 'JF01T03V01', { ascii: true });  // as sf_writer
   *   file.createStringDataset('data/CH/global_date', dates, { chunks: [1024], filters: { shuffle: true, deflate: 4 } });
   */
  createStringDataset(
    path: string,
    value: string | readonly string[],
    options: { ascii?: boolean; chunks?: readonly number[]; maxshape?: readonly (number | null)[]; filters?: Filters } = {},
  ): H5Dataset {
    const values = typeof value === 'string' ? [value] : value;
    const shape = typeof value === 'string' ? [] : [values.length];
    const ds = this.createDataset(path, {
      dtype: options.ascii ? 'ascii' : 'string',
      shape,
      ...(options.maxshape ? { maxshape: options.maxshape } : {}),
      ...(options.chunks ? { chunks: options.chunks } : {}),
      ...(options.filters ? { filters: options.filters } : {}),
    });
    if (values.length > 0) ds.writeStrings(shape.map(() => 0), shape, values);
    return ds;
  }

  /**
   * A virtual dataset over (parts of) datasets in other files (H5Pset_virtual).
   *
   * @example
   *   file.createVirtualDataset('data/JF/data', { dtype: 'uint16', shape: [300, 512, 1024], mappings: [0, 1, 2].map((i) => ({
   *     sourceFile: `part${i}.h5`, sourceDataset: 'data',
   *     sourceSelection: { start: [0, 0, 0], count: [100, 512, 1024] },
   *     destSelection: { start: [i * 100, 0, 0], count: [100, 512, 1024] },
   *   })) });
   */
  createVirtualDataset(path: string, options: VirtualDatasetOptions): H5Dataset {
    const { dtype, shape, mappings } = options;
    const rank = shape.length;
    const maxshape = options.maxshape ?? shape;
    const nums: number[] = [];
    const names: string[] = [];
    for (const m of mappings) {
      const parts = [m.sourceSelection.start, m.sourceSelection.count, m.destSelection.start, m.destSelection.count];
      if (parts.some((p) => p.length !== rank) || (m.sourceShape && m.sourceShape.length !== rank)) {
        throw new RangeError(`${path}: every selection of a mapping needs rank ${rank}`);
      }
      const srcShape = m.sourceShape ?? m.sourceSelection.start.map((s, i) => s + m.sourceSelection.count[i]!);
      nums.push(...srcShape, ...parts.flat());
      names.push(m.sourceFile, m.sourceDataset);
    }
    const h = withStrings(this.mod, [path, ...names], (p, ...namePtrs) =>
      withBytes(this.mod, Int32Array.from(namePtrs), (np) =>
        withDoubles(this.mod, nums, (n) =>
          withDoubles(this.mod, shape, (d) =>
            withDoubles(this.mod, maxshape.map((x) => (x === null ? -1 : x)), (mx) =>
              this.mod._h5e_vds_create(this.id, p!, dtypeCode(dtype), rank, d, mx, mappings.length, np, n))))));
    return new H5Dataset(this.engine, this.engine.check(h, `create virtual dataset ${path}`), path);
  }

  /**
   * Sets (replaces) an attribute of this file/group.
   *
   * @example
   *   file.setAttribute('file_create_datetime', '2025-06-01T12:00:00.000Z');
   *   group.setAttribute('run', 7n);              // int64
   *   group.setAttribute('rate', 100, 'int32');
   */
  setAttribute(name: string, value: AttributeValue, dtype?: Dtype): void {
    setAttribute(this.engine, this.id, name, value, dtype);
  }

  /** File offset of a contiguous, allocated dataset's data (see H5Dataset.offset). */
  datasetOffset(path: string): number {
    const ds = this.dataset(path);
    try {
      return ds.offset();
    } finally {
      ds.close();
    }
  }

  /** `dataset.writeSlab(start, count, data)` by path or dataset. */
  writeSlab(dataset: H5Dataset | string, start: readonly number[], count: readonly number[], data: ArrayBufferView): void {
    this.withDataset(dataset, (ds) => ds.writeSlab(start, count, data));
  }

  /** `dataset.resize(dims)` by path or dataset. */
  resize(dataset: H5Dataset | string, dims: readonly number[]): void {
    this.withDataset(dataset, (ds) => ds.resize(dims));
  }

  /** `dataset.writeChunk(offset, bytes, filterMask)` by path or dataset. */
  writeChunk(dataset: H5Dataset | string, chunkOffset: readonly number[], bytes: ArrayBufferView, filterMask = 0): void {
    this.withDataset(dataset, (ds) => ds.writeChunk(chunkOffset, bytes, filterMask));
  }

  private withDataset<T>(dataset: H5Dataset | string, fn: (ds: H5Dataset) => T): T {
    if (typeof dataset !== 'string') return fn(dataset);
    const ds = this.dataset(dataset);
    try {
      return fn(ds);
    } finally {
      ds.close();
    }
  }

  private openObject(path: string, kind: 0 | 1): number {
    const h = this.engine.check(withStrings(this.mod, [path], (p) => this.mod._h5e_object_open(this.id, p!)), `open ${path}`);
    if (this.mod._h5e_object_kind(h) !== kind) {
      this.mod._h5e_close(h);
      throw new H5EngineError(`open ${path}: not a ${kind === 0 ? 'group' : 'dataset'}`);
    }
    return h;
  }
}

/** An open HDF5 file. Closing it closes every group and dataset still open in it. */
export class H5File extends H5Location {
  constructor(engine: H5Engine, handle: number, readonly path: string, readonly mode: 'r' | 'r+') {
    super(engine, handle, path);
  }

  /** Writes HDF5's caches to the file (H5Fflush; no fsync). */
  flush(): void {
    this.engine.check(this.mod._h5e_flush(this.id), `flush ${this.path}`);
  }

  /** Closes the file (idempotent). */
  close(): void {
    if (this.handle <= 0) return;
    const h = this.handle;
    this.handle = 0;
    this.engine.check(this.mod._h5e_close(h), `close ${this.path}`);
  }
}

export class H5Group extends H5Location {
  /** Closes the group (idempotent; also done by closing its file). */
  close(): void {
    if (this.handle <= 0) return;
    const h = this.handle;
    this.handle = 0;
    this.mod._h5e_close(h);
  }
}

/** An open dataset. Data crosses into wasm memory one call at a time, never the whole dataset. */
export class H5Dataset {
  readonly dtype: Dtype;

  constructor(readonly engine: H5Engine, private handle: number, readonly name: string) {
    const dtype = dtypeOfCode(engine.check(engine.mod._h5e_dataset_dtype(handle), `${name}: dtype`));
    if (dtype === undefined) throw new H5EngineError(`${name}: a datatype the engine does not know`);
    this.dtype = dtype;
  }

  private get mod(): Hdf5EngineModule {
    return this.engine.mod;
  }

  /** @internal the shim handle; throws once closed. */
  get id(): number {
    if (this.handle <= 0) throw new H5EngineError(`${this.name}: already closed`);
    return this.handle;
  }

  /** Current shape and maximum shape (null = unlimited). */
  get extent(): { shape: number[]; maxshape: (number | null)[] } {
    return withBlocks(this.mod, [32 * 8, 32 * 8], (d, m) => {
      const rank = this.engine.check(this.mod._h5e_dataset_shape(this.id, d!.ptr, m!.ptr), `${this.name}: shape`);
      const dims = new Float64Array(d!.bytes().slice(0, rank * 8).buffer);
      const max = new Float64Array(m!.bytes().slice(0, rank * 8).buffer);
      return { shape: Array.from(dims), maxshape: Array.from(max, (x) => (x < 0 ? null : x)) };
    });
  }

  get shape(): number[] {
    return this.extent.shape;
  }

  /**
   * Writes `data` (native byte order; any typed array or bytes of the right length) into the hyperslab.
   *
   * @example
   *   ds.writeSlab([row, 0], [1, 2048], new Float32Array(2048));
   */
  writeSlab(start: readonly number[], count: readonly number[], data: ArrayBufferView): void {
    if (isStringDtype(this.dtype)) throw new TypeError(`${this.name}: use writeStrings for string datasets`);
    const expected = count.reduce((a, b) => a * b, 1) * dtypeSize(this.dtype);
    if (data.byteLength !== expected) {
      throw new RangeError(`${this.name}: ${data.byteLength} bytes for a selection of ${expected}`);
    }
    const r = withDoubles(this.mod, start, (s) =>
      withDoubles(this.mod, count, (c) =>
        withBytes(this.mod, data, (b) => this.mod._h5e_dataset_write(this.id, dtypeCode(this.dtype), start.length, s, c, b))));
    this.engine.check(r, `write ${this.name}`);
  }

  /**
   * Reads a hyperslab as a typed array of the dtype (bool: 0/1 bytes; big-endian dtypes arrive native).
   *
   * @example
   *   const ids = ds.readSlab([0], [10]) as BigInt64Array;
   */
  readSlab(start: readonly number[], count: readonly number[]): TypedArray {
    if (isStringDtype(this.dtype)) throw new TypeError(`${this.name}: use readStrings for string datasets`);
    const n = count.reduce((a, b) => a * b, 1);
    const bytes = n * dtypeSize(this.dtype);
    const out = new ArrayBuffer(bytes);
    withDoubles(this.mod, start, (s) =>
      withDoubles(this.mod, count, (c) =>
        withBlocks(this.mod, [bytes], (b) => {
          this.engine.check(this.mod._h5e_dataset_read(this.id, dtypeCode(this.dtype), start.length, s, c, b!.ptr), `read ${this.name}`);
          new Uint8Array(out).set(b!.bytes());
        })));
    return allocTyped(this.dtype, out);
  }

  /**
   * Writes strings (one per element of the selection) into a string dataset; [] / [] for a scalar.
   * A string cannot hold NUL characters (HDF5's strings end at the first).
   */
  writeStrings(start: readonly number[], count: readonly number[], values: readonly string[]): void {
    const n = count.reduce((a, b) => a * b, 1);
    if (values.length !== n) throw new RangeError(`${this.name}: ${values.length} strings for a selection of ${n}`);
    const r = withStrings(this.mod, values, (...ptrs) =>
      withBytes(this.mod, Int32Array.from(ptrs), (p) =>
        withDoubles(this.mod, start, (s) =>
          withDoubles(this.mod, count, (c) => this.mod._h5e_dataset_write_strings(this.id, start.length, s, c, p)))));
    this.engine.check(r, `write ${this.name}`);
  }

  /** Reads strings of a selection ([] / [] for a scalar). */
  readStrings(start: readonly number[], count: readonly number[]): string[] {
    return withDoubles(this.mod, start, (s) =>
      withDoubles(this.mod, count, (c) => {
        const need = this.engine.check(this.mod._h5e_dataset_read_strings(this.id, start.length, s, c, 0, 0), `read ${this.name}`);
        return withBlocks(this.mod, [need], (b) => {
          this.engine.check(this.mod._h5e_dataset_read_strings(this.id, start.length, s, c, b!.ptr, need), `read ${this.name}`);
          const text = Buffer.from(b!.bytes()).toString('utf8');
          return text.split('\0').slice(0, -1);
        });
      }));
  }

  /** Changes the current shape (within maxshape). */
  resize(dims: readonly number[]): void {
    const r = withDoubles(this.mod, dims, (d) => this.mod._h5e_dataset_resize(this.id, dims.length, d));
    this.engine.check(r, `resize ${this.name}`);
  }

  /**
   * Stores `bytes` as the chunk at `chunkOffset` (element coordinates, a multiple of the chunk shape)
   * without running the filters (H5Dwrite_chunk). For a bitshuffle-LZ4 dataset, a Data API image blob
   * (8-byte BE size + 4-byte BE block size + stream) is such a chunk as it is. `filterMask` bit i set =
   * filter i of the pipeline was skipped for this chunk.
   *
   * @example
   *   ds.writeChunk([pulseIndex, 0, 0], blob);
   */
  writeChunk(chunkOffset: readonly number[], bytes: ArrayBufferView, filterMask = 0): void {
    // The hot call of the writers (one per image, one per compressed chunk): reused wasm memory, no malloc/free.
    const { offsets, data } = this.engine.chunkScratch(chunkOffset.length, bytes.byteLength);
    const heap = this.mod.HEAPU8;
    new Float64Array(heap.buffer, offsets, chunkOffset.length).set(chunkOffset);
    heap.set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), data);
    const r = this.mod._h5e_write_chunk(this.id, chunkOffset.length, offsets, filterMask, data, bytes.byteLength);
    this.engine.check(r, `write chunk ${this.name} [${chunkOffset.join(', ')}]`);
  }

  /** The stored bytes of one chunk (H5Dread_chunk) and its filter mask. */
  readChunk(chunkOffset: readonly number[]): { bytes: Uint8Array; filterMask: number } {
    return withDoubles(this.mod, chunkOffset, (o) => {
      const what = `read chunk ${this.name} [${chunkOffset.join(', ')}]`;
      const size = this.engine.check(this.mod._h5e_read_chunk(this.id, chunkOffset.length, o, 0, 0, 0), what);
      return withBlocks(this.mod, [size, 4], (b, m) => {
        this.engine.check(this.mod._h5e_read_chunk(this.id, chunkOffset.length, o, b!.ptr, size, m!.ptr), what);
        return { bytes: b!.bytes().slice(), filterMask: new Uint32Array(m!.bytes().slice().buffer)[0]! };
      });
    });
  }

  /**
   * The file offset of the data of a contiguous dataset (H5Dget_offset), once its space is allocated
   * (at once with `allocTime: 'early'`). Its elements are stored there row-major, in the dataset's byte
   * order, so another process can `pwrite` into the file at `offset + index * elementSize`.
   *
   * @example
   *   const ds = file.createDataset('data', { dtype: 'uint16', shape: [n, 512, 1024], allocTime: 'early', fill: false });
   *   const at = ds.offset();  // fs.writeSync(fd, frame, 0, frame.length, at + i * frame.length)
   */
  offset(): number {
    const at = this.mod._h5e_dataset_offset(this.id);
    if (at < 0) throw new H5EngineError(`${this.name}: no file offset (not contiguous, or not allocated yet)`);
    return at;
  }

  /** Bytes the dataset's data takes in the file. */
  get storageSize(): number {
    return this.mod._h5e_dataset_storage_size(this.id);
  }

  /** Sets (replaces) an attribute of this dataset (see H5Location.setAttribute). */
  setAttribute(name: string, value: AttributeValue, dtype?: Dtype): void {
    setAttribute(this.engine, this.id, name, value, dtype);
  }

  /** Closes the dataset (idempotent; also done by closing its file). */
  close(): void {
    if (this.handle <= 0) return;
    const h = this.handle;
    this.handle = 0;
    this.mod._h5e_close(h);
  }
}

function setAttribute(engine: H5Engine, handle: number, name: string, value: AttributeValue, dtype?: Dtype): void {
  const mod = engine.mod;
  if (typeof value === 'string') {
    const r = withStrings(mod, [name, value], (n, v) => mod._h5e_attr_write_string(handle, n!, v!));
    engine.check(r, `attribute ${name}`);
    return;
  }
  const scalar = typeof value === 'number' || typeof value === 'bigint';
  const items = scalar ? [value] : value;
  const isBig = scalar ? typeof value === 'bigint' : items.length > 0 && typeof items[0] === 'bigint';
  const type: Dtype = dtype ?? (isBig ? 'int64' : 'float64');
  if (isStringDtype(type)) throw new TypeError(`attribute ${name}: a ${type} attribute takes a string value`);
  const length = (items as ArrayLike<unknown>).length;
  const buf = allocTyped(type, new ArrayBuffer(length * dtypeSize(type)));
  const big = buf instanceof BigInt64Array || buf instanceof BigUint64Array;
  for (let i = 0; i < length; i++) {
    const v = (items as ArrayLike<number | bigint>)[i]!;
    (buf as unknown as (number | bigint)[])[i] = big ? BigInt(v) : Number(v);
  }
  const r = withStrings(mod, [name], (n) =>
    withBytes(mod, buf, (b) => mod._h5e_attr_write(handle, n!, dtypeCode(type), scalar ? -1 : length, b)));
  engine.check(r, `attribute ${name}`);
}
