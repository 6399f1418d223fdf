import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { BsreadFileWriter, globalDate, type ChannelSpec, type RowColumns, type RowValue } from '../../../../lib/adapters/hdf5';
import { py, pythonMissing } from './engine/py';
import { allPaths, readBack, tempFolder } from './files';
import { h5pyMissing, readWithH5py, sha256, type PyFile } from './h5py';

const T0 = 1_590_595_599_772_622_123n;
const P0 = 11_000_000_000n;
const GENERAL = { created: '2020-05-27 18:06:39.772622', instrument: 'alvra', process: 'sfdaq-broker test', user: 'p12345 ✓' };

interface Case {
  name: string;
  spec: ChannelSpec;
  values: RowValue[];
  /** h5wasm's dtype (undefined: h5wasm has no name for it, h5py's below is checked) and the values read back (flattened). */
  h5?: string;
  expected: ArrayLike<unknown>;
  /** numpy dtype string h5py reports. */
  numpy: string;
}

const be16 = (...v: number[]) => new Uint8Array(v.flatMap((x) => [x >> 8, x & 0xff]));
const beF32 = (...v: number[]) => {
  const out = new Uint8Array(4 * v.length);
  v.forEach((x, i) => new DataView(out.buffer).setFloat32(4 * i, x, false));
  return out;
};

const CASES: Case[] = [
  { name: 'SARFE10-PBPG050:HAMP-INTENSITY-CAL', spec: { dtype: 'float64', shape: [] }, values: [0.5, -1.25, 3], h5: '<d', expected: [0.5, -1.25, 3], numpy: '<f8' },
  // h5py's bool (an HDF5 enum FALSE/TRUE over int8): h5wasm reads the 0/1 bytes.
  { name: 'SIN-CVME-TIFGUN-EVR0:BUNCH-1-OK', spec: { dtype: 'bool', shape: [] }, values: [true, 0, Uint8Array.of(1)], expected: [1, 0, 1], numpy: '|b1' },
  { name: 'SAR-CVME-TIFALL5:EvtSet', spec: { dtype: 'uint8', shape: [4] }, values: [Uint8Array.of(1, 2, 3, 4), [5, 6, 7, 8], [255, 0, 0, 9]], h5: '<B', expected: [1, 2, 3, 4, 5, 6, 7, 8, 255, 0, 0, 9], numpy: '|u1' },
  { name: 'SLAAR-LTIM01-EVR0:CALCI.x-y', spec: { dtype: 'int64', shape: [] }, values: [2n ** 62n, -5, 7n], h5: '<q', expected: [2n ** 62n, -5n, 7n], numpy: '<i8' },
  { name: 'SGE-CPCW-72-EVR0:UINT64', spec: { dtype: 'uint64', shape: [] }, values: [2n ** 64n - 1n, 0, 5], h5: '<Q', expected: [2n ** 64n - 1n, 0n, 5n], numpy: '<u8' },
  // Big-endian channels stay big-endian, as the Data API sends them (bytes) and as numbers are given.
  { name: 'SAROP11-PSPEC:SPECTRUM.be', spec: { dtype: 'uint16', shape: [3], byteOrder: 'big' }, values: [be16(0x0102, 0x0304, 0xfffe), be16(1, 2, 3), [7, 8, 9]], h5: '>H', expected: [0x0102, 0x0304, 0xfffe, 1, 2, 3, 7, 8, 9], numpy: '>u2' },
  { name: 'SATES21-PSSS:FIT-BE32', spec: { dtype: 'float32', shape: [2], byteOrder: 'big' }, values: [beF32(1.5, -2), beF32(0.25, 8), [3, 4]], h5: '>f', expected: [1.5, -2, 0.25, 8, 3, 4], numpy: '>f4' },
  { name: 'SATES21-ROI:2D', spec: { dtype: 'int32', shape: [2, 3] }, values: [[1, 2, 3, 4, 5, 6], [-1, -2, -3, -4, -5, -6], new Uint8Array(24)], h5: '<i', expected: [1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6, 0, 0, 0, 0, 0, 0], numpy: '<i4' },
  { name: 'SF-OP:ESA-STATUS', spec: { dtype: 'string', shape: [] }, values: ['ok', 'héllo ✓', new TextEncoder().encode('from bytes')], h5: 'S', expected: ['ok', 'héllo ✓', 'from bytes'], numpy: 'object' },
  { name: 'SF-OP:ESA-NAMES', spec: { dtype: 'string', shape: [2] }, values: [['a', 'b'], ['', 'ü'], ['x', 'y']], h5: 'S', expected: ['a', 'b', '', 'ü', 'x', 'y'], numpy: 'object' },
];

const EMPTY: { name: string; spec: ChannelSpec } = { name: 'SARES11-EMPTY:WAVE', spec: { dtype: 'float32', shape: [5] } };
const ROWS = 3;
const DATASETS = ['data', 'pulse_id', 'timestamp', 'global_date', 'is_data_present'];

const folder = tempFolder('bsread');
const mainFile = folder.path('run_000001.BSREAD.h5');

beforeAll(async () => {
  const writer = await BsreadFileWriter.create(mainFile, GENERAL);
  for (const c of CASES) writer.addChannel(c.name, c.spec);
  writer.addChannel(EMPTY.name, EMPTY.spec);
  for (let i = 0; i < ROWS; i++) {
    for (const c of CASES) {
      writer.append(c.name, [{ pulseId: P0 + BigInt(i), timestampNs: T0 + BigInt(i) * 10_000_000n, value: c.values[i]! }]);
    }
  }
  writer.close();
});

afterAll(() => folder.cleanup());

/** Rows as the Data API client hands them: columns, each value a slice of one received buffer. */
function columns(values: Uint8Array[], firstPulse: bigint, firstTs = T0): RowColumns {
  const bytes = new Uint8Array(7 + values.reduce((n, v) => n + v.length, 0)); // values need not start at 0
  const starts = new Int32Array(values.length);
  const ends = new Int32Array(values.length);
  let at = 7;
  values.forEach((v, i) => {
    bytes.set(v, at);
    starts[i] = at;
    at += v.length;
    ends[i] = at;
  });
  return {
    count: values.length,
    pulseIds: BigInt64Array.from(values, (_, i) => firstPulse + BigInt(i)),
    timestamps: BigInt64Array.from(values, (_, i) => firstTs + BigInt(i) * 10_000_000n),
    bytes,
    starts,
    ends,
  };
}

describe('BsreadFileWriter, read back with h5wasm', () => {
  it('writes /general as scalar UTF-8 strings and nothing else at the root', async () => {
    await readBack(mainFile, (file, get) => {
      expect(file.keys().sort()).toEqual(['data', 'general']);
      for (const [key, value] of Object.entries(GENERAL)) {
        const ds = get(`general/${key}`);
        expect(ds.dtype).toBe('S');
        expect(ds.shape).toEqual([]);
        expect(ds.value).toBe(value);
      }
    });
  });

  test.for(CASES)('channel $name ($spec.dtype [$spec.shape]) keeps dtype, shape and values', async (c) => {
    await readBack(mainFile, (_file, get) => {
      const data = get(`data/${c.name}/data`);
      if (c.h5) expect(data.dtype).toBe(c.h5);
      expect(data.shape).toEqual([ROWS, ...c.spec.shape]);
      expect(Array.from(data.value as ArrayLike<unknown>)).toEqual(Array.from(c.expected));
      expect(get(`data/${c.name}/pulse_id`).dtype).toBe('<q');
      expect(Array.from(get(`data/${c.name}/pulse_id`).value as BigInt64Array)).toEqual([P0, P0 + 1n, P0 + 2n]);
      expect(get(`data/${c.name}/timestamp`).dtype).toBe('<q');
      expect(Array.from(get(`data/${c.name}/timestamp`).value as BigInt64Array)).toEqual([T0, T0 + 10_000_000n, T0 + 20_000_000n]);
      expect(get(`data/${c.name}/global_date`).value).toEqual([0, 1, 2].map((i) => globalDate(T0 + BigInt(i) * 10_000_000n)));
      expect(Array.from(get(`data/${c.name}/is_data_present`).value as Uint8Array)).toEqual([1, 1, 1]);
    });
  });

  it('gives a channel with no rows all five datasets, 0 rows each', async () => {
    await readBack(mainFile, (file, get) => {
      expect(file.get(`data/${EMPTY.name}`)).not.toBeNull();
      const base = `data/${EMPTY.name}`;
      expect(get(`${base}/data`).shape).toEqual([0, 5]);
      expect(get(`${base}/data`).dtype).toBe('<f');
      for (const name of DATASETS.slice(1)) expect(get(`${base}/${name}`).shape).toEqual([0]);
    });
  });

  it('chunks as PSI: scalars 8192 rows, waveforms max(2, 16384 // n), strings 1024; all extendable and shuffle + deflate', async () => {
    await readBack(mainFile, (_file, get) => {
      const scalar = get(`data/${CASES[0]!.name}/data`).metadata;
      expect(scalar.chunks).toEqual([8192]);
      // h5wasm reports an unlimited dimension as 2^64 - 1 (h5py: None).
      expect(scalar.maxshape![0]).toBeGreaterThan(2 ** 63);
      expect(get(`data/${CASES[2]!.name}/data`).metadata.chunks).toEqual([4096, 4]);
      expect(get(`data/${EMPTY.name}/data`).metadata.chunks).toEqual([3276, 5]);
      expect(get(`data/${CASES[8]!.name}/data`).metadata.chunks).toEqual([1024]);
      for (const name of DATASETS) {
        const ds = get(`data/${CASES[0]!.name}/${name}`);
        if (name !== 'data') expect(ds.metadata.chunks, name).toEqual([8192]);
        expect(ds.filters.map((f) => f.id), name).toEqual([2, 1]);
      }
    });
  });
});

describe('BsreadFileWriter: columns, chunks, threads', () => {
  it('takes rows as columns (no row objects), across many chunks, compressed on worker threads: values bit-exact', async () => {
    const path = folder.path('columns.h5');
    // inlineBytes 0: every chunk goes to the worker threads.
    const writer = await BsreadFileWriter.create(path, GENERAL, { inlineBytes: 0 });
    writer.addChannel('W:F32', { dtype: 'float32', shape: [2048] });
    writer.addChannel('S:F64', { dtype: 'float64', shape: [] });
    const n = 100; // 13 chunks of 8 rows
    const rows = Array.from({ length: n }, (_, r) => new Uint8Array(Float32Array.from({ length: 2048 }, (_, i) => (i % 512) * 0.25 + r).buffer));
    // In runs of 7, as network chunks would cut them.
    for (let r = 0; r < n; r += 7) writer.appendColumns('W:F32', columns(rows.slice(r, r + 7), P0 + BigInt(r), T0 + BigInt(r) * 10_000_000n));
    writer.finishChannel('W:F32');
    const scalars = Array.from({ length: 20_000 }, (_, r) => new Uint8Array(Float64Array.of(r / 8).buffer));
    writer.appendColumns('S:F64', columns(scalars, P0));
    writer.close();
    await readBack(path, (_file, get) => {
      const data = get('data/W:F32/data');
      expect(data.shape).toEqual([n, 2048]);
      const got = data.value as Float32Array;
      const want = new Uint8Array(rows.reduce((a, r) => a + r.length, 0));
      rows.forEach((r, i) => want.set(r, i * r.length));
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(want)).toBe(true);
      expect((get('data/W:F32/pulse_id').value as BigInt64Array)[n - 1]).toBe(P0 + BigInt(n - 1));
      expect((get('data/W:F32/global_date').value as string[])[n - 1]).toBe(globalDate(T0 + BigInt(n - 1) * 10_000_000n));
      const s = get('data/S:F64/data').value as Float64Array;
      expect(s.length).toBe(20_000);
      expect(s[19_999]).toBe(19_999 / 8);
      expect((get('data/S:F64/is_data_present').value as Uint8Array).every((v) => v === 1)).toBe(true);
      expect((get('data/S:F64/timestamp').value as BigInt64Array)[12_345]).toBe(T0 + 12_345n * 10_000_000n);
    });
  });

  it('a channel that comes again after finishChannel continues where it stopped (its last chunk read back)', async () => {
    const path = folder.path('resume.h5');
    const writer = await BsreadFileWriter.create(path, GENERAL);
    writer.addChannel('A', { dtype: 'int16', shape: [3], byteOrder: 'big' });
    writer.addChannel('B', { dtype: 'float64', shape: [] });
    const row = (i: number) => be16(i, -i & 0xffff, 7);
    writer.appendColumns('A', columns([0, 1, 2, 3, 4].map(row), P0));
    writer.finishChannel('A');
    writer.append('B', [{ pulseId: P0, timestampNs: T0, value: 1.5 }]);
    writer.finishChannel('B');
    writer.appendColumns('A', columns([5, 6].map(row), P0 + 5n, T0 + 50_000_000n));
    expect(writer.rowCount('A')).toBe(7);
    writer.close();
    await readBack(path, (_file, get) => {
      expect(Array.from(get('data/A/data').value as Int16Array)).toEqual([0, 1, 2, 3, 4, 5, 6].flatMap((i) => [i, i === 0 ? 0 : -i, 7]));
      expect(Array.from(get('data/A/pulse_id').value as BigInt64Array)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n].map((i) => P0 + i));
      expect(get('data/A/global_date').value).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n].map((i) => globalDate(T0 + i * 10_000_000n)));
      expect(get('data/A/is_data_present').shape).toEqual([7]);
    });
  });

  it('sizes a short run\'s 1-D chunks for it (expectedRows) and writes no filter with compression: false', async () => {
    const path = folder.path('short.h5');
    const writer = await BsreadFileWriter.create(path, GENERAL, { expectedRows: 300, compression: false });
    writer.addChannel('X', { dtype: 'float64', shape: [] });
    writer.addChannel('W', { dtype: 'uint16', shape: [1000] });
    writer.append('X', [{ pulseId: P0, timestampNs: T0, value: 2 }]);
    writer.close();
    await readBack(path, (_file, get) => {
      for (const name of DATASETS) {
        expect(get(`data/X/${name}`).metadata.chunks, name).toEqual([512]);
        expect(get(`data/X/${name}`).filters, name).toEqual([]);
      }
      expect(get('data/W/data').metadata.chunks).toEqual([16, 1000]);
      expect(get('data/X/data').value).toEqual(Float64Array.of(2));
    });
  });

  it('refuses a column value of the wrong size before taking any row', async () => {
    const writer = await BsreadFileWriter.create(folder.path('refuse-columns.h5'), GENERAL);
    writer.addChannel('N', { dtype: 'uint16', shape: [2] });
    expect(() => writer.appendColumns('N', columns([new Uint8Array(4), new Uint8Array(3)], P0))).toThrow(/3 bytes, expected 4/);
    expect(writer.rowCount('N')).toBe(0);
    writer.close();
  });
});

describe('BsreadFileWriter refuses', () => {
  it('values that do not fit the channel, without losing the rows before', async () => {
    const path = folder.path('refuse.h5');
    const writer = await BsreadFileWriter.create(path, GENERAL);
    writer.addChannel('N', { dtype: 'uint16', shape: [2] });
    writer.addChannel('S', { dtype: 'string', shape: [] });
    const row = { pulseId: P0, timestampNs: T0 };
    writer.append('N', [{ ...row, value: [1, 2] }]);
    expect(() => writer.append('N', [{ ...row, value: [1, 2, 3] }])).toThrow(/3 elements, expected 2/);
    expect(() => writer.append('N', [{ ...row, value: new Uint8Array(3) }])).toThrow(/3 bytes, expected 4/);
    expect(() => writer.append('N', [{ ...row, value: 'x' }])).toThrow(/string/);
    expect(() => writer.append('N', [{ ...row, value: [1.5, 2] }])).toThrow(/whole number/);
    expect(() => writer.append('S', [{ ...row, value: 3 }])).toThrow(/non-string/);
    expect(() => writer.append('nope', [])).toThrow(/not added/);
    expect(() => writer.addChannel('N', { dtype: 'uint16', shape: [2] })).toThrow(/twice/);
    expect(() => writer.addChannel('A/B', { dtype: 'uint16', shape: [] })).toThrow(/HDF5 group name/);
    expect(() => writer.addChannel('Z', { dtype: 'uint16', shape: [0] })).toThrow(/bad shape/);
    writer.close();
    writer.close();
    expect(() => writer.append('N', [])).toThrow(/closed/);
    await readBack(path, (_file, get) => {
      expect(get('data/N/data').value).toEqual(Uint16Array.of(1, 2));
    });
  });
});

describe('globalDate', () => {
  test.for([
    [T0, '2020-05-27T16:06:39.772622123+00:00'],
    [0n, '1970-01-01T00:00:00.000000000+00:00'],
    [1_693_900_000_000_000_001n, '2023-09-05T07:46:40.000000001+00:00'],
    [-1n, '1969-12-31T23:59:59.999999999+00:00'],
  ] as const)('%s ns -> %s', ([ns, text]) => {
    expect(globalDate(ns)).toBe(text);
  });
});

describe('BsreadFileWriter, read as a scientist would (h5py)', () => {
  let file: PyFile | undefined;
  const load = () => (file ??= readWithH5py(mainFile));

  it('reads dtypes, shapes and values of every channel (big-endian kept, bool as numpy bool)', (ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    const f = load();
    for (const c of CASES) {
      const data = f.datasets[`data/${c.name}/data`]!;
      expect(data.dtype, c.name).toBe(c.numpy);
      expect(data.shape).toEqual([ROWS, ...c.spec.shape]);
      const expected = Array.from(c.expected, (v) => (typeof v === 'bigint' ? v.toString() : c.spec.dtype === 'bool' ? v === 1 : v));
      expect(data.values, c.name).toEqual(expected);
      if (c.spec.dtype === 'string') expect(data.string).toEqual({ encoding: 'utf-8', length: null });
    }
  });

  it('reads pulse_id/timestamp as int64, global_date as fixed 35-byte strings, is_data_present as bools; all shuffle + gzip', (ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    const f = load();
    const base = `data/${CASES[0]!.name}`;
    expect(f.datasets[`${base}/pulse_id`]).toMatchObject({ dtype: '<i8', shape: [3], values: ['11000000000', '11000000001', '11000000002'] });
    expect(f.datasets[`${base}/timestamp`]).toMatchObject({ dtype: '<i8', values: [T0, T0 + 10_000_000n, T0 + 20_000_000n].map(String) });
    expect(f.datasets[`${base}/global_date`]).toMatchObject({ string: { encoding: 'ascii', length: 35 }, values: [0, 1, 2].map((i) => globalDate(T0 + BigInt(i) * 10_000_000n)) });
    expect(f.datasets[`${base}/is_data_present`]).toMatchObject({ dtype: '|b1', values: [true, true, true] });
    for (const name of DATASETS) expect(f.datasets[`${base}/${name}`], name).toMatchObject({ compression: 'gzip', compression_opts: 1, filter_ids: [2, 1] });
    for (const [key, value] of Object.entries(GENERAL)) {
      expect(f.datasets[`general/${key}`]).toMatchObject({ kind: 'string', shape: [], values: value });
    }
    expect(f.datasets[`data/${EMPTY.name}/data`]).toMatchObject({ dtype: '<f4', shape: [0, 5], maxshape: [null, 5] });
    expect(f.datasets[`data/${EMPTY.name}/pulse_id`]).toMatchObject({ dtype: '<i8', shape: [0] });
  });

  it('has no attributes anywhere', async (ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    const f = load();
    expect(Object.values(f.datasets).every((d) => Object.keys(d.attrs).length === 0)).toBe(true);
    expect(Object.keys(f.attrs)).toEqual([]);
    await readBack(mainFile, (h5) => expect(allPaths(h5)).toContain(`data/${CASES[0]!.name}/is_data_present`));
  });

  it('reads without any filter plugin (gzip and shuffle are HDF5\'s own), and as the 2020 check script and the reader library do', (ctx) => {
    ctx.skip(pythonMissing !== undefined, pythonMissing);
    // The 2020 check: pulse ids of rows whose is_data_present is true; the reader library: data + pulse_id.
    const out = py<Record<string, { pulse_ids: number[]; data_rows: number; present: boolean[] }>>(
      `
res = {}
with h5py.File(sys.argv[1], 'r') as f:
    for channel in f['data'].keys():
        g = f['data'][channel]
        pulse_id_raw = g['pulse_id'][:]
        is_data_present = g['is_data_present'][:]
        res[channel] = {'pulse_ids': [int(p) for n, p in enumerate(pulse_id_raw) if is_data_present[n]],
                        'data_rows': int(g['data'][:].shape[0]), 'present': [bool(x) for x in is_data_present]}
print(json.dumps(res))
`,
      [mainFile],
      { plugins: false },
    );
    for (const c of CASES) expect(out[c.name], c.name).toEqual({ pulse_ids: [11_000_000_000, 11_000_000_001, 11_000_000_002], data_rows: 3, present: [true, true, true] });
    expect(out[EMPTY.name]).toEqual({ pulse_ids: [], data_rows: 0, present: [] });
  });

  it('stores the bytes of a waveform written from columns exactly (sha256 through h5py)', async (ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    const path = folder.path('sha.h5');
    const writer = await BsreadFileWriter.create(path, GENERAL, { inlineBytes: 0 });
    writer.addChannel('W', { dtype: 'int32', shape: [1003] });
    const rows = Array.from({ length: 37 }, (_, r) => new Uint8Array(Int32Array.from({ length: 1003 }, (_, i) => r * 1000 + i - 500_000).buffer));
    writer.appendColumns('W', columns(rows, P0));
    writer.close();
    const f = readWithH5py(path, 2);
    const all = new Uint8Array(rows.length * rows[0]!.length);
    rows.forEach((r, i) => all.set(r, i * r.length));
    expect(f.datasets['data/W/data']).toMatchObject({ dtype: '<i4', shape: [37, 1003], chunks: [16, 1003], sha256: sha256(all) });
  });
});
