/**
 * The raw Jungfrau file (sf_writer's layout, no attributes) written by many
 * workers at once, with the HDF5 engine (lib/adapters/hdf5/engine):
 *
 *   /general/detector_name      scalar variable-length ASCII string
 *   /data/<DET>/data            uint16 [N, modules*512, 1024]
 *   /data/<DET>/pulse_id        uint64 [N, 1]    contiguous
 *   /data/<DET>/frame_index     uint64 [N, 1]    contiguous
 *   /data/<DET>/daq_rec         uint32 [N, 1]    contiguous
 *   /data/<DET>/is_good_frame   uint8  [N, 1]    contiguous
 *
 * Two ways, one layout for every reader:
 * - uncompressed: a **skeleton** made once with every dataset contiguous and
 *   its space allocated at creation (no fill), so each dataset's file offset
 *   is known; the workers then `pwrite` their frames' bytes and rows at those
 *   offsets, in parallel, without any HDF5 library (`createRawSkeleton`).
 *   `data` is contiguous where sf_writer chunks it by frame: readers see the
 *   same dataset (h5py, sf_datafiles); only direct chunk reads differ.
 * - bitshuffle+LZ4: each worker writes a **part**, a complete file of its own
 *   frames (chunk = one frame, written directly as compressed by the pool;
 *   `RawPartWriter`); the run's file then holds the four small datasets and a
 *   virtual `data` over the parts' (`assembleRawFile`). With one part, the part is the file.
 */
import { H5Engine, type H5File } from '../engine';
import { checkLinkName } from '../h5-create';

// sf_writer's module: 512 rows x 1024 columns (not imported from detector-writer.ts, which loads h5wasm).
const MODULE_ROWS = 512;
const MODULE_COLUMNS = 1024;

/** The per-frame rows of a raw file. */
export interface FrameRows {
  pulseId: BigUint64Array;
  frameIndex: BigUint64Array;
  daqRec: Uint32Array;
  isGoodFrame: Uint8Array;
}

export const FRAME_ROW_DATASETS = [
  { name: 'pulse_id', dtype: 'uint64', bytes: 8 },
  { name: 'frame_index', dtype: 'uint64', bytes: 8 },
  { name: 'daq_rec', dtype: 'uint32', bytes: 4 },
  { name: 'is_good_frame', dtype: 'uint8', bytes: 1 },
] as const;

export type FrameRowName = (typeof FRAME_ROW_DATASETS)[number]['name'];

/** Where a skeleton's datasets start in its file (bytes), and its sizes. */
export interface RawSkeletonLayout {
  frames: number;
  frameBytes: number;
  offsets: Record<'data' | FrameRowName, number>;
}

export interface RawFileOptions {
  detector: string;
  /** Modules in the image (the enabled ones). */
  modules: number;
  frames: number;
}

/** Rows x row bytes of one frame. */
export const rawFrameBytes = (modules: number): number => modules * MODULE_ROWS * MODULE_COLUMNS * 2;

/**
 * Create the uncompressed raw file with all its space reserved and nothing
 * written (a fresh file reads zeros where no worker wrote), and say where
 * each dataset's bytes go.
 *
 * @example
 *   const layout = await createRawSkeleton('/sf/.../.run_000001.JF07T32V01.h5.partial', { detector: 'JF07T32V01', modules: 32, frames: 60001 });
 *   // a worker: pwrite(fd, framesOfPart, layout.offsets.data + first * layout.frameBytes)
 */
export async function createRawSkeleton(path: string, options: RawFileOptions): Promise<RawSkeletonLayout> {
  const { detector, modules, frames } = checked(options);
  if (frames < 1) throw new RangeError('a raw file needs at least one frame');
  const engine = await H5Engine.load();
  const file = engine.create(path);
  try {
    file.createStringDataset('general/detector_name', detector, { ascii: true });
    const early = { allocTime: 'early', fill: false, layout: 'contiguous' } as const;
    const offsets = {} as RawSkeletonLayout['offsets'];
    for (const d of FRAME_ROW_DATASETS) {
      const ds = file.createDataset(`data/${detector}/${d.name}`, { dtype: d.dtype, shape: [frames, 1], ...early });
      offsets[d.name] = ds.offset();
      ds.close();
    }
    const data = file.createDataset(`data/${detector}/data`, { dtype: 'uint16', shape: [frames, modules * MODULE_ROWS, MODULE_COLUMNS], ...early });
    offsets.data = data.offset();
    data.close();
    return { frames, frameBytes: rawFrameBytes(modules), offsets };
  } finally {
    file.close();
  }
}

/**
 * One part of a compressed (or single-part) raw file: a complete sf_writer
 * file of the part's frames, `data` chunked one frame per chunk and written
 * as given (bitshuffle+LZ4 chunks from the pool, or raw frames).
 *
 * @example
 *   const w = await RawPartWriter.create(tmp, { detector, modules: 32, frames: 256, compression: true });
 *   w.writeFrame(0, await pool.compress(frame, 2), row);
 *   w.close();
 */
export class RawPartWriter {
  private readonly rows: FrameRows;
  private closed = false;

  private constructor(private readonly file: H5File, private readonly options: RawFileOptions & { compression: boolean }) {
    const n = options.frames;
    this.rows = { pulseId: new BigUint64Array(n), frameIndex: new BigUint64Array(n), daqRec: new Uint32Array(n), isGoodFrame: new Uint8Array(n) };
  }

  static async create(path: string, options: RawFileOptions & { compression: boolean }): Promise<RawPartWriter> {
    const { detector, modules, frames } = checked(options);
    const engine = await H5Engine.load();
    const file = engine.create(path);
    try {
      file.createStringDataset('general/detector_name', detector, { ascii: true });
      const image = [modules * MODULE_ROWS, MODULE_COLUMNS];
      file.createDataset(`data/${detector}/data`, {
        dtype: 'uint16',
        shape: [frames, ...image],
        maxshape: [Math.max(frames, 1), ...image],
        chunks: [1, ...image],
        ...(options.compression ? { filters: { bitshuffleLz4: true } } : {}),
      }).close();
      return new RawPartWriter(file, options);
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** Frame i's chunk (compressed when the file is) and its row. */
  writeFrame(i: number, chunk: Uint8Array, row: { pulseId: bigint; frameIndex: bigint; daqRec: bigint | number; isGoodFrame: boolean }): void {
    if (this.closed) throw new Error('part file already closed');
    if (!Number.isInteger(i) || i < 0 || i >= this.options.frames) throw new RangeError(`frame ${i} outside 0..${this.options.frames - 1}`);
    this.file.writeChunk(`data/${this.options.detector}/data`, [i, 0, 0], chunk);
    this.rows.pulseId[i] = BigInt.asUintN(64, row.pulseId);
    this.rows.frameIndex[i] = BigInt.asUintN(64, row.frameIndex);
    this.rows.daqRec[i] = Number(BigInt.asUintN(32, BigInt(row.daqRec)));
    this.rows.isGoodFrame[i] = row.isGoodFrame ? 1 : 0;
  }

  /** Write the four row datasets and close. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      writeRows(this.file, this.options.detector, this.rows);
    } finally {
      this.file.close();
    }
  }

  /** Close without the rows (the file is being abandoned). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.file.close();
  }
}

function writeRows(file: H5File, detector: string, rows: FrameRows): void {
  const n = rows.pulseId.length;
  const values: Record<FrameRowName, ArrayBufferView> = { pulse_id: rows.pulseId, frame_index: rows.frameIndex, daq_rec: rows.daqRec, is_good_frame: rows.isGoodFrame };
  for (const d of FRAME_ROW_DATASETS) {
    const ds = file.createDataset(`data/${detector}/${d.name}`, { dtype: d.dtype, shape: [n, 1], layout: 'contiguous' });
    if (n > 0) ds.writeSlab([0, 0], [n, 1], values[d.name]);
    ds.close();
  }
}

/** A part of an assembled file: where it is, how the run's file names it, how many frames it holds. */
export interface PartRef {
  /** Path to open it now. */
  path: string;
  /** Path relative to the run's file, as its virtual dataset records it. */
  relative: string;
  frames: number;
}

/**
 * The run's raw file over its parts: the four row datasets copied from them,
 * `data` a virtual dataset mapping part p's frames to its rows.
 *
 * @example await assembleRawFile(tmp, { detector, modules: 32, parts: [{ path, relative: 'run_000001.JF07T32V01.parts/part_0000.h5', frames: 256 }, ...] });
 */
export async function assembleRawFile(path: string, options: { detector: string; modules: number; parts: readonly PartRef[] }): Promise<void> {
  const { detector, modules } = options;
  checkLinkName('detector', detector);
  const engine = await H5Engine.load();
  const total = options.parts.reduce((s, p) => s + p.frames, 0);
  const rows: FrameRows = { pulseId: new BigUint64Array(total), frameIndex: new BigUint64Array(total), daqRec: new Uint32Array(total), isGoodFrame: new Uint8Array(total) };
  let at = 0;
  for (const part of options.parts) {
    const f = engine.open(part.path, 'r');
    try {
      for (const d of FRAME_ROW_DATASETS) {
        const ds = f.dataset(`data/${detector}/${d.name}`);
        const shape = ds.shape;
        if (shape[0] !== part.frames) throw new Error(`${part.path}: ${d.name} has ${shape[0]} rows, expected ${part.frames}`);
        if (part.frames > 0) {
          const values = ds.readSlab([0, 0], [part.frames, 1]);
          const target = d.name === 'pulse_id' ? rows.pulseId : d.name === 'frame_index' ? rows.frameIndex : d.name === 'daq_rec' ? rows.daqRec : rows.isGoodFrame;
          (target as unknown as { set(v: ArrayLike<unknown>, at: number): void }).set(values as ArrayLike<unknown>, at);
        }
        ds.close();
      }
    } finally {
      f.close();
    }
    at += part.frames;
  }
  const image = [modules * MODULE_ROWS, MODULE_COLUMNS];
  const file = engine.create(path);
  try {
    file.createStringDataset('general/detector_name', detector, { ascii: true });
    writeRows(file, detector, rows);
    let row = 0;
    const mappings = options.parts.filter((p) => p.frames > 0).map((p) => {
      const m = {
        sourceFile: p.relative,
        sourceDataset: `data/${detector}/data`,
        sourceShape: [p.frames, ...image],
        sourceSelection: { start: [0, 0, 0], count: [p.frames, ...image] },
        destSelection: { start: [row, 0, 0], count: [p.frames, ...image] },
      };
      row += p.frames;
      return m;
    });
    file.createVirtualDataset(`data/${detector}/data`, { dtype: 'uint16', shape: [total, ...image], mappings }).close();
  } finally {
    file.close();
  }
}

function checked<T extends RawFileOptions>(options: T): T {
  checkLinkName('detector', options.detector);
  if (!Number.isInteger(options.modules) || options.modules < 1) throw new TypeError(`modules must be a positive integer, got ${options.modules}`);
  if (!Number.isInteger(options.frames) || options.frames < 0) throw new TypeError(`frames must be a whole number, got ${options.frames}`);
  return options;
}
