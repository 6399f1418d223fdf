/**
 * A simulated Data API channel: its header facts and a deterministic value
 * for every pulse, so tests (and the end-to-end test) can recompute what a
 * file must hold from the channel name and the pulse id alone.
 */
import { DTYPES, type DType, type NumericDType } from '../../../lib/core/dtypes';
import { bitshuffleLz4Compress, DEFAULT_BLOCK_BYTES } from '../../../lib/adapters/buffers/data-api/bitshuffle';
import type { DataApiBackend } from '../../../lib/adapters/buffers/data-api/client';

export interface ChannelSpec {
  name: string;
  backend: DataApiBackend;
  dtype: DType;
  /** HDF5 order: [] scalar, [n] waveform, [height, width] image. */
  shape: number[];
  byteOrder: 'little' | 'big';
  compression: 'none' | 'bitshuffle-lz4';
  /** Bitshuffle block size in bytes when compressed. */
  blockBytes: number;
  /** Shape sent in the header instead of the one derived from `shape` (e.g. the legacy `[1]`). */
  wireShape?: number[];
  /** Does pulse `p` carry an event? */
  has(p: bigint): boolean;
  /** The uncompressed value: element bytes in `byteOrder`, or the text of a string channel. */
  value(p: bigint): Uint8Array | string;
  /** The value bytes as sent on the wire (bitshuffle-LZ4 stream when compressed). */
  wire(p: bigint): Uint8Array;
}

const utf8 = new TextEncoder();

/** A small per-channel number so that channels of the same kind differ (FNV-1a of the name, mod 997). */
export function saltOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return (h >>> 0) % 997;
}

/** Swap each element's bytes in place (little <-> big endian). */
export function swapBytes(bytes: Uint8Array, size: number): Uint8Array {
  if (size > 1) {
    for (let at = 0; at < bytes.length; at += size) {
      for (let a = at, b = at + size - 1; a < b; a++, b--) {
        const t = bytes[a]!;
        bytes[a] = bytes[b]!;
        bytes[b] = t;
      }
    }
  }
  return bytes;
}

type Element = (p: bigint, low: number, i: number) => number | bigint;

function typedArray(dtype: NumericDType | 'bool', n: number) {
  switch (dtype) {
    case 'float64': return new Float64Array(n);
    case 'float32': return new Float32Array(n);
    case 'int8': return new Int8Array(n);
    case 'int16': return new Int16Array(n);
    case 'int32': return new Int32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'uint16': return new Uint16Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'uint64': return new BigUint64Array(n);
  }
}

export interface NumericChannelOptions {
  name: string;
  backend?: DataApiBackend;
  dtype: NumericDType | 'bool';
  shape?: number[];
  byteOrder?: 'little' | 'big';
  compression?: 'none' | 'bitshuffle-lz4';
  blockBytes?: number;
  wireShape?: number[];
  has?: (p: bigint) => boolean;
  /**
   * Element i of pulse p (`low` = p mod 1,000,000 as a number, for cheap arithmetic).
   * Integer typed arrays wrap out-of-range numbers, so formulas may overflow on purpose.
   */
  element: Element;
}

const always = (): boolean => true;

/**
 * A numeric (or bool) channel of any shape.
 *
 * @example
 *   numericChannel({ name: 'X:Y', dtype: 'int16', shape: [100], element: (p, low, i) => low * 7 + i })
 */
export function numericChannel(o: NumericChannelOptions): ChannelSpec {
  const shape = o.shape ?? [];
  const n = shape.reduce((a, b) => a * b, 1);
  const size = DTYPES[o.dtype].size;
  const byteOrder = o.byteOrder ?? 'little';
  const compression = o.compression ?? 'none';
  const blockBytes = o.blockBytes ?? DEFAULT_BLOCK_BYTES;
  const bigints = o.dtype === 'int64' || o.dtype === 'uint64';
  const value = (p: bigint): Uint8Array => {
    const low = Number(p % 1_000_000n);
    const arr = typedArray(o.dtype, n);
    for (let i = 0; i < n; i++) {
      const v = o.element(p, low, i);
      if (bigints) (arr as BigInt64Array)[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
      else (arr as Float64Array)[i] = Number(v);
    }
    // Typed arrays are in the host's order; this simulator assumes a little-endian host (x86, ARM).
    const bytes = new Uint8Array(arr.buffer);
    return byteOrder === 'big' ? swapBytes(bytes, size) : bytes;
  };
  return {
    name: o.name,
    backend: o.backend ?? 'sf-databuffer',
    dtype: o.dtype,
    shape,
    byteOrder,
    compression,
    blockBytes,
    wireShape: o.wireShape,
    has: o.has ?? always,
    value,
    wire: compression === 'none' ? value : (p) => bitshuffleLz4Compress(value(p), size, blockBytes),
  };
}

export interface StringChannelOptions {
  name: string;
  backend?: DataApiBackend;
  compression?: 'none' | 'bitshuffle-lz4';
  has?: (p: bigint) => boolean;
  text: (p: bigint) => string;
}

/** A string (scalar) channel; values travel as UTF-8, optionally bitshuffle-LZ4 with 1-byte elements. */
export function stringChannel(o: StringChannelOptions): ChannelSpec {
  const compression = o.compression ?? 'none';
  return {
    name: o.name,
    backend: o.backend ?? 'sf-databuffer',
    dtype: 'string',
    shape: [],
    byteOrder: 'little',
    compression,
    blockBytes: DEFAULT_BLOCK_BYTES,
    has: o.has ?? always,
    value: o.text,
    wire: compression === 'none' ? (p) => utf8.encode(o.text(p)) : (p) => bitshuffleLz4Compress(utf8.encode(o.text(p)), 1),
  };
}
