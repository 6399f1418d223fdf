/**
 * Gain and pedestal files (jungfrau.md §3): written, read back, refused when
 * malformed, and read by h5py with the spec's dtypes and shapes; the converted
 * file (§5) written from its layout and read by h5py.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import {
  readCalibration,
  readGainFile,
  readPedestalFile,
  writeGainFile,
  writePedestalFile,
} from '../../../../lib/adapters/jungfrau-files';
import { loadH5 } from '../../../../lib/adapters/hdf5/h5';
import { ConvertedPartWriter } from '../../../../lib/adapters/hdf5/detector/converted-files';
import { createConverter } from '../../../../lib/core/jungfrau/converter';
import { convertedFileLayout } from '../../../../lib/core/jungfrau/file-layout';
import { CalibrationInvalid } from '../../../../lib/core/jungfrau/calibration';
import { resolveDetectorOptions } from '../../../../lib/core/jungfrau/options';
import { tempFolder } from '../hdf5/files';

const MP = 512 * 1024;
const PY = '/usr/bin/python3';
const h5pyMissing = (() => {
  const probe = spawnSync(PY, ['-c', 'import h5py, numpy'], { encoding: 'utf8' });
  return probe.error || probe.status !== 0 ? `skipped: ${PY} cannot import h5py (apt-get install python3-h5py)` : undefined;
})();
const bitshuffleMissing = (() => {
  if (h5pyMissing) return h5pyMissing;
  const probe = spawnSync(PY, ['-c', 'import h5py, hdf5plugin; assert h5py.h5z.filter_avail(32008)'], { encoding: 'utf8' });
  return probe.status !== 0 ? 'skipped: h5py here cannot read bitshuffle (apt-get install python3-hdf5plugin bitshuffle)' : undefined;
})();

/** Run a Python snippet with `path` as argv[1] and parse its JSON output. */
const python = (script: string, path: string): unknown =>
  JSON.parse(execFileSync(PY, ['-c', `import sys, json, h5py, numpy\n${script}`, path], { encoding: 'utf8', maxBuffer: 16 << 20 }));

const tmp = tempFolder('jungfrau-files');
afterAll(() => tmp.cleanup());

describe('gain file', () => {
  test('6 planes float64 written per module, read back as float32; 4 planes float32 too', async () => {
    const path = tmp.path('gains6.h5');
    await writeGainFile(path, { modules: 2, planes: 6, values: (p, m) => new Float64Array(MP).map((_, i) => 40 + p + m / 10 + i / 1e6) });
    const read = await readGainFile(path, { modules: 2 });
    expect([read.gain.length, read.modules, read.dtype]).toEqual([6, 2, 'float64']);
    expect(read.gain[4]![MP + 7]).toBe(Math.fround(44.1 + 7 / 1e6));
    const p4 = tmp.path('gains4.h5');
    await writeGainFile(p4, { modules: 1, planes: 4, dtype: 'float32', values: (p) => new Float32Array(MP).fill(p + 0.5) });
    const r4 = await readGainFile(p4);
    expect([r4.gain.length, r4.dtype, r4.gain[3]![0]]).toEqual([4, 'float32', 3.5]);
  });

  test('refused: wrong planes, wrong module count, not float, missing', async () => {
    const path = tmp.path('gains5.h5');
    await writeRawFile(path, 'gains', new Float64Array(5 * MP), [5, 512, 1024]);
    await expect(readGainFile(path)).rejects.toThrow(/gain \/gains has 5 planes, expected 4 or 6/);
    const p2 = tmp.path('gains-2mod.h5');
    await writeGainFile(p2, { modules: 2, planes: 4, values: () => new Float64Array(MP) });
    await expect(readGainFile(p2, { modules: 3 })).rejects.toThrow(/expected 1536 x 1024 \(3 modules\)/);
    const pi = tmp.path('gains-int.h5');
    await writeRawFile(pi, 'gains', new Int32Array(4 * MP), [4, 512, 1024]);
    await expect(readGainFile(pi)).rejects.toThrow(/\/gains is int32, expected float32 or float64/);
    await expect(readGainFile(tmp.path('absent.h5'))).rejects.toBeInstanceOf(CalibrationInvalid);
  });

  test.skipIf(h5pyMissing)('h5py reads /gains float64 (6, Y, 1024)', async () => {
    const path = tmp.path('gains-py.h5');
    await writeGainFile(path, { modules: 2, planes: 6, values: (p, m) => new Float64Array(MP).fill(p * 10 + m) });
    const info = python('f = h5py.File(sys.argv[1]); d = f["gains"]; print(json.dumps([str(d.dtype), list(d.shape), float(d[4, 600, 3])]))', path);
    expect(info).toEqual(['float64', [6, 1024, 1024], 41]);
  });
});

describe('pedestal file', () => {
  const result = () => {
    const pedestal = [0, 1, 2].map((p) => Float64Array.from({ length: 2 * MP }, (_, i) => 1000 * (p + 1) + (i % 100) / 4)) as [Float64Array, Float64Array, Float64Array];
    const rms = [0, 1, 2].map(() => new Float64Array(2 * MP).fill(3)) as [Float64Array, Float64Array, Float64Array];
    const pixelMask = new Uint32Array(2 * MP);
    pixelMask[3] = 1 << 22;
    pixelMask[MP + 9] = 0x80000000;
    return { modules: 2, pedestal, rms, pixelMask };
  };

  test('written as the pedestal run writes it, read back as float32 planes and mask bits', async () => {
    const path = tmp.path('pedestal.h5');
    await writePedestalFile(path, result());
    const read = await readPedestalFile(path, { modules: 2 });
    expect([read.pedestal.length, read.modules, read.pixelMaskDtype]).toEqual([3, 2, 'int64']);
    expect(read.pedestal[2]![MP + 101]).toBe(3000 + ((MP + 101) % 100) / 4);
    expect([read.pixelMask[3], read.pixelMask[MP + 9], read.pixelMask[4]]).toEqual([1 << 22, 0x80000000, 0]);
    const gains = tmp.path('gains-for-pedestal.h5');
    await writeGainFile(gains, { modules: 2, planes: 6, values: () => new Float64Array(MP).fill(40) });
    const calibration = await readCalibration(gains, path, 2);
    expect([calibration.gain.length, calibration.pedestal.length, calibration.pixelMask.length]).toEqual([6, 3, 2 * MP]);
  });

  test('refused: pixel_mask of another type, wrong shape; /gains with 2 planes', async () => {
    const bad = tmp.path('pedestal-uint8.h5');
    await writeRawFile(bad, 'gains', new Float64Array(3 * MP), [3, 512, 1024], [['pixel_mask', new Uint8Array(MP), [512, 1024]]]);
    await expect(readPedestalFile(bad)).rejects.toThrow(/\/pixel_mask is uint8, expected int64 or bool/);
    const shape = tmp.path('pedestal-shape.h5');
    await writeRawFile(shape, 'gains', new Float64Array(3 * MP), [3, 512, 1024], [['pixel_mask', new BigInt64Array(2 * MP), [1024, 1024]]]);
    await expect(readPedestalFile(shape)).rejects.toThrow(/\/pixel_mask is 1024 x 1024, expected 512 x 1024 \(1 modules\)/);
    const planes = tmp.path('pedestal-2planes.h5');
    await writeRawFile(planes, 'gains', new Float64Array(2 * MP), [2, 512, 1024], [['pixel_mask', new BigInt64Array(MP), [512, 1024]]]);
    await expect(readPedestalFile(planes)).rejects.toThrow(/pedestal \/gains has 2 planes, expected 3 or 4/);
  });

  test.skipIf(h5pyMissing)('h5py: gains/gainsRMS float64 (3, Y, 1024), pixel_mask int64 (Y, 1024); a bool mask from h5py is read (True = bad)', async () => {
    const path = tmp.path('pedestal-py.h5');
    await writePedestalFile(path, result());
    const info = python('f = h5py.File(sys.argv[1]); print(json.dumps({k: [str(f[k].dtype), list(f[k].shape)] for k in f}))', path);
    expect(info).toEqual({ gains: ['float64', [3, 1024, 1024]], gainsRMS: ['float64', [3, 1024, 1024]], pixel_mask: ['int64', [1024, 1024]] });
    const boolFile = tmp.path('pedestal-bool.h5');
    python(
      'f = h5py.File(sys.argv[1], "w"); f["gains"] = numpy.full((4, 512, 1024), 7.5, dtype=numpy.float32); m = numpy.zeros((512, 1024), dtype=bool); m[0, 3] = True; f["pixel_mask"] = m; f.close(); print("1")',
      boolFile,
    );
    const read = await readPedestalFile(boolFile);
    expect([read.pixelMaskDtype, read.pedestal.length, read.pedestal[3]![0], read.pixelMask[3], read.pixelMask[4]]).toEqual(['bool', 4, 7.5, 1, 0]);
  });
});

describe('converted file', () => {
  test.skipIf(bitshuffleMissing)('written from its layout (one part is the file); h5py sees the datasets, dtypes and values', async () => {
    const modules = 3;
    const options = resolveDetectorOptions('JF01T03V01', modules, { adc_to_energy: true, geometry: true, factor: 0.5, disabled_modules: [1] });
    const n = modules * MP;
    const calibration = { modules, gain: [0, 1, 2, 3].map(() => new Float32Array(n).fill(2)), pedestal: [0, 1, 2].map(() => new Float32Array(n).fill(10)), pixelMask: new Uint32Array(n) };
    calibration.pixelMask[5] = 1 << 3;
    const converter = createConverter(calibration, options, { inputModules: [0, 1, 2] });
    const frames = 3;
    const raw = new Uint16Array(frames * n).fill(30); // (30 - 10) / 2 / 0.5 = 20
    const [images] = converter.allocate(frames);
    converter.convert(raw, frames, [images!]);
    const layout = convertedFileLayout(options, converter, frames);
    const path = tmp.path('converted.h5');
    const w = await ConvertedPartWriter.create(path, layout, 'JF01T03V01');
    const frame = (i: number) => new Uint8Array(images!.buffer, images!.byteOffset + i * 1614 * 1030 * 4, 1614 * 1030 * 4);
    w.appendFrames(0, [frame(0), frame(1)]);
    w.appendFrames(0, [frame(2)]);
    w.close({ pulseId: BigUint64Array.of(10n, 12n, 14n), daqRec: Uint32Array.of(1, 1 << 19, 0), isGoodFrame: Uint8Array.of(1, 1, 1) });
    const info = python(
      `f = h5py.File(sys.argv[1])
import hdf5plugin
out = {}
def visit(name, obj):
    if isinstance(obj, h5py.Dataset):
        out[name] = [str(obj.dtype), list(obj.shape), list(obj._filters.keys())]
f.visititems(visit)
d = f["data/JF01T03V01/data"]
m = f["data/JF01T03V01/meta"]
out["values"] = [int(d[2, 0, 0]), int(d[0, 0, 5]), int(d[1, 600, 10]), f["general/detector_name"][()].decode(), int(f["data/JF01T03V01/pulse_id"][2, 0]),
  m["double_pixels"][()].decode(), [int(v) for v in m["module_map"][:]], bool(numpy.isnan(m["conversion_factor"][()])) , float(m["conversion_factor"][()]),
  int(m["pixel_mask_reasons"][0, 5]), int(m["pixel_mask"][0, 5]), int(m["pixel_mask_reasons"][258, 10]), int(m["conversion"][()])]
print(json.dumps(out))`,
      path,
    ) as Record<string, unknown>;
    expect(info['data/JF01T03V01/data']).toEqual(['int32', [3, 1614, 1030], []]);
    expect(info['data/JF01T03V01/pulse_id']).toEqual(['uint64', [3, 1], []]);
    expect(info['data/JF01T03V01/daq_rec']).toEqual(['uint32', [3, 1], []]);
    expect(info['data/JF01T03V01/is_good_frame']).toEqual(['uint8', [3, 1], []]);
    expect(info['data/JF01T03V01/meta/pixel_mask_reasons']).toEqual(['int64', [1614, 1030], []]);
    expect(info['data/JF01T03V01/meta/pixel_mask']).toEqual(['uint8', [1614, 1030], []]);
    expect(info['data/JF01T03V01/meta/downsample']).toEqual(['int64', [2], []]);
    expect(info['data/JF01T03V01/meta/good_pixels_fraction']).toEqual(['float64', [], []]);
    expect(info['general/detector_name']).toEqual(['object', [], []]);
    expect(info['data/JF01T03V01/frame_index']).toBeUndefined();
    // values: converted 20; masked pixel 5 is 0; module 1 (rows 550..) disabled: empty; double pixels masked by default
    expect(info.values).toEqual([20, 0, 0, 'JF01T03V01', 14, 'mask', [0, -1, 2], false, 0.5, 1 << 3, 0, (1 << 21) >>> 0, 1]);
  });

  test('layout: ROI groups replace data/<DET>, each with meta/roi', () => {
    const options = resolveDetectorOptions('JF01T03V01', 3, { adc_to_energy: true, roi: { a: [0, 10, 0, 20] } });
    const paths = convertedFileLayout(options, { images: [{ ...options.outputs[0]!, pixelMask: new Uint8Array(200), pixelMaskReasons: new Uint32Array(200), goodPixelsFraction: 1 }], moduleMap: Int32Array.of(0, 1, 2) }, 5).map((d) => d.path);
    expect(paths).toContain('data/JF01T03V01:ROI_a/data');
    expect(paths).toContain('data/JF01T03V01:ROI_a/meta/roi');
    expect(paths.some((p) => p.startsWith('data/JF01T03V01/'))).toBe(false);
  });
});

/** A file with arbitrary datasets (h5wasm infers the type from the typed array). */
async function writeRawFile(path: string, name: string, data: Float64Array | Int32Array, shape: number[], more: [string, Uint8Array | BigInt64Array, number[]][] = []) {
  const { lib } = await loadH5();
  const f = new lib.File(path, 'w');
  f.create_dataset({ name, data, shape });
  for (const [n, d, s] of more) f.create_dataset({ name: n, data: d, shape: s });
  f.close();
}
