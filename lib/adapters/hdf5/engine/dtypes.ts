/**
 * The element types the engine writes, their codes in the C shim (`make_type` in
 * native/hdf5-wasm/shim.c) and the typed arrays that carry them.
 */

/** Numeric dtypes; a `be` suffix stores the values big-endian (the data you pass stays native). */
export type NumericDtype =
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64'
  | 'int16be' | 'uint16be' | 'int32be' | 'uint32be' | 'int64be' | 'uint64be' | 'float32be' | 'float64be';

/**
 * A fixed-length string of n bytes: numpy's `S<n>` as h5py stores it (ASCII, null-padded). Its data
 * crosses as raw bytes (n per element), like a numeric dtype, so filters compress it.
 */
export type FixedStringDtype = `S${number}`;

/**
 * What a dataset or attribute can hold. `bool` is stored as h5py stores numpy.bool (an HDF5 enum over
 * int8, FALSE = 0 / TRUE = 1; pass 0/1 bytes); `string` is variable-length UTF-8 (h5py's `str`),
 * `ascii` variable-length ASCII (sf_writer's `/general/detector_name`); `S<n>` fixed-length ASCII.
 */
export type Dtype = NumericDtype | 'bool' | 'string' | 'ascii' | FixedStringDtype;

const BE = 0x100;
const FIXED = 13;
const LEN_SHIFT = 16;
/** Longest fixed-length string the shim accepts (the length travels in the code's high bits). */
export const MAX_FIXED_STRING = 0x7fff;

/** The length of an `S<n>` dtype, or undefined for any other. */
export function fixedStringLength(dtype: Dtype): number | undefined {
  if (dtype[0] !== 'S') return undefined;
  const n = Number(dtype.slice(1));
  if (!Number.isInteger(n) || n < 1 || n > MAX_FIXED_STRING) throw new TypeError(`dtype ${dtype}: a fixed-length string of 1..${MAX_FIXED_STRING} bytes is S1..S${MAX_FIXED_STRING}`);
  return n;
}

const BASE: Record<string, { code: number; size: number }> = {
  int8: { code: 0, size: 1 },
  uint8: { code: 1, size: 1 },
  int16: { code: 2, size: 2 },
  uint16: { code: 3, size: 2 },
  int32: { code: 4, size: 4 },
  uint32: { code: 5, size: 4 },
  int64: { code: 6, size: 8 },
  uint64: { code: 7, size: 8 },
  float32: { code: 8, size: 4 },
  float64: { code: 9, size: 8 },
  bool: { code: 10, size: 1 },
  string: { code: 11, size: 0 },
  ascii: { code: 12, size: 0 },
};

/** The shim's code of a dtype. */
export function dtypeCode(dtype: Dtype): number {
  const fixed = fixedStringLength(dtype);
  if (fixed !== undefined) return FIXED | (fixed << LEN_SHIFT);
  const be = dtype.endsWith('be');
  const base = BASE[be ? dtype.slice(0, -2) : dtype];
  if (!base) throw new TypeError(`unknown dtype ${JSON.stringify(dtype)}`);
  return base.code | (be ? BE : 0);
}

/** The dtype of a shim code (the inverse of dtypeCode), or undefined. */
export function dtypeOfCode(code: number): Dtype | undefined {
  if ((code & 0xff) === FIXED) return `S${code >>> LEN_SHIFT}`;
  const name = Object.keys(BASE).find((k) => BASE[k]!.code === (code & 0xff));
  if (name === undefined) return undefined;
  return ((code & BE) ? `${name}be` : name) as Dtype;
}

/** Bytes per element in memory (0 for strings). */
export function dtypeSize(dtype: Dtype): number {
  const fixed = fixedStringLength(dtype);
  if (fixed !== undefined) return fixed;
  const base = BASE[dtype.endsWith('be') ? dtype.slice(0, -2) : dtype];
  if (!base) throw new TypeError(`unknown dtype ${JSON.stringify(dtype)}`);
  return base.size;
}

export function isStringDtype(dtype: Dtype): dtype is 'string' | 'ascii' {
  return dtype === 'string' || dtype === 'ascii';
}

export type TypedArray =
  | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

/** A typed array of `n` elements of the dtype's natural JS type (bool: Uint8Array of 0/1; S<n>: the bytes). */
export function allocTyped(dtype: Dtype, buffer: ArrayBuffer, byteOffset = 0, length?: number): TypedArray {
  if (fixedStringLength(dtype) !== undefined) return new Uint8Array(buffer, byteOffset, length === undefined ? undefined : length * dtypeSize(dtype));
  switch (dtype.endsWith('be') ? dtype.slice(0, -2) : dtype) {
    case 'int8': return new Int8Array(buffer, byteOffset, length);
    case 'uint8': case 'bool': return new Uint8Array(buffer, byteOffset, length);
    case 'int16': return new Int16Array(buffer, byteOffset, length);
    case 'uint16': return new Uint16Array(buffer, byteOffset, length);
    case 'int32': return new Int32Array(buffer, byteOffset, length);
    case 'uint32': return new Uint32Array(buffer, byteOffset, length);
    case 'int64': return new BigInt64Array(buffer, byteOffset, length);
    case 'uint64': return new BigUint64Array(buffer, byteOffset, length);
    case 'float32': return new Float32Array(buffer, byteOffset, length);
    case 'float64': return new Float64Array(buffer, byteOffset, length);
    default: throw new TypeError(`no typed array for dtype ${dtype}`);
  }
}
