/**
 * The HDF5 engine writing real files, read back by the engine and, independently, by Debian's h5py
 * (+ hdf5plugin / bitshuffle) and h5dump, as scientists read them.
 */
import { closeSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { H5Engine, H5EngineError, type Dtype, type TypedArray } from '../../../../../lib/adapters/hdf5/engine';
import { tempFolder } from '../files';
import { h5dumpHeader, h5dumpMissing, py, pythonMissing } from './py';
import { cameraImage, sha256 } from './samples';

const folder = tempFolder('h5engine');
if (pythonMissing) console.warn(`engine tests: h5py checks ${pythonMissing}`);
let engine: H5Engine;
beforeAll(async () => {
  engine = await H5Engine.load();
});
afterAll(() => folder.cleanup());

const NUMERIC: { dtype: Dtype; np: string; make: (n: number) => TypedArray }[] = [
  { dtype: 'int8', np: '|i1', make: (n) => Int8Array.from({ length: n }, (_, i) => (i % 256) - 128) },
  { dtype: 'uint8', np: '|u1', make: (n) => Uint8Array.from({ length: n }, (_, i) => (i * 7) % 256) },
  { dtype: 'int16', np: '<i2', make: (n) => Int16Array.from({ length: n }, (_, i) => i * 331 - 30000) },
  { dtype: 'uint16', np: '<u2', make: (n) => Uint16Array.from({ length: n }, (_, i) => (i * 977) % 65536) },
  { dtype: 'int32', np: '<i4', make: (n) => Int32Array.from({ length: n }, (_, i) => i * 1_000_003 - 2 ** 30) },
  { dtype: 'uint32', np: '<u4', make: (n) => Uint32Array.from({ length: n }, (_, i) => (i * 2_654_435_761) >>> 0) },
  { dtype: 'int64', np: '<i8', make: (n) => BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 18_940_426_916_000_001n - 2n ** 62n) },
  { dtype: 'uint64', np: '<u8', make: (n) => BigUint64Array.from({ length: n }, (_, i) => 2n ** 64n - 1n - BigInt(i) * 12_345_678_901_234n) },
  { dtype: 'float32', np: '<f4', make: (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1e6) },
  { dtype: 'float64', np: '<f8', make: (n) => Float64Array.from({ length: n }, (_, i) => Math.exp(i / 10) - Math.PI) },
  { dtype: 'int16be', np: '>i2', make: (n) => Int16Array.from({ length: n }, (_, i) => 1000 - i * 77) },
  { dtype: 'uint16be', np: '>u2', make: (n) => Uint16Array.from({ length: n }, (_, i) => i * 513) },
  { dtype: 'int32be', np: '>i4', make: (n) => Int32Array.from({ length: n }, (_, i) => -i * 65_537) },
  { dtype: 'uint32be', np: '>u4', make: (n) => Uint32Array.from({ length: n }, (_, i) => i * 16_777_259) },
  { dtype: 'int64be', np: '>i8', make: (n) => BigInt64Array.from({ length: n }, (_, i) => -(BigInt(i) << 40n)) },
  { dtype: 'uint64be', np: '>u8', make: (n) => BigUint64Array.from({ length: n }, (_, i) => (BigInt(i) << 56n) + 1n) },
  { dtype: 'float32be', np: '>f4', make: (n) => Float32Array.from({ length: n }, (_, i) => i / 3) },
  { dtype: 'float64be', np: '>f8', make: (n) => Float64Array.from({ length: n }, (_, i) => -i * 1e-300) },
];

/** sha256 of the values as little-endian bytes (what the Python side hashes), from native arrays. */
const hashOf = (a: ArrayBufferView) => sha256(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

const READ_ALL = `
out = {}
with h5py.File(sys.argv[1], 'r') as f:
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            s = h5py.check_string_dtype(obj.dtype)
            a = obj[()]
            info = {'dtype': 'str' if s else obj.dtype.str, 'shape': list(obj.shape), 'maxshape': [m for m in obj.maxshape] if obj.maxshape else None,
                    'chunks': list(obj.chunks) if obj.chunks else None, 'compression': obj.compression, 'opts': obj.compression_opts,
                    'attrs': {k: (v.decode() if isinstance(v, bytes) else v.tolist() if hasattr(v, 'tolist') else v) for k, v in obj.attrs.items()}}
            if s:
                info['encoding'] = s.encoding
                info['values'] = obj.asstr()[()] if obj.shape == () else list(obj.asstr()[()])
            else:
                info['sha256'] = hashlib.sha256(np.ascontiguousarray(a, dtype=a.dtype.newbyteorder('<')).tobytes()).hexdigest()
                info['head'] = [str(x) for x in np.asarray(a).ravel()[:4].tolist()]
            out[name] = info
        else:
            out[name] = {'group': True, 'attrs': {k: (v.decode() if isinstance(v, bytes) else v.tolist() if hasattr(v, 'tolist') else v) for k, v in obj.attrs.items()}}
    f.visititems(visit)
    out['/'] = {'attrs': {k: (v.decode() if isinstance(v, bytes) else v.tolist() if hasattr(v, 'tolist') else v) for k, v in f.attrs.items()}}
print(json.dumps(out, default=str))
`;
interface PyInfo {
  dtype: string; shape: number[]; maxshape: (number | null)[] | null; chunks: number[] | null; compression: string | null;
  opts: unknown; attrs: Record<string, unknown>; encoding?: string; values?: unknown; sha256?: string; head?: string[]; group?: boolean;
}
const readAll = (path: string, plugins = true) => py<Record<string, PyInfo>>(READ_ALL, [path], { plugins });

describe('H5Engine', () => {
  it('loads once per process, with deflate, shuffle and bitshuffle (32008, SIMD) compiled in', async () => {
    expect(await H5Engine.load()).toBe(engine);
    expect([1, 2, 3, 32008].map((id) => engine.hasFilter(id))).toEqual([true, true, true, true]);
    expect(engine.simd).toBe(true);
  });

  it('turns HDF5 failures into H5EngineError with HDF5\'s reason (its own printing is off)', () => {
    const err = (() => { try { engine.open(folder.path('missing.h5')); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(H5EngineError);
    expect(String((err as Error).message)).toMatch(/open .*missing\.h5: cannot open file: .*unable to open file/);
    const file = engine.create(folder.path('errors.h5'));
    const ds = file.createDataset('x', { dtype: 'int32', shape: [4] });
    expect(() => ds.writeSlab([3], [2], new Int32Array(2))).toThrow(/selection outside the dataset's extent/);
    expect(() => file.createDataset('x', { dtype: 'int32', shape: [4] })).toThrow(/create dataset x: .*already exists/);
    expect(() => engine.create(folder.path('errors.h5'), { overwrite: false })).toThrow(H5EngineError);
    file.close();
    expect(() => ds.writeSlab([0], [1], new Int32Array(1))).toThrow(/closed/);
    expect(engine.openObjects).toBe(0);
  });
});

describe.skipIf(pythonMissing)('files read by h5py', () => {
  test('every numeric dtype, little- and big-endian, round trips (engine and h5py)', () => {
    const path = folder.path('dtypes.h5');
    const file = engine.create(path);
    const data = new Map<Dtype, TypedArray>();
    for (const { dtype, make } of NUMERIC) {
      const values = make(24);
      data.set(dtype, values);
      const ds = file.createDataset(`d/${dtype}`, { dtype, shape: [0, 6], maxshape: [null, 6], chunks: [2, 6] });
      ds.resize([4, 6]);
      ds.writeSlab([0, 0], [2, 6], values.subarray(0, 12));
      file.writeSlab(ds, [2, 0], [2, 6], values.subarray(12));
      expect(Array.from(ds.readSlab([0, 0], [4, 6]) as ArrayLike<unknown>)).toEqual(Array.from(values as ArrayLike<unknown>));
      expect(ds.dtype).toBe(dtype);
      expect(ds.extent).toEqual({ shape: [4, 6], maxshape: [null, 6] });
      ds.close();
    }
    file.close();
    const seen = readAll(path);
    for (const { dtype, np } of NUMERIC) {
      const info = seen[`d/${dtype}`]!;
      expect({ dtype, np: info.dtype, shape: info.shape, sha: info.sha256 }).toEqual({ dtype, np, shape: [4, 6], sha: hashOf(data.get(dtype)!) });
    }
  });

  test('bool is stored as h5py stores numpy.bool: h5py reads dtype bool', () => {
    const path = folder.path('bool.h5');
    const file = engine.create(path);
    file.createDataset('flags', { dtype: 'bool', shape: [5] }).writeSlab([0], [5], Uint8Array.of(1, 0, 0, 1, 1));
    file.close();
    const r = py<{ dtype: string; values: boolean[] }>(
      `f = h5py.File(sys.argv[1], 'r'); d = f['flags']
print(json.dumps({'dtype': str(d.dtype), 'values': d[()].tolist()}))`,
      [path],
    );
    expect(r.dtype).toBe('bool');
    expect(r.values).toEqual([true, false, false, true, true]);
    expect(h5dumpMissing ? 'H5T_ENUM' : h5dumpHeader(path, 'flags')).toMatch(/H5T_ENUM[\s\S]*"FALSE"\s+0;[\s\S]*"TRUE"\s+1;/);
  });

  test('strings: scalar ASCII (sf_writer detector_name), 1-D UTF-8 (global_date), chunked + gzip', () => {
    const path = folder.path('strings.h5');
    const file = engine.create(path);
    file.createStringDataset('general/detector_name', 'JF01T03V01', { ascii: true });
    const dates = ['2025-06-01T12:00:00.000000+02:00', 'Ünïcødé µs ✓', ''];
    file.createStringDataset('data/CH/global_date', dates);
    const grown = file.createDataset('data/CH/log', { dtype: 'string', shape: [0], maxshape: [null], chunks: [1024], filters: { shuffle: true, deflate: 4 } });
    grown.resize([2]);
    grown.writeStrings([0], [2], ['a', 'ß']);
    expect(file.dataset('data/CH/global_date').readStrings([0], [3])).toEqual(dates);
    expect(file.dataset('general/detector_name').readStrings([], [])).toEqual(['JF01T03V01']);
    file.close();
    const seen = readAll(path);
    expect(seen['general/detector_name']).toMatchObject({ dtype: 'str', shape: [], encoding: 'ascii', values: 'JF01T03V01' });
    expect(seen['data/CH/global_date']).toMatchObject({ dtype: 'str', shape: [3], encoding: 'utf-8', values: dates });
    expect(seen['data/CH/log']).toMatchObject({ values: ['a', 'ß'], compression: 'gzip', opts: 4, chunks: [1024] });
  });

  test('attributes: string, int64, float64, arrays, on the file, groups and datasets', () => {
    const path = folder.path('attrs.h5');
    const file = engine.create(path);
    file.setAttribute('file_create_datetime', '2025-06-01T12:00:00.000Z');
    const g = file.createGroup('general/deeper');
    g.setAttribute('run', 18_940_426_916_123_456n);
    g.setAttribute('rate', 100.5);
    g.setAttribute('modules', [0, 2], 'int32');
    const ds = file.createDataset('x', { dtype: 'uint8', shape: [1] });
    ds.setAttribute('unit', 'µJ');
    ds.setAttribute('unit', 'mJ'); // replaced
    ds.setAttribute('ids', [1n, 2n ** 63n - 1n]);
    file.close();
    const seen = readAll(path);
    expect(seen['/']!.attrs).toEqual({ file_create_datetime: '2025-06-01T12:00:00.000Z' });
    expect(seen['general/deeper']!.attrs).toEqual({ run: 18_940_426_916_123_456, rate: 100.5, modules: [0, 2] });
    expect(seen['x']!.attrs).toEqual({ unit: 'mJ', ids: [1, 9223372036854775807] });
    const types = py<Record<string, string>>(
      `f = h5py.File(sys.argv[1], 'r'); g = f['general/deeper']
print(json.dumps({'run': str(g.attrs['run']), 'run_t': g.attrs['run'].dtype.str, 'rate_t': g.attrs['rate'].dtype.str, 'mod_t': g.attrs['modules'].dtype.str, 'created_t': str(type(f.attrs['file_create_datetime']))}))`,
      [path],
    );
    expect(types).toEqual({ run: '18940426916123456', run_t: '<i8', rate_t: '<f8', mod_t: '<i4', created_t: "<class 'str'>" });
  });

  test('chunked shuffle + gzip is read by h5py with no filter plugin at all', () => {
    const path = folder.path('gzip.h5');
    const file = engine.create(path);
    const values = Float64Array.from({ length: 6000 }, (_, i) => 1000 + Math.sin(i / 50));
    const ds = file.createDataset('data/CH/data', { dtype: 'float64', shape: [0], maxshape: [null], chunks: [8192], filters: { shuffle: true, deflate: 4 } });
    ds.resize([6000]);
    ds.writeSlab([0], [6000], values);
    const stored = ds.storageSize;
    file.close();
    expect(stored).toBeLessThan(values.byteLength * 0.75);
    const seen = readAll(path, false);
    expect(seen['data/CH/data']).toMatchObject({ compression: 'gzip', opts: 4, chunks: [8192], sha256: hashOf(values) });
    if (!h5dumpMissing) {
      expect(h5dumpHeader(path, 'data/CH/data')).toMatch(/FILTERS \{\s*PREPROCESSING SHUFFLE\s*COMPRESSION DEFLATE \{ LEVEL 4 \}/);
    }
  });

  test('direct chunks: blobs made by h5py + hdf5plugin and by bitshuffle are stored as they are, read back bit-exact', () => {
    const made = folder.path('made-by-python.h5');
    const blobs = py<{ plugin: string[]; bitshuffle: string[]; sha: string; bslz4_opts: number[] }>(
      `import bitshuffle
rng = np.random.default_rng(7)
y, x = np.mgrid[0:256, 0:320]
imgs = [(1000 + 500 * np.exp(-((x - 100 - 20 * i) ** 2 + (y - 120) ** 2) / 800.0) + rng.poisson(20, (256, 320))).astype('<u2') for i in range(3)]
with h5py.File(sys.argv[1], 'w') as f:
    d = f.create_dataset('img', data=np.stack(imgs), chunks=(1, 256, 320), **hdf5plugin.Bitshuffle(nelems=0, cname='lz4'))
    plugin = [d.id.read_direct_chunk((i, 0, 0))[1].hex() for i in range(3)]
    opts = list(d._filters['32008'])
# what the Data API sends: 8-byte BE size + 4-byte BE block size (bytes) + bitshuffle.compress_lz4's stream
bs = [(struct.pack('>QI', im.nbytes, 8192) + bitshuffle.compress_lz4(im, 4096).tobytes()).hex() for im in imgs]
print(json.dumps({'plugin': plugin, 'bitshuffle': bs, 'sha': hashlib.sha256(np.stack(imgs).tobytes()).hexdigest(), 'bslz4_opts': opts}))`,
      [made],
    );
    expect(blobs.plugin).toEqual(blobs.bitshuffle); // the Data API blob is the HDF5 chunk
    for (const source of ['plugin', 'bitshuffle'] as const) {
      const path = folder.path(`direct-${source}.h5`);
      const file = engine.create(path);
      const ds = file.createDataset('CAM:FPICTURE/data', { dtype: 'uint16', shape: [0, 256, 320], maxshape: [null, 256, 320], chunks: [1, 256, 320], filters: { bitshuffleLz4: true } });
      ds.resize([3, 256, 320]);
      blobs[source].forEach((hex, i) => ds.writeChunk([i, 0, 0], Buffer.from(hex, 'hex')));
      expect(Buffer.from(ds.readChunk([1, 0, 0]).bytes).toString('hex')).toBe(blobs[source][1]);
      const decoded = ds.readSlab([0, 0, 0], [3, 256, 320]); // the engine's own 32008 decoder
      file.close();
      expect(hashOf(decoded)).toBe(blobs.sha);
      expect(readAll(path)['CAM:FPICTURE/data']).toMatchObject({ sha256: blobs.sha, chunks: [1, 256, 320] });
    }
    // the engine's compressor gives the same bytes as Debian's bitshuffle 0.3.5 + liblz4
    const image = py<{ raw: string }>(`f = h5py.File(sys.argv[1], 'r'); print(json.dumps({'raw': f['img'][0].tobytes().hex()}))`, [made]);
    expect(Buffer.from(engine.bitshuffleLz4Compress(Buffer.from(image.raw, 'hex'), 2)).toString('hex')).toBe(blobs.bitshuffle[0]);
    if (!h5dumpMissing) {
      expect(h5dumpHeader(folder.path('direct-plugin.h5'), 'CAM:FPICTURE/data')).toMatch(/USER_DEFINED_FILTER \{\s*FILTER_ID 32008[\s\S]*PARAMS \{ 0 2 2 0 2 \}/);
    }
    expect(blobs.bslz4_opts.slice(2)).toEqual([2, 0, 2]);
  });

  test('compressed in wasm (direct chunks and the filter pipeline): h5py + hdf5plugin read bit-exact', () => {
    const path = folder.path('wasm-compressed.h5');
    const frames = [0, 1, 2, 3].map((i) => cameraImage(256, 320, i));
    const file = engine.create(path);
    const direct = file.createDataset('direct', { dtype: 'uint16', shape: [4, 256, 320], chunks: [1, 256, 320], filters: { bitshuffleLz4: true } });
    frames.forEach((f, i) => direct.writeChunk([i, 0, 0], engine.bitshuffleLz4Compress(f, 2)));
    const piped = file.createDataset('piped', { dtype: 'uint16', shape: [4, 256, 320], chunks: [1, 256, 320], filters: { bitshuffleLz4: true } });
    frames.forEach((f, i) => piped.writeSlab([i, 0, 0], [1, 256, 320], f));
    expect(piped.storageSize).toBeLessThan(4 * 256 * 320 * 2 * 0.6);
    file.close();
    const all = new Uint16Array(4 * 256 * 320);
    frames.forEach((f, i) => all.set(f, i * 256 * 320));
    const seen = readAll(path);
    expect(seen['direct']!.sha256).toBe(hashOf(all));
    expect(seen['piped']!.sha256).toBe(hashOf(all));
    // and decompress is the inverse, refusing a cut chunk
    const chunk = engine.bitshuffleLz4Compress(frames[0]!, 2, 2048);
    expect(hashOf(engine.bitshuffleLz4Decompress(chunk, 2))).toBe(hashOf(frames[0]!));
    expect(() => engine.bitshuffleLz4Decompress(chunk.subarray(0, chunk.length - 9), 2)).toThrow(/truncated|wrong length/);
  });

  test('a virtual dataset over 3 part files (relative paths) reads as one dataset in h5py', () => {
    const dir = folder.path('vds');
    mkdirSync(dir);
    const rows = 10;
    const parts = [0, 1, 2].map((p) => Uint16Array.from({ length: rows * 8 * 16 }, (_, i) => p * 10_000 + i));
    parts.forEach((data, p) => {
      const part = engine.create(`${dir}/part${p}.h5`);
      part.createDataset('data', { dtype: 'uint16', shape: [rows, 8, 16] }).writeSlab([0, 0, 0], [rows, 8, 16], data);
      part.createDataset('pulse_id', { dtype: 'uint64', shape: [rows, 1] }).writeSlab([0, 0], [rows, 1], BigUint64Array.from({ length: rows }, (_, i) => BigInt(p * rows + i + 1000)));
      part.close();
    });
    const file = engine.create(`${dir}/run.JF.h5`);
    const mapping = (ds: string, shape: number[]) => (_: unknown, p: number) => ({
      sourceFile: `part${p}.h5`, sourceDataset: ds,
      sourceSelection: { start: shape.map(() => 0), count: shape },
      destSelection: { start: shape.map((_, k) => (k === 0 ? p * rows : 0)), count: shape },
    });
    file.createVirtualDataset('data/JF/data', { dtype: 'uint16', shape: [3 * rows, 8, 16], mappings: [0, 1, 2].map(mapping('data', [rows, 8, 16])) });
    file.createVirtualDataset('data/JF/pulse_id', { dtype: 'uint64', shape: [3 * rows, 1], maxshape: [null, 1], mappings: [0, 1, 2].map(mapping('pulse_id', [rows, 1])) });
    file.close();
    const all = new Uint16Array(3 * rows * 8 * 16);
    parts.forEach((d, p) => all.set(d, p * d.length));
    // from another working directory: relative sources are found beside the virtual file
    const seen = py<{ data: string; shape: number[]; ids: number[]; virtual: boolean; sources: string[] }>(
      `f = h5py.File(sys.argv[1], 'r'); d = f['data/JF/data']
print(json.dumps({'data': hashlib.sha256(d[()].tobytes()).hexdigest(), 'shape': list(d.shape), 'ids': f['data/JF/pulse_id'][:, 0].tolist(),
                  'virtual': d.is_virtual, 'sources': sorted({s.file_name for s in d.virtual_sources()})}))`,
      [`${dir}/run.JF.h5`],
      { cwd: '/' },
    );
    expect(seen).toEqual({ data: hashOf(all), shape: [30, 8, 16], ids: Array.from({ length: 30 }, (_, i) => 1000 + i), virtual: true, sources: ['part0.h5', 'part1.h5', 'part2.h5'] });
    const again = engine.open(`${dir}/run.JF.h5`);
    expect(hashOf(again.dataset('data/JF/data').readSlab([0, 0, 0], [30, 8, 16]))).toBe(hashOf(all));
    again.close();
  });

  test('contiguous + early allocation: datasetOffset, then fs.writeSync at that offset, h5py reads those bytes', () => {
    const path = folder.path('early.h5');
    const file = engine.create(path);
    const ds = file.createDataset('data/JF/data', { dtype: 'uint16', shape: [4, 512, 1024], allocTime: 'early', fill: false });
    file.createDataset('data/JF/pulse_id', { dtype: 'uint64', shape: [4, 1], allocTime: 'early' });
    const offset = ds.offset();
    expect(file.datasetOffset('data/JF/data')).toBe(offset);
    expect(ds.storageSize).toBe(4 * 512 * 1024 * 2);
    file.close(); // the writer closes; workers pwrite into the reserved bytes
    const frames = [0, 1, 2, 3].map((i) => cameraImage(512, 1024, i + 10));
    const fd = openSync(path, 'r+');
    frames.forEach((f, i) => writeSync(fd, f, 0, f.byteLength, offset + i * f.byteLength));
    closeSync(fd);
    const all = new Uint16Array(4 * 512 * 1024);
    frames.forEach((f, i) => all.set(f, i * f.length));
    const seen = readAll(path);
    expect(seen['data/JF/data']).toMatchObject({ sha256: hashOf(all), chunks: null, shape: [4, 512, 1024] });
    if (!h5dumpMissing) {
      expect(h5dumpHeader(path, 'data/JF/data')).toMatch(/CONTIGUOUS[\s\S]*OFFSET \d+[\s\S]*ALLOCATION_TIME \{\s*H5D_ALLOC_TIME_EARLY/);
    }
  });

});

describe('large files and neighbours', () => {
  test('a file over 4 GiB: data written past 4 GiB and offsets above 2^32 survive (emscripten 3.1.6 cut them)', () => {
    const path = folder.path('big.h5');
    const size = 4.5 * 2 ** 30;
    try {
      const file = engine.create(path);
      const big = file.createDataset('big', { dtype: 'uint8', shape: [size], allocTime: 'early', fill: false });
      const tail = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 31 + 7) & 0xff);
      big.writeSlab([size - tail.length - 12345], [tail.length], tail); // via HDF5's pwrite, above 4 GiB
      const after = file.createDataset('after', { dtype: 'int64', shape: [8], allocTime: 'early' });
      const afterOffset = after.offset();
      expect(afterOffset).toBeGreaterThan(size);
      after.writeSlab([0], [4], BigInt64Array.of(1n, -2n, 3n, -4n));
      expect(Array.from(big.readSlab([size - tail.length - 12345], [tail.length]) as Uint8Array)).toEqual(Array.from(tail));
      file.close();
      const fd = openSync(path, 'r+'); // and a positional write by another writer above 4 GiB
      writeSync(fd, new Uint8Array(BigInt64Array.of(5n, 6n, 7n, 8n).buffer), 0, 32, afterOffset + 32);
      closeSync(fd);
      expect(statSync(path).size).toBeGreaterThan(size);
      const back = engine.open(path);
      expect(Array.from(back.dataset('after').readSlab([0], [8]) as BigInt64Array)).toEqual([1n, -2n, 3n, -4n, 5n, 6n, 7n, 8n]);
      back.close();
      if (pythonMissing) return;
      const seen = py<{ tail: string; after: number[] }>(
        `f = h5py.File(sys.argv[1], 'r'); n = f['big'].shape[0]
print(json.dumps({'tail': hashlib.sha256(f['big'][n - (1 << 20) - 12345: n - 12345].tobytes()).hexdigest(), 'after': f['after'][()].tolist()}))`,
        [path],
      );
      expect(seen).toEqual({ tail: hashOf(tail), after: [1, -2, 3, -4, 5, 6, 7, 8] });
    } finally {
      rmSync(path, { force: true });
    }
  });

  test('h5wasm and this engine in one process, never on one file at once: both files are right', async () => {
    const { loadH5 } = await import('../../../../../lib/adapters/hdf5/h5');
    const { lib } = await loadH5();
    const a = folder.path('by-h5wasm.h5');
    const b = folder.path('by-engine.h5');
    const f1 = new lib.File(a, 'w');
    f1.create_dataset({ name: 'x', data: Int32Array.of(1, 2, 3) });
    f1.close();
    const f2 = engine.create(b);
    f2.createDataset('y', { dtype: 'int32', shape: [3] }).writeSlab([0], [3], Int32Array.of(4, 5, 6));
    f2.close();
    const read = engine.open(a); // the engine reads h5wasm's file, h5wasm the engine's
    expect(Array.from(read.dataset('x').readSlab([0], [3]) as Int32Array)).toEqual([1, 2, 3]);
    read.close();
    const f3 = new lib.File(b, 'r');
    const y = f3.get('y');
    expect(y instanceof lib.Dataset ? Array.from(y.value as Int32Array) : null).toEqual([4, 5, 6]);
    f3.close();
    if (pythonMissing) return;
    expect(readAll(a)['x']!.head).toEqual(['1', '2', '3']);
    expect(readAll(b)['y']!.head).toEqual(['4', '5', '6']);
  });
});
