import type { Group } from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DetectorFileWriter, MODULE_COLUMNS, MODULE_ROWS, type DetectorFrame } from '../../../../lib/adapters/hdf5';
import { readBack, tempFolder } from './files';
import { bitshuffleMissing, h5pyMissing, readWithH5py, sha256, type PyFile } from './h5py';

const DET = 'JF01T02V01';
const MODULES = 2;
const N = 4;
const FRAME_BYTES = MODULES * MODULE_ROWS * MODULE_COLUMNS * 2;
const P0 = 18_940_426_900n;

/** Frame i: a pixel pattern that differs per frame and per module, and its metadata. */
function frame(i: number): DetectorFrame {
  const pixels = new Uint16Array(FRAME_BYTES / 2);
  for (let p = 0; p < pixels.length; p++) pixels[p] = (p * 7 + i * 1000 + (p >> 19) * 3) & 0xffff;
  return {
    pixels: new Uint8Array(pixels.buffer),
    pulseId: P0 + BigInt(i) * 10n,
    frameIndex: 5_000_000n + BigInt(i),
    // The buffer's daq_rec is uint64; sf_writer keeps its low 32 bits.
    daqRec: (1n << 40n) | BigInt(i << 16),
    isGoodFrame: i !== 1,
  };
}

const folder = tempFolder('detector');
const raw = folder.path(`run_000001.${DET}.h5`);
const compressed = folder.path(`run_000002.${DET}.h5`);
/** Frame 2 is never written: it must read as zeros. */
const WRITTEN = [0, 1, 3];

beforeAll(async () => {
  for (const [path, compression] of [[raw, false], [compressed, true]] as const) {
    const writer = await DetectorFileWriter.create(path, { detector: DET, modules: MODULES, frames: N, compression });
    for (const i of [3, 0, 1]) writer.writeFrame(i, frame(i));
    writer.close();
  }
});

afterAll(() => folder.cleanup());

function expectedPixels(): Uint8Array {
  const all = new Uint8Array(N * FRAME_BYTES);
  for (const i of WRITTEN) all.set(frame(i).pixels, i * FRAME_BYTES);
  return all;
}

describe('DetectorFileWriter, read back with h5wasm', () => {
  it.for([['raw', raw], ['compressed', compressed]] as const)('%s: sf_writer layout, dtypes, shapes, no attributes', async ([kind, path]) => {
    await readBack(path, (file, get) => {
      expect(file.paths().sort()).toEqual([
        'data', `data/${DET}`, `data/${DET}/daq_rec`, `data/${DET}/data`, `data/${DET}/frame_index`,
        `data/${DET}/is_good_frame`, `data/${DET}/pulse_id`, 'general', 'general/detector_name',
      ]);
      const name = get('general/detector_name');
      expect(name.dtype).toBe('A'); // variable-length ASCII
      expect(name.shape).toEqual([]);
      expect(name.value).toBe(DET);

      const data = get(`data/${DET}/data`);
      expect(data.dtype).toBe('<H');
      expect(data.shape).toEqual([N, MODULES * 512, 1024]);
      expect(data.metadata.maxshape).toEqual([N, MODULES * 512, 1024]);
      expect(data.metadata.chunks).toEqual([1, MODULES * 512, 1024]);
      expect(data.filters.map((f) => f.id)).toEqual(kind === 'compressed' ? [32008] : []);

      for (const [ds, dtype] of [['pulse_id', '<Q'], ['frame_index', '<Q'], ['daq_rec', '<I'], ['is_good_frame', '<B']]) {
        const d = get(`data/${DET}/${ds}`);
        expect(d.dtype, ds).toBe(dtype);
        expect(d.shape, ds).toEqual([N, 1]);
        expect(d.metadata.chunks, `${ds} is contiguous`).toBeNull();
      }
      for (const p of file.paths()) expect(Object.keys((file.get(p) as Group).attrs), p).toEqual([]);
      expect(Object.keys(file.attrs)).toEqual([]);
    });
  });

  it.for([['raw', raw], ['compressed', compressed]] as const)('%s: frames and metadata as written, an unwritten frame zero', async ([, path]) => {
    await readBack(path, (_file, get) => {
      const data = get(`data/${DET}/data`);
      for (let i = 0; i < N; i++) {
        const got = data.slice([[i, i + 1]]) as Uint16Array;
        const want = WRITTEN.includes(i) ? frame(i).pixels : new Uint8Array(FRAME_BYTES);
        expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want)), `frame ${i}`).toBe(true);
      }
      const meta = (i: number) => (WRITTEN.includes(i) ? frame(i) : undefined);
      expect(Array.from(get(`data/${DET}/pulse_id`).value as BigUint64Array)).toEqual([0, 1, 2, 3].map((i) => meta(i)?.pulseId ?? 0n));
      expect(Array.from(get(`data/${DET}/frame_index`).value as BigUint64Array)).toEqual([0, 1, 2, 3].map((i) => meta(i)?.frameIndex ?? 0n));
      expect(Array.from(get(`data/${DET}/daq_rec`).value as Uint32Array)).toEqual([0, 1 << 16, 0, 3 << 16]);
      expect(Array.from(get(`data/${DET}/is_good_frame`).value as Uint8Array)).toEqual([1, 0, 0, 1]);
    });
  });

  it('writes frames filled in place in the wasm heap (frameBuffer) like any other', async () => {
    const path = folder.path('in-place.h5');
    const writer = await DetectorFileWriter.create(path, { detector: DET, modules: MODULES, frames: 2 });
    for (const i of [0, 1]) {
      const pixels = writer.frameBuffer();
      pixels.set(frame(i).pixels);
      writer.writeFrame(i, { ...frame(i), pixels });
    }
    writer.close();
    await readBack(path, (_file, get) => {
      const data = get(`data/${DET}/data`).value as Uint16Array;
      expect(Buffer.from(data.buffer, data.byteOffset, data.byteLength).equals(Buffer.concat([frame(0).pixels, frame(1).pixels]))).toBe(true);
    });
  });

  it('writes an empty file for 0 frames and refuses bad frames', async () => {
    const empty = folder.path('empty.h5');
    const none = await DetectorFileWriter.create(empty, { detector: DET, modules: 1, frames: 0 });
    expect(() => none.writeFrame(0, frame(0))).toThrow(/outside/);
    none.close();
    await readBack(empty, (_file, get) => {
      expect(get(`data/${DET}/data`).shape).toEqual([0, 512, 1024]);
      expect(get(`data/${DET}/pulse_id`).shape).toEqual([0, 1]);
    });

    const writer = await DetectorFileWriter.create(folder.path('refuse.h5'), { detector: DET, modules: 1, frames: 2 });
    expect(() => writer.writeFrame(0, frame(0))).toThrow(/2097152 bytes, expected 1048576/);
    expect(() => writer.writeFrame(2, { ...frame(0), pixels: new Uint8Array(1 << 20) })).toThrow(/outside 0..1/);
    writer.close();
    writer.close();
    expect(() => writer.writeFrame(0, { ...frame(0), pixels: new Uint8Array(1 << 20) })).toThrow(/closed/);
    await expect(DetectorFileWriter.create(folder.path('x.h5'), { detector: 'A/B', modules: 1, frames: 1 })).rejects.toThrow(/group name/);
  });
});

describe('DetectorFileWriter, read as a scientist would (h5py)', () => {
  const cache = new Map<string, PyFile>();
  const load = (path: string) => cache.get(path) ?? cache.set(path, readWithH5py(path, 8)).get(path)!;

  it.for([['raw', raw], ['compressed', compressed]] as const)('%s: dtypes, shapes, detector_name and every frame decode', (([kind, path], ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    const file = load(path);
    if (kind === 'compressed') ctx.skip(bitshuffleMissing(file) !== undefined, bitshuffleMissing(file));
    expect(file.datasets['general/detector_name']).toMatchObject({ shape: [], kind: 'string', string: { encoding: 'ascii', length: null }, values: DET });
    expect(file.datasets[`data/${DET}/data`]).toMatchObject({
      dtype: '<u2', shape: [N, MODULES * 512, 1024], maxshape: [N, MODULES * 512, 1024], chunks: [1, MODULES * 512, 1024],
      filter_ids: kind === 'compressed' ? [32008] : [],
    });
    expect(file.datasets[`data/${DET}/data`]!.sha256).toBe(sha256(expectedPixels()));
    expect(file.datasets[`data/${DET}/pulse_id`]).toMatchObject({ dtype: '<u8', shape: [N, 1], chunks: null, values: [P0, P0 + 10n, 0n, P0 + 30n].map(String) });
    expect(file.datasets[`data/${DET}/frame_index`]).toMatchObject({ dtype: '<u8', shape: [N, 1] });
    expect(file.datasets[`data/${DET}/daq_rec`]).toMatchObject({ dtype: '<u4', shape: [N, 1], values: [0, 65536, 0, 196608] });
    expect(file.datasets[`data/${DET}/is_good_frame`]).toMatchObject({ dtype: '|u1', shape: [N, 1], values: [1, 0, 0, 1] });
  }));
});
