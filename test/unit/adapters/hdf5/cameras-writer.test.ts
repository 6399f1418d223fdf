import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CamerasFileWriter, type CameraSpec } from '../../../../lib/adapters/hdf5';
import { bitshuffleLz4Compress } from '../../../../lib/adapters/buffers/data-api/bitshuffle';
import { H5Engine } from '../../../../lib/adapters/hdf5/engine';
import { readBack, tempFolder } from './files';
import { bitshuffleMissing, h5pyMissing, readWithH5py, sha256, type PyFile } from './h5py';

const CREATED = new Date('2024-03-01T12:34:56.789Z');
const T0 = 1_709_296_496_789_000_916n;
const P0 = 19_000_000_000n;

interface Cam {
  name: string;
  spec: CameraSpec;
  /** Images as the buffer delivers them (camera byte order, kept in the file). */
  images: Uint8Array[];
  /** The same images as little-endian bytes: the values a reader gets. */
  little: Uint8Array[];
  h5: string;
  numpy: string;
}

function pseudoRandom(seed: number, n: number): Uint8Array {
  let x = seed;
  return Uint8Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff);
}

function swap(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) for (let b = 0; b < size; b++) out[i + b] = bytes[i + size - 1 - b]!;
  return out;
}

function camera(name: string, spec: CameraSpec, count: number, size: number, h5: string, numpy: string): Cam {
  const little = Array.from({ length: count }, (_, i) => pseudoRandom(i + name.length, spec.shape[0] * spec.shape[1] * size));
  const images = spec.byteOrder === 'big' ? little.map((img) => swap(img, size)) : little;
  return { name, spec, images, little, h5, numpy };
}

// Big-endian cameras stay big-endian, as the Data API sends them: the blob is then the chunk as it is.
const CAMS: Cam[] = [
  camera('SATES21-CAMS154-M1:FPICTURE', { dtype: 'uint16', shape: [6, 8], byteOrder: 'little' }, 3, 2, '<H', '<u2'),
  camera('SARES11-CAMS-BE.x:FPICTURE', { dtype: 'uint16', shape: [4, 5], byteOrder: 'big' }, 2, 2, '>H', '>u2'),
  camera('SLAAR21-LCAM-C561:FPICTURE', { dtype: 'float32', shape: [3, 3], byteOrder: 'big' }, 2, 4, '>f', '>f4'),
  camera('SF-GIGE-8BIT:FPICTURE', { dtype: 'uint8', shape: [5, 7] }, 4, 1, '<B', '|u1'),
];
const SILENT = 'SATES21-SILENT:FPICTURE';

const folder = tempFolder('cameras');
const mainFile = folder.path('run_000001.CAMERAS.h5');

beforeAll(async () => {
  const writer = await CamerasFileWriter.create(mainFile, CREATED);
  for (const cam of CAMS) writer.addCamera(cam.name, cam.spec);
  writer.addCamera(SILENT, { dtype: 'uint16', shape: [2, 2] });
  for (const cam of CAMS) {
    cam.images.forEach((img, i) => writer.appendImage(cam.name, P0 + BigInt(i), T0 + BigInt(i) * 10_000_000n, img));
  }
  expect(writer.imageCount(CAMS[0]!.name)).toBe(3);
  writer.close();
});

afterAll(() => folder.cleanup());

describe('CamerasFileWriter, read back with h5wasm', () => {
  it('stamps file_create_datetime and puts each camera with images at the root', async () => {
    await readBack(mainFile, (file) => {
      expect(file.attrs['file_create_datetime']!.value).toBe('2024-03-01T12:34:56.789Z');
      expect(file.keys().sort()).toEqual(CAMS.map((c) => c.name).sort());
      expect(file.get(SILENT)).toBeNull();
    });
  });

  it.for(CAMS)('$name: (N, h, w) $spec.dtype, chunk (1, h, w), bitshuffle+LZ4, pixels as sent', async (cam) => {
    await readBack(mainFile, (_file, get) => {
      const data = get(`${cam.name}/data`);
      const [h, w] = cam.spec.shape;
      expect(data.dtype).toBe(cam.h5);
      expect(data.shape).toEqual([cam.images.length, h, w]);
      expect(data.metadata.chunks).toEqual([1, h, w]);
      const [filter] = data.filters;
      expect(filter?.id).toBe(32008);
      // cd_values: bitshuffle version (3 numbers) and element size are filled in by the filter; ours are the last two.
      expect(filter?.cd_values.slice(-2)).toEqual([0, 2]);
      const value = data.value as Uint16Array | Float32Array | Uint8Array;
      expect(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)).toEqual(concat(cam.little));
    });
  });

  it('writes pulse_id and timestamp as int64 (N,), chunk 8192, shuffle + gzip 4 (PSI\'s client)', async () => {
    await readBack(mainFile, (_file, get) => {
      for (const cam of CAMS) {
        const n = cam.images.length;
        for (const [name, first, step] of [['pulse_id', P0, 1n], ['timestamp', T0, 10_000_000n]] as const) {
          const ds = get(`${cam.name}/${name}`);
          expect(ds.dtype).toBe('<q');
          expect(ds.metadata.chunks).toEqual([8192]);
          expect(ds.filters.map((f) => [f.id, f.cd_values])).toEqual([[2, [8]], [1, [4]]]);
          expect(Array.from(ds.value as BigInt64Array)).toEqual(Array.from({ length: n }, (_, i) => first + BigInt(i) * step));
        }
      }
    });
  });

  it('keeps ids aligned with images past one id chunk (8,200 images)', async () => {
    const path = folder.path('many.h5');
    const writer = await CamerasFileWriter.create(path);
    writer.addCamera('TINY:FPICTURE', { dtype: 'uint8', shape: [1, 2] });
    const n = 8_200;
    for (let i = 0; i < n; i++) writer.appendImage('TINY:FPICTURE', P0 + BigInt(i), T0 + BigInt(i), Uint8Array.of(i & 0xff, i >> 8));
    writer.close();
    await readBack(path, (_file, get) => {
      expect(get('TINY:FPICTURE/data').shape).toEqual([n, 1, 2]);
      expect((get('TINY:FPICTURE/data').value as Uint8Array).slice(-2)).toEqual(Uint8Array.of((n - 1) & 0xff, (n - 1) >> 8));
      const ids = get('TINY:FPICTURE/pulse_id').value as BigInt64Array;
      expect(ids.length).toBe(n);
      expect(ids[8191]).toBe(P0 + 8191n);
      expect(ids[n - 1]).toBe(P0 + BigInt(n - 1));
      expect((get('TINY:FPICTURE/timestamp').value as BigInt64Array)[n - 1]).toBe(T0 + BigInt(n - 1));
    });
  });

  it('refuses images of the wrong size, unknown cameras and non-image shapes', async () => {
    const writer = await CamerasFileWriter.create(folder.path('refuse.h5'));
    writer.addCamera('C:FPICTURE', { dtype: 'uint16', shape: [2, 2] });
    expect(() => writer.appendImage('C:FPICTURE', P0, T0, new Uint8Array(7))).toThrow(/7 bytes, expected 8/);
    expect(() => writer.appendImage('X:FPICTURE', P0, T0, new Uint8Array(8))).toThrow(/not added/);
    expect(() => writer.addCamera('D', { dtype: 'uint16', shape: [2] as unknown as [number, number] })).toThrow(/height, width/);
    expect(() => writer.addCamera('C:FPICTURE', { dtype: 'uint16', shape: [2, 2] })).toThrow(/twice/);
    writer.close();
    expect(() => writer.appendImage('C:FPICTURE', P0, T0, new Uint8Array(8))).toThrow(/closed/);
  });
});

describe('CamerasFileWriter: compressed images stored as they came', () => {
  const H = 64;
  const W = 80;
  /** A camera-like image (pedestal, noise, a spot) as little-endian uint16 bytes. */
  const image = (seed: number) => {
    let x = seed * 2654435761 || 1;
    return new Uint8Array(Uint16Array.from({ length: H * W }, (_, i) => {
      x = (x * 1103515245 + 12345) >>> 0;
      return 1000 + ((x >>> 16) & 7) + (Math.abs((i % W) - 40) + Math.abs(Math.floor(i / W) - 30) < 8 ? 3000 : 0);
    }).buffer);
  };
  const path = folder.path('blobs.h5');
  // As the Data API sends them: bitshuffle-LZ4 with 8 KiB blocks (what the simulator and the facility send).
  const pixels = [0, 1, 2, 3].map(image);
  const blobs = pixels.map((p) => bitshuffleLz4Compress(p, 2, 8192));
  // An incompressible image compressed by the writer itself (LZ4 blocks larger than their input).
  const noise = Uint8Array.from({ length: H * W * 2 }, (_, i) => (Math.imul(i + 7, 2654435761) >>> 23) & 0xff);

  beforeAll(async () => {
    const w = await CamerasFileWriter.create(path, CREATED);
    w.addCamera('CAM:FPICTURE', { dtype: 'uint16', shape: [H, W] });
    w.addCamera('NOISE:FPICTURE', { dtype: 'uint16', shape: [H, W] });
    blobs.forEach((b, i) => w.appendCompressed('CAM:FPICTURE', P0 + BigInt(i), T0 + BigInt(i), b));
    w.appendImage('NOISE:FPICTURE', P0, T0, noise);
    w.close();
  });

  it('each chunk in the file is the blob received, byte for byte (never decompressed, never recompressed)', async () => {
    const engine = await H5Engine.load();
    const file = engine.open(path);
    try {
      const ds = file.dataset('CAM:FPICTURE/data');
      expect(ds.shape).toEqual([4, H, W]);
      blobs.forEach((blob, i) => {
        const { bytes, filterMask } = ds.readChunk([i, 0, 0]);
        expect(filterMask).toBe(0);
        expect(Buffer.from(bytes).equals(Buffer.from(blob)), `image ${i}`).toBe(true);
      });
    } finally {
      file.close();
    }
  });

  it('h5py + hdf5plugin decode them to the pixels, bit-exact; an incompressible image too', async (ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    const f = readWithH5py(path, 4);
    ctx.skip(bitshuffleMissing(f) !== undefined, bitshuffleMissing(f));
    expect(f.datasets['CAM:FPICTURE/data']).toMatchObject({ dtype: '<u2', shape: [4, H, W], filter_ids: [32008], sha256: sha256(concat(pixels)) });
    expect(f.datasets['NOISE:FPICTURE/data']?.sha256).toBe(sha256(noise));
    expect(f.datasets['CAM:FPICTURE/pulse_id']?.values).toEqual([P0, P0 + 1n, P0 + 2n, P0 + 3n].map(String));
  });

  it('refuses a blob that declares another size, is cut, or has bytes after its blocks', async () => {
    const w = await CamerasFileWriter.create(folder.path('bad-blobs.h5'));
    w.addCamera('CAM:FPICTURE', { dtype: 'uint16', shape: [H, W] });
    const blob = blobs[0]!;
    const other = bitshuffleLz4Compress(image(9).subarray(0, H * W), 2, 8192);
    expect(() => w.appendCompressed('CAM:FPICTURE', P0, T0, other)).toThrow(/declares 5120 bytes, expected 10240/);
    expect(() => w.appendCompressed('CAM:FPICTURE', P0, T0, blob.subarray(0, blob.length - 5))).toThrow(/runs past the chunk|after its blocks/);
    const padded = new Uint8Array(blob.length + 3);
    padded.set(blob);
    expect(() => w.appendCompressed('CAM:FPICTURE', P0, T0, padded)).toThrow(/3 bytes after its blocks/);
    expect(() => w.appendCompressed('CAM:FPICTURE', P0, T0, blob.subarray(0, 8))).toThrow(/12-byte header/);
    expect(w.imageCount('CAM:FPICTURE')).toBe(0);
    w.appendCompressed('CAM:FPICTURE', P0, T0, blob);
    w.close();
  });
});

describe('CamerasFileWriter, read as a scientist would (h5py)', () => {
  let py: PyFile | undefined;
  const load = () => (py ??= readWithH5py(mainFile, 8));

  it('decodes every compressed image to the pixels sent', (ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    const file = load();
    ctx.skip(bitshuffleMissing(file) !== undefined, bitshuffleMissing(file));
    for (const cam of CAMS) {
      const data = file.datasets[`${cam.name}/data`]!;
      expect(data, cam.name).toMatchObject({ dtype: cam.numpy, shape: [cam.images.length, ...cam.spec.shape], chunks: [1, ...cam.spec.shape], filter_ids: [32008] });
      // h5_to_json hashes the values as little-endian bytes, whatever the stored order.
      expect(data.sha256, cam.name).toBe(sha256(concat(cam.little)));
    }
  });

  it('reads pulse_id/timestamp as int64 with shuffle + gzip and the root attribute as a string', (ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    const file = load();
    expect(file.attrs).toEqual({ file_create_datetime: '2024-03-01T12:34:56.789Z' });
    const cam = CAMS[1]!;
    expect(file.datasets[`${cam.name}/pulse_id`]).toMatchObject({ dtype: '<i8', shape: [2], chunks: [8192], compression: 'gzip', compression_opts: 4, filter_ids: [2, 1], values: [String(P0), String(P0 + 1n)] });
    expect(file.datasets[`${cam.name}/timestamp`]).toMatchObject({ dtype: '<i8', values: [String(T0), String(T0 + 10_000_000n)] });
  });
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
