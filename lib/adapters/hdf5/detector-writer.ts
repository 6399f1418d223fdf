/**
 * A Jungfrau file in exactly sf_writer's layout (no attributes anywhere):
 *
 *   /general/detector_name       scalar variable-length ASCII string
 *   /data/<DET>/data             uint16 LE (N, modules*512, 1024), chunk (1, modules*512, 1024),
 *                                no filter, or bitshuffle+LZ4 (32008, [0, 2]) with `compression`
 *   /data/<DET>/pulse_id         uint64 (N, 1)  contiguous
 *   /data/<DET>/frame_index      uint64 (N, 1)  contiguous
 *   /data/<DET>/daq_rec          uint32 (N, 1)  contiguous
 *   /data/<DET>/is_good_frame    uint8  (N, 1)  contiguous
 *
 * As sf_writer does, frames go to the file as they come and the four small
 * datasets are kept in memory (21 bytes a frame) and written at close; h5wasm
 * can only make a contiguous dataset together with its data, so they are
 * created then. A frame never written reads as zeros.
 */
import type { Dataset, File, Group } from 'h5wasm/node';
import { BITSHUFFLE_LZ4, loadH5, withH5Errors, type H5Module } from './h5';
import { checkLinkName, createExtendable, createScalarString } from './h5-create';
import { HeapScratch, writeRaw } from './h5-write';

export const MODULE_ROWS = 512;
export const MODULE_COLUMNS = 1024;

export interface DetectorFileOptions {
  /** e.g. 'JF01T03V01': the group under /data and /general/detector_name. */
  detector: string;
  modules: number;
  /** N, the number of requested pulses: the datasets' fixed length. */
  frames: number;
  /** bitshuffle+LZ4 the images (default false: raw, like sf_writer). */
  compression?: boolean;
}

export interface DetectorFrame {
  /** modules*512*1024 uint16, little-endian: modules*1 MiB. */
  pixels: Uint8Array;
  pulseId: bigint;
  frameIndex: bigint;
  /** Written as uint32: the upper half of the buffer's uint64 is dropped, as sf_writer does. */
  daqRec: bigint | number;
  isGoodFrame: boolean | number;
}

export class DetectorFileWriter {
  private readonly scratch: HeapScratch;
  private readonly pulseIds: BigUint64Array;
  private readonly frameIndexes: BigUint64Array;
  private readonly daqRecs: Uint32Array;
  private readonly goodFrames: Uint8Array;
  private readonly frameBytes: number;
  private readonly rows: number;
  private closed = false;

  private constructor(
    private readonly module: H5Module,
    private readonly file: File,
    private readonly group: Group,
    private readonly data: Dataset,
    private readonly options: DetectorFileOptions,
  ) {
    this.scratch = new HeapScratch(module);
    this.rows = options.modules * MODULE_ROWS;
    this.frameBytes = this.rows * MODULE_COLUMNS * 2;
    this.pulseIds = new BigUint64Array(options.frames);
    this.frameIndexes = new BigUint64Array(options.frames);
    this.daqRecs = new Uint32Array(options.frames);
    this.goodFrames = new Uint8Array(options.frames);
  }

  /**
   * Create (truncate) the file with all N frames' room reserved.
   *
   * @example
   *   const w = await DetectorFileWriter.create('/sf/.../run_000001.JF01T03V01.h5',
   *     { detector: 'JF01T03V01', modules: 3, frames: 1001, compression: false });
   */
  static async create(path: string, options: DetectorFileOptions): Promise<DetectorFileWriter> {
    const { detector, modules, frames, compression = false } = options;
    checkLinkName('detector', detector);
    if (!Number.isInteger(modules) || modules < 1) throw new TypeError(`modules must be a positive integer, got ${modules}`);
    if (!Number.isInteger(frames) || frames < 0) throw new TypeError(`frames must be a whole number, got ${frames}`);
    const { lib, module } = await loadH5();
    return withH5Errors(module, () => {
      const file = new lib.File(path, 'w');
      createScalarString(file.create_group('general'), 'detector_name', detector, 'ascii');
      const group = file.create_group('data').create_group(detector);
      const image = [modules * MODULE_ROWS, MODULE_COLUMNS];
      // Fixed length N: created empty with maxshape N (h5wasm wants the data of
      // a dataset it creates), then extended to N. With N = 0 a chunk of 1 frame
      // cannot fit a maxshape of 0, so that one case stays unlimited.
      const data = createExtendable(group, 'data', {
        dtype: '<H',
        rowShape: image,
        chunkRows: 1,
        maxRows: frames > 0 ? frames : null,
        ...(compression ? { filter: BITSHUFFLE_LZ4 } : {}),
      });
      data.resize([frames, ...image]);
      return new DetectorFileWriter(module, file, group, data, options);
    });
  }

  /**
   * A frame-sized buffer inside the wasm heap: fill it (e.g. `fs.readSync`
   * each module's slot straight into it) and pass it as `pixels` to skip one
   * copy of the frame. Get it again after every `writeFrame`: HDF5 may grow
   * the heap, which empties old views (a stale one is refused by its length).
   *
   * @example
   *   const pixels = w.frameBuffer();
   *   readSync(fd, pixels, 0, MODULE_BYTES, slotOffset); // module 0 ...
   *   w.writeFrame(i, { pixels, pulseId, frameIndex, daqRec, isGoodFrame });
   */
  frameBuffer(): Uint8Array {
    return this.scratch.view(this.frameBytes);
  }

  /**
   * Write frame `i` (0 <= i < N) now.
   *
   * @example
   *   w.writeFrame(0, { pixels, pulseId: 18_940_426_900n, frameIndex: 123n, daqRec: 0, isGoodFrame: true });
   */
  writeFrame(i: number, frame: DetectorFrame): void {
    if (this.closed) throw new Error(`${this.file.filename} is closed`);
    if (!Number.isInteger(i) || i < 0 || i >= this.options.frames) {
      throw new RangeError(`frame ${i} outside 0..${this.options.frames - 1}`);
    }
    if (frame.pixels.length !== this.frameBytes) {
      throw new TypeError(`frame ${i}: ${frame.pixels.length} bytes, expected ${this.frameBytes} (${this.options.modules} modules)`);
    }
    writeRaw(this.module, this.scratch, this.data, [i, 0, 0], [1, this.rows, MODULE_COLUMNS], frame.pixels);
    this.pulseIds[i] = BigInt.asUintN(64, BigInt(frame.pulseId));
    this.frameIndexes[i] = BigInt.asUintN(64, BigInt(frame.frameIndex));
    this.daqRecs[i] = Number(BigInt.asUintN(32, BigInt(frame.daqRec)));
    this.goodFrames[i] = frame.isGoodFrame ? 1 : 0;
  }

  /** Write the four per-frame datasets and close the file. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.scratch.free();
    withH5Errors(this.module, () => {
      try {
        const n = this.options.frames;
        for (const [name, values] of [
          ['pulse_id', this.pulseIds],
          ['frame_index', this.frameIndexes],
          ['daq_rec', this.daqRecs],
          ['is_good_frame', this.goodFrames],
        ] as const) {
          this.group.create_dataset({ name, data: values, shape: [n, 1] });
        }
      } finally {
        this.file.close();
      }
    });
  }
}
