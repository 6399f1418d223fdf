/**
 * Element types shared by the buffers (Data API 3 headers, archiver values)
 * and the HDF5 writers. One table, so a channel's dtype survives from wire to file.
 */
export type NumericDType =
  | 'float64' | 'float32'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64';
/** `bool` and `bool8` (Data API 3) are one byte each; `string` is variable-length UTF-8. */
export type DType = NumericDType | 'bool' | 'string';

export interface DTypeInfo {
  /** Bytes per element (0 for variable-length strings). */
  size: number;
  /** h5wasm's Python-struct code, little-endian. */
  h5: string;
  /** h5wasm's Python-struct code, big-endian. */
  h5BigEndian: string;
}

export const DTYPES: Record<DType, DTypeInfo> = {
  float64: { size: 8, h5: '<d', h5BigEndian: '>d' },
  float32: { size: 4, h5: '<f', h5BigEndian: '>f' },
  int8: { size: 1, h5: '<b', h5BigEndian: '>b' },
  int16: { size: 2, h5: '<h', h5BigEndian: '>h' },
  int32: { size: 4, h5: '<i', h5BigEndian: '>i' },
  int64: { size: 8, h5: '<q', h5BigEndian: '>q' },
  uint8: { size: 1, h5: '<B', h5BigEndian: '>B' },
  uint16: { size: 2, h5: '<H', h5BigEndian: '>H' },
  uint32: { size: 4, h5: '<I', h5BigEndian: '>I' },
  uint64: { size: 8, h5: '<Q', h5BigEndian: '>Q' },
  bool: { size: 1, h5: '?', h5BigEndian: '?' },
  string: { size: 0, h5: 'S', h5BigEndian: 'S' },
};

/** Data API 3 `type` names -> our DType (`bool8` is a one-byte bool; `character` a one-byte int). */
export function dtypeFromDataApi(type: string): DType | undefined {
  switch (type) {
    case 'bool8':
      return 'bool';
    case 'character':
      return 'int8';
    default:
      return type in DTYPES ? (type as DType) : undefined;
  }
}

/** A typed-array view of little-endian bytes for a numeric dtype (copies when unaligned). */
export function typedArrayOf(dtype: NumericDType | 'bool', bytes: Uint8Array):
  | Float64Array | Float32Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array {
  const size = DTYPES[dtype].size;
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset, byteLength } = aligned;
  const n = byteLength / size;
  switch (dtype) {
    case 'float64': return new Float64Array(buffer, byteOffset, n);
    case 'float32': return new Float32Array(buffer, byteOffset, n);
    case 'int8': return new Int8Array(buffer, byteOffset, n);
    case 'int16': return new Int16Array(buffer, byteOffset, n);
    case 'int32': return new Int32Array(buffer, byteOffset, n);
    case 'int64': return new BigInt64Array(buffer, byteOffset, n);
    case 'uint8': case 'bool': return new Uint8Array(buffer, byteOffset, n);
    case 'uint16': return new Uint16Array(buffer, byteOffset, n);
    case 'uint32': return new Uint32Array(buffer, byteOffset, n);
    case 'uint64': return new BigUint64Array(buffer, byteOffset, n);
  }
}
