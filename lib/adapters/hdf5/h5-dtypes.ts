/**
 * Our DTypes as the HDF5 writers store them, and the conversions of values
 * into bytes: little-endian for h5wasm (see h5.ts for why big-endian and bool
 * are stored as they are there); any order, real bools, for the engine.
 */
import { DTYPES, type DType } from '../../core/dtypes';
import type { Dtype } from './engine';

export type ByteOrder = 'little' | 'big';

/**
 * The h5wasm dtype string a DType is stored as: always little-endian, bool as uint8,
 * strings variable-length UTF-8.
 *
 * @example
 *   storedDtype('float64') // '<d'
 *   storedDtype('bool')    // '<B'
 */
export function storedDtype(dtype: DType): string {
  if (dtype === 'bool') return '<B';
  return DTYPES[dtype].h5;
}

/**
 * The engine dtype a channel is stored as: its own type in the byte order it arrives in (big-endian
 * channels stay big-endian, as PSI's Data API 3 client stores them: no byte is swapped), bool as h5py's
 * bool (an HDF5 enum), strings as variable-length UTF-8.
 *
 * @example
 *   engineDtype('int32', 'big') // 'int32be'
 *   engineDtype('bool')         // 'bool'
 */
export function engineDtype(dtype: DType, byteOrder: ByteOrder = 'little'): Dtype {
  if (dtype === 'bool' || dtype === 'string') return dtype;
  return byteOrder === 'big' && DTYPES[dtype].size > 1 ? (`${dtype}be` as Dtype) : dtype;
}

/**
 * A little-endian copy of `bytes` holding elements of `size` bytes in `order`
 * (the same array when already little-endian or one byte wide).
 *
 * @example
 *   toLittleEndian(Uint8Array.of(0x12, 0x34), 2, 'big') // Uint8Array [0x34, 0x12]
 */
export function toLittleEndian(bytes: Uint8Array, size: number, order: ByteOrder): Uint8Array {
  if (order === 'little' || size === 1) return bytes;
  const out = new Uint8Array(bytes.length);
  swapInto(bytes, out, 0, size);
  return out;
}

/** Copy `src` into `dst` at `offset`, reversing each `size`-byte element. */
export function swapInto(src: Uint8Array, dst: Uint8Array, offset: number, size: number): void {
  dst.set(src, offset);
  swapInPlace(dst.subarray(offset, offset + src.length), size);
}

/**
 * Reverse each `size`-byte element of `bytes` in place: word-wide when aligned
 * (a 1280x1024 uint16 image in ~2 ms), byte by byte otherwise.
 *
 * @example
 *   swapInPlace(Uint8Array.of(1, 2, 3, 4), 2) // -> [2, 1, 4, 3]
 */
export function swapInPlace(bytes: Uint8Array, size: number): void {
  const n = Math.floor(bytes.length / size);
  if (size === 1 || n === 0) return;
  if (bytes.byteOffset % 4 === 0 && (size === 2 || size === 4 || size === 8)) {
    if (size === 2) {
      const words = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
      for (let i = 0; i < n; i++) {
        const v = words[i]!;
        words[i] = (v >>> 8) | ((v & 0xff) << 8);
      }
      return;
    }
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, (n * size) / 4);
    const flip = (v: number) => ((v >>> 24) | ((v >>> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24)) >>> 0;
    if (size === 4) {
      for (let i = 0; i < words.length; i++) words[i] = flip(words[i]!);
    } else {
      for (let i = 0; i < words.length; i += 2) {
        const lo = words[i]!;
        words[i] = flip(words[i + 1]!);
        words[i + 1] = flip(lo);
      }
    }
    return;
  }
  for (let e = 0; e < n * size; e += size) {
    for (let a = e, b = e + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/**
 * Write one number (or bigint/boolean) as a `dtype` element at byte `offset`, little-endian unless
 * `littleEndian` is false. Integers must be whole; bool is 0/1.
 *
 * @example
 *   writeElement(view, 8, 'int64', 42) // bytes 8..15 = 42n, little-endian
 */
export function writeElement(view: DataView, offset: number, dtype: DType, value: number | bigint | boolean, littleEndian = true): void {
  if (dtype === 'string') throw new TypeError('a string channel takes string values');
  if (typeof value === 'boolean') value = value ? 1 : 0;
  if (dtype === 'float64' || dtype === 'float32') {
    const v = Number(value);
    if (dtype === 'float64') view.setFloat64(offset, v, littleEndian);
    else view.setFloat32(offset, v, littleEndian);
    return;
  }
  if (typeof value === 'number' && !Number.isInteger(value)) {
    throw new TypeError(`${value} is not a whole number, so not a valid ${dtype}`);
  }
  switch (dtype) {
    case 'int64': view.setBigInt64(offset, BigInt(value), littleEndian); return;
    case 'uint64': view.setBigUint64(offset, BigInt(value), littleEndian); return;
    case 'int8': view.setInt8(offset, Number(value)); return;
    case 'uint8': view.setUint8(offset, Number(value)); return;
    case 'bool': view.setUint8(offset, Number(value) ? 1 : 0); return;
    case 'int16': view.setInt16(offset, Number(value), littleEndian); return;
    case 'uint16': view.setUint16(offset, Number(value), littleEndian); return;
    case 'int32': view.setInt32(offset, Number(value), littleEndian); return;
    case 'uint32': view.setUint32(offset, Number(value), littleEndian); return;
  }
}
