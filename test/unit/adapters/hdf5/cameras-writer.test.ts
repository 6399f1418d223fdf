import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CamerasFileWriter, type CameraSpec } from '../../../../lib/adapters/hdf5';
import { readBack, tempFolder } from './files';
import { bitshuffleMissing, h5pyMissing, readWithH5py, sha256, type PyFile } from './h5py';

const CREATED = new Date('2024-03-01T12:34:56.789Z');
const T0 = 1_709_296_496_789_000_916n;
const P0 = 19_000_000_000n;

interface Cam {
  name: string;
  spec: CameraSpec;
  /** Images as the buffer delivers them (camera byte order). */
  images: Uint8Array[];
  /** The same images as little-endian bytes: what the file must hold. */
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

const CAMS: Cam[] = [
  camera('SATES21-CAMS154-M1:FPICTURE', { dtype: 'uint16', shape: [6, 8], byteOrder: 'little' }, 3, 2, '<H', '<u2'),
  camera('SARES11-CAMS-BE.x:FPICTURE', { dtype: 'uint16', shape: [4, 5], byteOrder: 'big' }, 2, 2, '<H', '<u2'),
  camera('SLAAR21-LCAM-C561:FPICTURE', { dtype: 'float32', shape: [3, 3], byteOrder: 'big' }, 2, 4, '<f', '<f4'),
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

  it('writes pulse_id and timestamp as int64 (N,), chunk 8192, gzip 4', async () => {
    await readBack(mainFile, (_file, get) => {
      for (const cam of CAMS) {
        const n = cam.images.length;
        for (const [name, first, step] of [['pulse_id', P0, 1n], ['timestamp', T0, 10_000_000n]] as const) {
          const ds = get(`${cam.name}/${name}`);
          expect(ds.dtype).toBe('<q');
          expect(ds.metadata.chunks).toEqual([8192]);
          expect(ds.filters.map((f) => [f.id, f.cd_values])).toEqual([[1, [4]]]);
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
      expect(data.sha256, cam.name).toBe(sha256(concat(cam.little)));
    }
  });

  it('reads pulse_id/timestamp as int64 with gzip and the root attribute as a string', (ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    const file = load();
    expect(file.attrs).toEqual({ file_create_datetime: '2024-03-01T12:34:56.789Z' });
    const cam = CAMS[1]!;
    expect(file.datasets[`${cam.name}/pulse_id`]).toMatchObject({ dtype: '<i8', shape: [2], chunks: [8192], compression: 'gzip', compression_opts: 4, values: [String(P0), String(P0 + 1n)] });
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
