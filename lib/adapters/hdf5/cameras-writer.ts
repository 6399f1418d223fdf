/**
 * The CAMERAS file, in the layout of PSI's Data API 3 HDF5 client, written with the HDF5 engine:
 *
 *   @file_create_datetime         root attribute, 'YYYY-MM-DDTHH:MM:SS.mmmZ'
 *   /<CAMERA>/data       (N, h, w) the camera's dtype in its byte order, chunk (1, h, w), bitshuffle+LZ4 (32008)
 *   /<CAMERA>/pulse_id   (N,) int64, chunk 8192, shuffle + gzip 4
 *   /<CAMERA>/timestamp  (N,) int64 ns, chunk 8192, shuffle + gzip 4
 *
 * As PSI's client does, an image that arrives compressed (the Data API's bitshuffle-LZ4 blob, byte for
 * byte a chunk of filter 32008) is stored as that chunk unchanged (H5Dwrite_chunk): never decompressed,
 * never compressed again. Only an image that arrives uncompressed is compressed, once. A camera with no
 * image gets no group: the group is made at the first image.
 */
import { DTYPES, type DType } from '../../core/dtypes';
import { checkBitshuffleChunk, H5Engine, type H5Dataset, type H5File } from './engine';
import { checkLinkName } from './h5-create';
import { engineDtype, type ByteOrder } from './h5-dtypes';

export interface CameraSpec {
  dtype: Exclude<DType, 'string'>;
  /** Image shape as stored: [height, width] (Data API 3 headers say [width, height]). */
  shape: [number, number];
  /** Byte order of the pixels (and of the dataset: kept as they come; default little). */
  byteOrder?: ByteOrder;
}

/** pulse_id/timestamp rows kept before writing them: one chunk. */
const ID_CHUNK_ROWS = 8192;
/** The image dataset's extent grows by this many images at a time (set exactly at close). */
const GROW_IMAGES = 1024;
/** PSI's client: shuffle + gzip 4 on pulse_id and timestamp. */
const ID_FILTERS = { shuffle: true, deflate: 4 } as const;

interface Camera {
  spec: CameraSpec;
  imageBytes: number;
  elementSize: number;
  datasets?: { data: H5Dataset; pulseId: H5Dataset; timestamp: H5Dataset; extent: number };
  images: number;
  /** Rows of pulse_id/timestamp already written (the images are always written). */
  idsWritten: number;
  pulseIds: BigInt64Array;
  timestamps: BigInt64Array;
}

export class CamerasFileWriter {
  private readonly cameras = new Map<string, Camera>();
  private closed = false;
  /** Compressed image bytes stored (for logs and benchmarks). */
  storedBytes = 0;

  private constructor(private readonly engine: H5Engine, private readonly file: H5File) {}

  /**
   * Create (truncate) the file and stamp `file_create_datetime`.
   *
   * @example
   *   const w = await CamerasFileWriter.create('/sf/.../run_000001.CAMERAS.h5');
   */
  static async create(path: string, createdAt: Date = new Date()): Promise<CamerasFileWriter> {
    const engine = await H5Engine.load();
    const file = engine.create(path);
    try {
      file.setAttribute('file_create_datetime', createdAt.toISOString());
    } catch (error) {
      file.close();
      throw error;
    }
    return new CamerasFileWriter(engine, file);
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
    const elementSize = DTYPES[spec.dtype].size;
    this.cameras.set(name, {
      spec,
      imageBytes: h * w * elementSize,
      elementSize,
      images: 0,
      idsWritten: 0,
      pulseIds: new BigInt64Array(ID_CHUNK_ROWS),
      timestamps: new BigInt64Array(ID_CHUNK_ROWS),
    });
  }

  /**
   * Store one image that arrived bitshuffle-LZ4 compressed (the Data API's blob: 8-byte BE size,
   * 4-byte BE block size, the LZ4 blocks) as its chunk, unchanged. Its header and block framing are
   * checked (a cut or mislabelled blob is refused), its pixels are not decoded.
   *
   * @example
   *   w.appendCompressed('SATES21-CAMS154-M1:FPICTURE', 18_940_426_916n, 1_693_900_000_123_916_000n, event.compressed);
   */
  appendCompressed(name: string, pulseId: bigint, timestampNs: bigint, blob: Uint8Array): void {
    const camera = this.camera(name);
    const problem = checkBitshuffleChunk(blob, camera.elementSize, camera.imageBytes);
    if (problem) throw new TypeError(`camera ${name} pulse ${pulseId}: ${problem}`);
    this.store(name, camera, pulseId, timestampNs, blob);
  }

  /**
   * Store one image that arrived uncompressed (`pixels` in the camera's byte order): compressed once
   * (bitshuffle-LZ4, in the engine), then stored as a chunk.
   *
   * @example
   *   w.appendImage('SATES21-CAMS154-M1:FPICTURE', 18_940_426_916n, 1_693_900_000_123_916_000n, pixels);
   */
  appendImage(name: string, pulseId: bigint, timestampNs: bigint, pixels: Uint8Array): void {
    const camera = this.camera(name);
    if (pixels.length !== camera.imageBytes) {
      throw new TypeError(`camera ${name}: image of ${pixels.length} bytes, expected ${camera.imageBytes}`);
    }
    this.store(name, camera, pulseId, timestampNs, this.engine.bitshuffleLz4Compress(pixels, camera.elementSize));
  }

  /** Images written so far for a camera. */
  imageCount(name: string): number {
    return this.cameras.get(name)?.images ?? 0;
  }

  /** Write the queued pulse ids and timestamps, set the final extents and close the file. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    try {
      for (const camera of this.cameras.values()) {
        this.flushIds(camera);
        if (!camera.datasets) continue;
        const [h, w] = camera.spec.shape;
        // Shrinking a chunked dataset past chunks never written is only an extent change.
        camera.datasets.data.resize([camera.images, h, w]);
      }
    } finally {
      this.closed = true;
      this.file.close();
    }
  }

  private store(name: string, camera: Camera, pulseId: bigint, timestampNs: bigint, chunk: Uint8Array): void {
    const ds = (camera.datasets ??= this.createDatasets(name, camera.spec));
    const [h, w] = camera.spec.shape;
    const row = camera.images;
    if (row >= ds.extent) {
      ds.extent = row + GROW_IMAGES;
      ds.data.resize([ds.extent, h, w]);
    }
    ds.data.writeChunk([row, 0, 0], chunk);
    this.storedBytes += chunk.byteLength;
    const pending = camera.images - camera.idsWritten;
    camera.pulseIds[pending] = BigInt(pulseId);
    camera.timestamps[pending] = BigInt(timestampNs);
    camera.images += 1;
    if (pending + 1 === ID_CHUNK_ROWS) this.flushIds(camera);
  }

  private createDatasets(name: string, spec: CameraSpec): NonNullable<Camera['datasets']> {
    const group = this.file.createGroup(name);
    try {
      const ids = { dtype: 'int64', shape: [0], maxshape: [null], chunks: [ID_CHUNK_ROWS], filters: ID_FILTERS } as const;
      return {
        data: group.createDataset('data', {
          dtype: engineDtype(spec.dtype, spec.byteOrder),
          shape: [0, ...spec.shape],
          maxshape: [null, ...spec.shape],
          chunks: [1, ...spec.shape],
          filters: { bitshuffleLz4: true },
        }),
        pulseId: group.createDataset('pulse_id', ids),
        timestamp: group.createDataset('timestamp', ids),
        extent: 0,
      };
    } finally {
      group.close();
    }
  }

  private flushIds(camera: Camera): void {
    const n = camera.images - camera.idsWritten;
    if (n === 0 || !camera.datasets) return;
    const { pulseId, timestamp } = camera.datasets;
    const at = camera.idsWritten;
    for (const [ds, values] of [[pulseId, camera.pulseIds], [timestamp, camera.timestamps]] as const) {
      ds.resize([at + n]);
      ds.writeSlab([at], [n], values.subarray(0, n));
    }
    camera.idsWritten += n;
  }

  private camera(name: string): Camera {
    this.assertOpen();
    const camera = this.cameras.get(name);
    if (!camera) throw new Error(`camera ${name} was not added`);
    return camera;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`${this.file.path} is closed`);
  }
}
