/**
 * What a BSREAD writer takes: a channel's description, its rows as columns (the Data API client's event
 * runs are such columns: no object per row), or rows as JS values (the archiver's samples), and the
 * conversion of one JS value into the bytes of a row.
 */
import { DTYPES, type DType } from '../../core/dtypes';
import { elementCount } from './h5-create';
import { writeElement, type ByteOrder } from './h5-dtypes';

/** A channel as the writer stores it. */
export interface ChannelSpec {
  dtype: DType;
  /** Element shape: [] scalar, [n] waveform, [h, w] image. */
  shape: number[];
  /** Byte order of the channel's bytes, kept in the file (default little). */
  byteOrder?: ByteOrder;
}

/**
 * One event's value: element bytes in the channel's byte order (strings:
 * UTF-8 bytes), a number/bigint/boolean for scalars, arrays for waveforms.
 */
export type RowValue = Uint8Array | string | number | bigint | boolean | number[] | string[];

export interface Row {
  pulseId: bigint;
  timestampNs: bigint;
  value: RowValue;
}

/**
 * Rows of one channel as columns: row i has pulseIds[i], timestamps[i] and the value bytes
 * bytes[starts[i], ends[i]) (element bytes in the channel's byte order; UTF-8 for strings; a
 * bitshuffle-LZ4 stream when appended with that encoding). The Data API client's EventRun is one.
 */
export interface RowColumns {
  count: number;
  pulseIds: BigInt64Array;
  timestamps: BigInt64Array;
  bytes: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
}

/** The 32-bit words of an int64 column (native order: [2i] low, [2i + 1] high). */
export function words64(values: BigInt64Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
}

/**
 * Encodes JS values into one row's bytes for a numeric (or bool) channel, in its byte order.
 *
 * @example
 *   const encode = rowEncoder('SAR:X', { dtype: 'uint16', shape: [2], byteOrder: 'big' });
 *   encode([1, 2]) // Uint8Array [0, 1, 0, 2]
 */
export function rowEncoder(name: string, spec: ChannelSpec): (value: RowValue) => Uint8Array {
  const { dtype, byteOrder = 'little' } = spec;
  const elements = elementCount(spec.shape);
  const size = DTYPES[dtype].size;
  const rowBytes = elements * size;
  const fail = (what: string): never => {
    throw new TypeError(`channel ${name} (${dtype} [${spec.shape.join(', ')}]): got ${what}`);
  };
  const row = new Uint8Array(rowBytes);
  const view = new DataView(row.buffer);
  const integral = dtype !== 'float64' && dtype !== 'float32';
  return (value) => {
    if (value instanceof Uint8Array) {
      if (value.length !== rowBytes) fail(`${value.length} bytes, expected ${rowBytes}`);
      return value;
    }
    const items = Array.isArray(value) ? value : [value];
    // Check every element before writing any, so a bad row changes nothing.
    for (const v of items) {
      if (typeof v === 'string') fail('a string value');
      if (integral && typeof v === 'number' && !Number.isInteger(v)) fail(`${v}, not a whole number`);
    }
    if (items.length !== elements) fail(`${items.length} elements, expected ${elements}`);
    for (let i = 0; i < items.length; i++) writeElement(view, i * size, dtype, items[i] as number | bigint | boolean, byteOrder === 'little');
    return row;
  };
}

/**
 * The strings of one row of a string channel (`elements` of them).
 *
 * @example
 *   stringsOf('S', 1, new TextEncoder().encode('ok')) // ['ok']
 */
export function stringsOf(name: string, elements: number, value: RowValue): string[] {
  const items = value instanceof Uint8Array ? [utf8.decode(value)] : Array.isArray(value) ? value : [value];
  if (items.length !== elements) throw new TypeError(`channel ${name} (string): got ${items.length} strings, expected ${elements}`);
  if (items.some((v) => typeof v !== 'string')) throw new TypeError(`channel ${name} (string): got a non-string value`);
  return items as string[];
}

/** Not fatal: a stray byte in a PV string must not fail a run. */
const utf8 = new TextDecoder('utf-8');
