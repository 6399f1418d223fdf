/**
 * The CAMERAS file, in the layout of PSI's Data API 3 HDF5 client:
 *
 *   @file_create_datetime         root attribute, 'YYYY-MM-DDTHH:MM:SS.mmmZ'
 *   /<CAMERA>/data       (N, h, w) camera dtype (stored little-endian), chunk (1, h, w), bitshuffle+LZ4 (32008, [0, 2])
 *   /<CAMERA>/pulse_id   (N,) int64, chunk 8192, gzip 4
 *   /<CAMERA>/timestamp  (N,) int64 ns, chunk 8192, gzip 4
 *
 * Differences from PSI's client, forced by h5wasm (h5.ts): pulse_id and
 * timestamp use gzip 4 without the shuffle filter (one filter per dataset);
 * images are compressed again by the plugin, not written as direct chunks.
 * A camera with no image gets no group, as in PSI's files: the group is made
 * at the first image.
 */
import type { Dataset, File } from 'h5wasm/node';
import { DTYPES, type DType } from '../../core/dtypes';
import { BITSHUFFLE_LZ4, loadH5, withH5Errors, type H5Module } from './h5';
import { checkLinkName, createExtendable, GZIP_4 } from './h5-create';
import { storedDtype, type ByteOrder } from './h5-dtypes';
import { HeapScratch, resize, writeRaw } from './h5-write';

export interface CameraSpec {
  dtype: Exclude<DType, 'string'>;
  /** Image shape as stored: [height, width] (Data API 3 headers say [width, height]). */
  shape: [number, number];
  /** Byte order of the pixels handed to `appendImage` (default little). */
  byteOrder?: ByteOrder;
}

/** pulse_id/timestamp rows kept before writing them: one chunk. */
const ID_CHUNK_ROWS = 8192;

interface Camera {
  spec: CameraSpec;
  imageBytes: number;
  datasets?: { data: Dataset; pulseId: Dataset; timestamp: Dataset };
  images: number;
  /** Rows of pulse_id/timestamp already written (the images are always written). */
  idsWritten: number;
  pulseIds: BigInt64Array;
  timestamps: BigInt64Array;
}

export class CamerasFileWriter {
  private readonly cameras = new Map<string, Camera>();
  private readonly scratch: HeapScratch;
  private closed = false;

  private constructor(private readonly module: H5Module, private readonly file: File) {
    this.scratch = new HeapScratch(module);
  }

  /**
   * Create (truncate) the file and stamp `file_create_datetime`.
   *
   * @example
   *   const w = await CamerasFileWriter.create('/sf/.../run_000001.CAMERAS.h5');
   */
  static async create(path: string, createdAt: Date = new Date()): Promise<CamerasFileWriter> {
    const { lib, module } = await loadH5();
    return withH5Errors(module, () => {
      const file = new lib.File(path, 'w');
      file.create_attribute('file_create_datetime', createdAt.toISOString());
      return new CamerasFileWriter(module, file);
    });
  }

  /**
   * Declare a camera; its group appears with its first image.
   *
   * @example
   *   w.addCamera('SATES21-CAMS154-M1:FPICTURE', { dtype: 'uint16', shape: [1024, 1280], byteOrder: 'little' });
   */
  addCamera(name: string, spec: CameraSpec): void {
    this.assertOpen();
    checkLinkName('camera', name);
    if (this.cameras.has(name)) throw new Error(`camera ${name} added twice`);
    if ((spec.dtype as DType) === 'string') throw new TypeError(`camera ${name}: images cannot be strings`);
    const [h, w] = spec.shape;
    if (spec.shape.length !== 2 || !(h >= 1 && w >= 1 && Number.isInteger(h) && Number.isInteger(w))) {
      throw new TypeError(`camera ${name}: shape must be [height, width], got [${spec.shape.join(', ')}]`);
    }
    this.cameras.set(name, {
      spec,
      imageBytes: h * w * DTYPES[spec.dtype].size,
      images: 0,
      idsWritten: 0,
      pulseIds: new BigInt64Array(ID_CHUNK_ROWS),
      timestamps: new BigInt64Array(ID_CHUNK_ROWS),
    });
  }

  /**
   * Write one image now (compressed by the filter) and queue its pulse id and timestamp.
   *
   * @example
   *   w.appendImage('SATES21-CAMS154-M1:FPICTURE', 18_940_426_916n, 1_693_900_000_123_916_000n, pixels);
   */
  appendImage(name: string, pulseId: bigint, timestampNs: bigint, pixels: Uint8Array): void {
    this.assertOpen();
    const camera = this.cameras.get(name);
    if (!camera) throw new Error(`camera ${name} was not added`);
    if (pixels.length !== camera.imageBytes) {
      throw new TypeError(`camera ${name}: image of ${pixels.length} bytes, expected ${camera.imageBytes}`);
    }
    const { data } = (camera.datasets ??= withH5Errors(this.module, () => this.createDatasets(name, camera.spec)));
    const [h, w] = camera.spec.shape;
    const row = camera.images;
    resize(this.module, data, [row + 1, h, w]);
    const swap = camera.spec.byteOrder === 'big' ? DTYPES[camera.spec.dtype].size : 1;
    writeRaw(this.module, this.scratch, data, [row, 0, 0], [1, h, w], pixels, swap);
    const pending = camera.images - camera.idsWritten;
    camera.pulseIds[pending] = BigInt(pulseId);
    camera.timestamps[pending] = BigInt(timestampNs);
    camera.images += 1;
    if (pending + 1 === ID_CHUNK_ROWS) this.flushIds(camera);
  }

  /** Images written so far for a camera. */
  imageCount(name: string): number {
    return this.cameras.get(name)?.images ?? 0;
  }

  /** Write the queued pulse ids and timestamps and close the file. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    try {
      for (const camera of this.cameras.values()) this.flushIds(camera);
    } finally {
      this.closed = true;
      this.scratch.free();
      withH5Errors(this.module, () => this.file.close());
    }
  }

  private createDatasets(name: string, spec: CameraSpec): NonNullable<Camera['datasets']> {
    const group = this.file.create_group(name);
    const ids = { dtype: '<q', rowShape: [], chunkRows: ID_CHUNK_ROWS, filter: GZIP_4 };
    return {
      data: createExtendable(group, 'data', { dtype: storedDtype(spec.dtype), rowShape: spec.shape, chunkRows: 1, filter: BITSHUFFLE_LZ4 }),
      pulseId: createExtendable(group, 'pulse_id', ids),
      timestamp: createExtendable(group, 'timestamp', ids),
    };
  }

  private flushIds(camera: Camera): void {
    const n = camera.images - camera.idsWritten;
    if (n === 0 || !camera.datasets) return;
    const { pulseId, timestamp } = camera.datasets;
    const at = camera.idsWritten;
    for (const [ds, values] of [[pulseId, camera.pulseIds], [timestamp, camera.timestamps]] as const) {
      resize(this.module, ds, [at + n]);
      writeRaw(this.module, this.scratch, ds, [at], [n], new Uint8Array(values.buffer, 0, n * 8));
    }
    camera.idsWritten += n;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`${this.file.filename} is closed`);
  }
}
