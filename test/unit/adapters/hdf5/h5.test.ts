import { afterAll, describe, expect, it, test } from 'vitest';
import { loadH5, withH5Errors } from '../../../../lib/adapters/hdf5/h5';
import { createExtendable } from '../../../../lib/adapters/hdf5/h5-create';
import { storedDtype, swapInPlace, toLittleEndian, writeElement } from '../../../../lib/adapters/hdf5/h5-dtypes';
import { HeapScratch, writeRaw, writeStrings } from '../../../../lib/adapters/hdf5/h5-write';
import { dataChunkRows } from '../../../../lib/adapters/hdf5/bsread-channel';
import { readBack, tempFolder } from './files';

const folder = tempFolder('h5');
afterAll(() => folder.cleanup());

describe('loadH5', () => {
  it('loads h5wasm once, with the plugin folder on the search path', async () => {
    const [a, b] = await Promise.all([loadH5(), loadH5()]);
    expect(a).toBe(b);
    expect(a.module.get_plugin_search_paths()[0]).toMatch(/h5wasm-plugins\/plugins$/);
  });

  it('turns a failed create into an exception (withH5Errors), then restores the default handler', async () => {
    const { lib, module } = await loadH5();
    const file = new lib.File(folder.path('create-error.h5'), 'w');
    try {
      // h5wasm does not make missing groups: HDF5 fails inside create_dataset.
      expect(() => withH5Errors(module, () => file.create_dataset({ name: 'no/such/x', data: [1] }))).toThrow(/HDF5/);
      expect(file.get('nope')).toBeNull();
    } finally {
      file.close();
    }
  });

  it('reports a failed write by its status, leaving nothing open: the path can be written again', async () => {
    const { lib, module } = await loadH5();
    const path = folder.path('write-error.h5');
    for (let attempt = 0; attempt < 2; attempt++) {
      const file = new lib.File(path, 'w');
      const ds = createExtendable(file, 'x', { dtype: '<i', rowShape: [], chunkRows: 4 });
      const scratch = new HeapScratch(module);
      // Row 5 is outside the dataset's extent (0 rows). HDF5 prints its error stack to stderr.
      expect(() => writeRaw(module, scratch, ds, [5], [1], new Uint8Array(4))).toThrow(/HDF5 could not write to \/+x/);
      scratch.free();
      expect(file.close()).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('writeRaw and writeStrings', () => {
  it('write bytes (swapping big-endian ones) and UTF-8 strings into a hyperslab', async () => {
    const { lib, module } = await loadH5();
    const path = folder.path('raw.h5');
    const file = new lib.File(path, 'w');
    const scratch = new HeapScratch(module);
    const nums = createExtendable(file, 'nums', { dtype: '<H', rowShape: [2], chunkRows: 8 });
    const text = createExtendable(file, 'text', { dtype: 'S', rowShape: [], chunkRows: 8 });
    withH5Errors(module, () => {
      nums.resize([3, 2]);
      writeRaw(module, scratch, nums, [0, 0], [2, 2], new Uint8Array(new Uint16Array([1, 2, 3, 4]).buffer));
      writeRaw(module, scratch, nums, [2, 0], [1, 2], Uint8Array.of(0x12, 0x34, 0xab, 0xcd), 2);
      text.resize([3]);
      writeStrings(module, text, [0], [3], ['plain', 'ünïcødé ✓ 𝄞', '']);
    });
    scratch.free();
    file.close();
    await readBack(path, (_f, get) => {
      expect(get('nums').value).toEqual(Uint16Array.of(1, 2, 3, 4, 0x1234, 0xabcd));
      expect(get('text').value).toEqual(['plain', 'ünïcødé ✓ 𝄞', '']);
    });
  });
});

describe('byte order and dtypes', () => {
  test.for([2, 4, 8])('swapInPlace reverses %i-byte elements, aligned or not', (size) => {
    const n = 5;
    const src = Uint8Array.from({ length: n * size }, (_, i) => i + 1);
    const want = Uint8Array.from({ length: n * size }, (_, i) => src[Math.floor(i / size) * size + (size - 1 - (i % size))]!);
    const aligned = src.slice();
    swapInPlace(aligned, size);
    expect(aligned).toEqual(want);
    const backing = new Uint8Array(n * size + 1);
    backing.set(src, 1);
    const unaligned = backing.subarray(1);
    swapInPlace(unaligned, size);
    expect(unaligned).toEqual(want);
  });

  it('toLittleEndian copies big-endian input and passes little-endian input through', () => {
    const be = Uint8Array.of(0x12, 0x34);
    expect(toLittleEndian(be, 2, 'big')).toEqual(Uint8Array.of(0x34, 0x12));
    expect(be).toEqual(Uint8Array.of(0x12, 0x34));
    expect(toLittleEndian(be, 2, 'little')).toBe(be);
  });

  it('writeElement writes little-endian values of each dtype', () => {
    const view = new DataView(new ArrayBuffer(8));
    writeElement(view, 0, 'int64', -2);
    expect(view.getBigInt64(0, true)).toBe(-2n);
    writeElement(view, 0, 'uint64', 2n ** 64n - 1n);
    expect(view.getBigUint64(0, true)).toBe(2n ** 64n - 1n);
    writeElement(view, 0, 'float32', 1.5);
    expect(view.getFloat32(0, true)).toBe(1.5);
    writeElement(view, 0, 'bool', true);
    expect(view.getUint8(0)).toBe(1);
    expect(() => writeElement(view, 0, 'int16', 1.5)).toThrow(/whole number/);
  });

  it('stores bool as uint8 and every number type little-endian', () => {
    expect(storedDtype('bool')).toBe('<B');
    expect(storedDtype('string')).toBe('S');
    expect(storedDtype('uint64')).toBe('<Q');
  });

  test.for([
    [{ dtype: 'float64', shape: [] }, 8192],
    [{ dtype: 'float64', shape: [1000] }, 16],
    [{ dtype: 'uint8', shape: [100_000] }, 2],
    [{ dtype: 'uint16', shape: [4, 4] }, 1],
    [{ dtype: 'string', shape: [] }, 1024],
  ] as const)('dataChunkRows(%o) = %i', ([spec, rows]) => {
    expect(dataChunkRows({ dtype: spec.dtype, shape: [...spec.shape] })).toBe(rows);
  });
});
