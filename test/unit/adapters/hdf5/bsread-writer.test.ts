import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { BsreadFileWriter, globalDate, type ChannelSpec, type RowValue } from '../../../../lib/adapters/hdf5';
import { allPaths, readBack, tempFolder } from './files';
import { h5pyMissing, readWithH5py, type PyFile } from './h5py';

const T0 = 1_590_595_599_772_622_123n;
const P0 = 11_000_000_000n;
const GENERAL = { created: '2020-05-27 18:06:39.772622', instrument: 'alvra', process: 'sfdaq-broker test', user: 'p12345 ✓' };

interface Case {
  name: string;
  spec: ChannelSpec;
  values: RowValue[];
  /** h5wasm dtype and the values read back (flattened). */
  h5: string;
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
  { name: 'SIN-CVME-TIFGUN-EVR0:BUNCH-1-OK', spec: { dtype: 'bool', shape: [] }, values: [true, 0, Uint8Array.of(1)], h5: '<B', expected: [1, 0, 1], numpy: '|u1' },
  { name: 'SAR-CVME-TIFALL5:EvtSet', spec: { dtype: 'uint8', shape: [4] }, values: [Uint8Array.of(1, 2, 3, 4), [5, 6, 7, 8], [255, 0, 0, 9]], h5: '<B', expected: [1, 2, 3, 4, 5, 6, 7, 8, 255, 0, 0, 9], numpy: '|u1' },
  { name: 'SLAAR-LTIM01-EVR0:CALCI.x-y', spec: { dtype: 'int64', shape: [] }, values: [2n ** 62n, -5, 7n], h5: '<q', expected: [2n ** 62n, -5n, 7n], numpy: '<i8' },
  { name: 'SGE-CPCW-72-EVR0:UINT64', spec: { dtype: 'uint64', shape: [] }, values: [2n ** 64n - 1n, 0, 5], h5: '<Q', expected: [2n ** 64n - 1n, 0n, 5n], numpy: '<u8' },
  { name: 'SAROP11-PSPEC:SPECTRUM.be', spec: { dtype: 'uint16', shape: [3], byteOrder: 'big' }, values: [be16(0x0102, 0x0304, 0xfffe), be16(1, 2, 3), [7, 8, 9]], h5: '<H', expected: [0x0102, 0x0304, 0xfffe, 1, 2, 3, 7, 8, 9], numpy: '<u2' },
  { name: 'SATES21-PSSS:FIT-BE32', spec: { dtype: 'float32', shape: [2], byteOrder: 'big' }, values: [beF32(1.5, -2), beF32(0.25, 8), [3, 4]], h5: '<f', expected: [1.5, -2, 0.25, 8, 3, 4], numpy: '<f4' },
  { name: 'SATES21-ROI:2D', spec: { dtype: 'int32', shape: [2, 3] }, values: [[1, 2, 3, 4, 5, 6], [-1, -2, -3, -4, -5, -6], new Uint8Array(24)], h5: '<i', expected: [1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6, 0, 0, 0, 0, 0, 0], numpy: '<i4' },
  { name: 'SF-OP:ESA-STATUS', spec: { dtype: 'string', shape: [] }, values: ['ok', 'héllo ✓', new TextEncoder().encode('from bytes')], h5: 'S', expected: ['ok', 'héllo ✓', 'from bytes'], numpy: 'object' },
  { name: 'SF-OP:ESA-NAMES', spec: { dtype: 'string', shape: [2] }, values: [['a', 'b'], ['', 'ü'], ['x', 'y']], h5: 'S', expected: ['a', 'b', '', 'ü', 'x', 'y'], numpy: 'object' },
];

const EMPTY: { name: string; spec: ChannelSpec } = { name: 'SARES11-EMPTY:WAVE', spec: { dtype: 'float32', shape: [5] } };
const ROWS = 3;

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
      expect(data.dtype).toBe(c.h5);
      expect(data.shape).toEqual([ROWS, ...c.spec.shape]);
      expect(Array.from(data.value as ArrayLike<unknown>)).toEqual(Array.from(c.expected));
      expect(get(`data/${c.name}/pulse_id`).dtype).toBe('<q');
      expect(Array.from(get(`data/${c.name}/pulse_id`).value as BigInt64Array)).toEqual([P0, P0 + 1n, P0 + 2n]);
      expect(get(`data/${c.name}/timestamp`).dtype).toBe('<q');
      expect(Array.from(get(`data/${c.name}/timestamp`).value as BigInt64Array)).toEqual([T0, T0 + 10_000_000n, T0 + 20_000_000n]);
      expect(get(`data/${c.name}/global_date`).dtype).toBe('S');
      expect(get(`data/${c.name}/global_date`).value).toEqual([0, 1, 2].map((i) => globalDate(T0 + BigInt(i) * 10_000_000n)));
      expect(get(`data/${c.name}/is_data_present`).dtype).toBe('<B');
      expect(Array.from(get(`data/${c.name}/is_data_present`).value as Uint8Array)).toEqual([1, 1, 1]);
    });
  });

  it('gives a channel with no rows all five datasets, 0 rows each', async () => {
    await readBack(mainFile, (file, get) => {
      expect(file.get(`data/${EMPTY.name}`)).not.toBeNull();
      const base = `data/${EMPTY.name}`;
      expect(get(`${base}/data`).shape).toEqual([0, 5]);
      expect(get(`${base}/data`).dtype).toBe('<f');
      for (const name of ['pulse_id', 'timestamp', 'global_date', 'is_data_present']) {
        expect(get(`${base}/${name}`).shape).toEqual([0]);
      }
    });
  });

  it('chunks scalars by 8192 rows and waveforms by max(2, 16384 // n), all extendable', async () => {
    await readBack(mainFile, (_file, get) => {
      const scalar = get(`data/${CASES[0]!.name}/data`).metadata;
      expect(scalar.chunks).toEqual([8192]);
      // h5wasm reports an unlimited dimension as 2^64 - 1 (h5py: None).
      expect(scalar.maxshape![0]).toBeGreaterThan(2 ** 63);
      expect(get(`data/${CASES[2]!.name}/data`).metadata.chunks).toEqual([4096, 4]);
      expect(get(`data/${EMPTY.name}/data`).metadata.chunks).toEqual([3276, 5]);
      expect(get(`data/${CASES[0]!.name}/pulse_id`).metadata.chunks).toEqual([8192]);
    });
  });
});

describe('BsreadFileWriter batching', () => {
  it('keeps the five datasets aligned across many flushes (per-channel rows and total bytes)', async () => {
    const path = folder.path('batches.h5');
    const writer = await BsreadFileWriter.create(path, GENERAL, { flushRows: 7, maxPendingBytes: 2_000 });
    writer.addChannel('A:X', { dtype: 'float64', shape: [] });
    writer.addChannel('B:W', { dtype: 'int16', shape: [3] });
    writer.addChannel('C:S', { dtype: 'string', shape: [] });
    const n = 50;
    for (let i = 0; i < n; i++) {
      const row = { pulseId: P0 + BigInt(i), timestampNs: T0 + BigInt(i) };
      writer.append('A:X', [{ ...row, value: i / 2 }]);
      if (i % 2 === 0) writer.append('B:W', [{ ...row, value: [i, -i, 1] }]);
    }
    writer.append('C:S', Array.from({ length: n }, (_, i) => ({ pulseId: P0 + BigInt(i), timestampNs: T0 + BigInt(i), value: `v${i}` })));
    expect(writer.rowCount('B:W')).toBe(25);
    writer.close();
    await readBack(path, (_file, get) => {
      for (const [name, rows] of [['A:X', n], ['B:W', 25], ['C:S', n]] as const) {
        for (const ds of ['data', 'pulse_id', 'timestamp', 'global_date', 'is_data_present']) {
          expect(get(`data/${name}/${ds}`).shape![0], `${name}/${ds}`).toBe(rows);
        }
      }
      expect(Array.from(get('data/A:X/data').value as Float64Array)).toEqual(Array.from({ length: n }, (_, i) => i / 2));
      expect(Array.from(get('data/B:W/pulse_id').value as BigInt64Array)).toEqual(Array.from({ length: 25 }, (_, i) => P0 + BigInt(2 * i)));
      expect((get('data/B:W/data').value as Int16Array).slice(-3)).toEqual(Int16Array.of(48, -48, 1));
      expect((get('data/C:S/data').value as string[])[49]).toBe('v49');
      expect((get('data/C:S/global_date').value as string[])[49]).toBe(globalDate(T0 + 49n));
    });
  });

  it('writes whole 8192-row chunks of a scalar channel (20,000 rows)', async () => {
    const path = folder.path('long.h5');
    const writer = await BsreadFileWriter.create(path, GENERAL);
    writer.addChannel('LONG', { dtype: 'int32', shape: [] });
    const n = 20_000;
    writer.append('LONG', Array.from({ length: n }, (_, i) => ({ pulseId: P0 + BigInt(i), timestampNs: T0 + BigInt(i) * 10_000_000n, value: i })));
    writer.close();
    await readBack(path, (_file, get) => {
      expect(get('data/LONG/data').value).toEqual(Int32Array.from({ length: n }, (_, i) => i));
      expect((get('data/LONG/pulse_id').value as BigInt64Array)[n - 1]).toBe(P0 + BigInt(n - 1));
      expect((get('data/LONG/global_date').value as string[]).length).toBe(n);
    });
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
  let py: PyFile | undefined;
  const load = () => (py ??= readWithH5py(mainFile));

  it('reads dtypes, shapes and values of every channel', (ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    const file = load();
    for (const c of CASES) {
      const data = file.datasets[`data/${c.name}/data`]!;
      expect(data.dtype, c.name).toBe(c.numpy);
      expect(data.shape).toEqual([ROWS, ...c.spec.shape]);
      const expected = Array.from(c.expected, (v) => (typeof v === 'bigint' ? v.toString() : v));
      expect(data.values, c.name).toEqual(expected);
      if (c.spec.dtype === 'string') expect(data.string).toEqual({ encoding: 'utf-8', length: null });
    }
  });

  it('reads pulse_id/timestamp as int64, global_date as decodable strings, is_data_present as uint8 1s', (ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    const file = load();
    const base = `data/${CASES[0]!.name}`;
    expect(file.datasets[`${base}/pulse_id`]).toMatchObject({ dtype: '<i8', shape: [3], values: ['11000000000', '11000000001', '11000000002'] });
    expect(file.datasets[`${base}/timestamp`]).toMatchObject({ dtype: '<i8', values: [T0, T0 + 10_000_000n, T0 + 20_000_000n].map(String) });
    expect(file.datasets[`${base}/global_date`]).toMatchObject({ dtype: 'object', values: [0, 1, 2].map((i) => globalDate(T0 + BigInt(i) * 10_000_000n)) });
    // h5wasm cannot write HDF5 enums, so not h5py's bool: uint8 0/1 (see lib/adapters/hdf5/h5.ts).
    expect(file.datasets[`${base}/is_data_present`]).toMatchObject({ dtype: '|u1', values: [1, 1, 1] });
    for (const [key, value] of Object.entries(GENERAL)) {
      expect(file.datasets[`general/${key}`]).toMatchObject({ kind: 'string', shape: [], values: value });
    }
    expect(file.datasets[`data/${EMPTY.name}/data`]).toMatchObject({ dtype: '<f4', shape: [0, 5], maxshape: [null, 5] });
    expect(file.datasets[`data/${EMPTY.name}/pulse_id`]).toMatchObject({ dtype: '<i8', shape: [0] });
  });

  it('has no attributes anywhere', async (ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    const file = load();
    expect(Object.values(file.datasets).every((d) => Object.keys(d.attrs).length === 0)).toBe(true);
    expect(Object.keys(file.attrs)).toEqual([]);
    await readBack(mainFile, (f) => expect(allPaths(f)).toContain(`data/${CASES[0]!.name}/is_data_present`));
  });
});
