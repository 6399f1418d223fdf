/**
 * Bitshuffle + LZ4, byte for byte as HDF5's bitshuffle filter (id 32008,
 * options (0, 2)) stores a chunk, which is also how Data API 3 sends a
 * compressed value. Checked against kiyo-masui/bitshuffle (src/bitshuffle.c,
 * src/bitshuffle_core.c, src/bshuf_h5filter.c) and against the `bitshuffle`
 * Python package on this machine:
 *
 *   u64 BE  uncompressed size in bytes
 *   u32 BE  block size in BYTES (= block size in elements x element size;
 *           the filter's decoder divides by the element size)
 *   then floor(n / B) full blocks of B elements, then one partial block of
 *   (n mod B) rounded down to a multiple of 8 elements (omitted when 0), each
 *   block = u32 BE compressed size + an LZ4 block of the bit-transposed block;
 *   then the last (n mod 8) elements copied raw (neither shuffled nor compressed).
 *
 * The bit transpose itself is in bit-transpose.ts. Speed (pure TypeScript,
 * Node 20, this 2-core machine under load): a 1280x1024 uint16 image decodes
 * in about 4.5-5.5 ms of CPU (LZ4 and transpose roughly half each).
 */
import { bitShuffleBlock, bitUnshuffleBlock } from './bit-transpose';
import { Lz4Error, lz4DecodeBlock, lz4EncodeBlock } from './lz4';

/** The block size the facility's captures use (bytes). */
export const DEFAULT_BLOCK_BYTES = 8192;
const HEADER_BYTES = 12;

/** A compressed value that does not decode (corrupt or not bitshuffle-LZ4). */
export class BitshuffleError extends Error {
  override readonly name = 'BitshuffleError';
}

/** The 12-byte header of a bitshuffle-LZ4 stream. */
export interface BitshuffleHeader {
  /** Uncompressed size in bytes. */
  uncompressedBytes: number;
  /** Block size in bytes, as stored. */
  blockBytes: number;
}

/**
 * Read the header of a bitshuffle-LZ4 stream without decoding it.
 *
 * @example
 *   readBitshuffleHeader(stream) // { uncompressedBytes: 2621440, blockBytes: 8192 }
 */
export function readBitshuffleHeader(stream: Uint8Array): BitshuffleHeader {
  if (stream.length < HEADER_BYTES) throw new BitshuffleError(`bitshuffle stream of ${stream.length} bytes has no header`);
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const size = view.getBigUint64(0);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new BitshuffleError(`bitshuffle size ${size} is absurd`);
  return { uncompressedBytes: Number(size), blockBytes: view.getUint32(8) };
}

/** Block sizes (elements) of a value of n elements: full blocks, then the partial one. */
export function bitshuffleBlockPlan(n: number, blockElems: number): number[] {
  const sizes: number[] = [];
  for (let i = 0; i + blockElems <= n; i += blockElems) sizes.push(blockElems);
  const last = (n % blockElems) - ((n % blockElems) % 8);
  if (last > 0) sizes.push(last);
  return sizes;
}

/**
 * Decompress a bitshuffle-LZ4 stream of elements of `elemSize` bytes.
 *
 * @example
 *   const bytes = bitshuffleLz4Decompress(event.compressed, 2); // a uint16 image, little-endian bytes
 */
export function bitshuffleLz4Decompress(stream: Uint8Array, elemSize: number): Uint8Array {
  const { uncompressedBytes, blockBytes } = readBitshuffleHeader(stream);
  if (uncompressedBytes % elemSize !== 0) {
    throw new BitshuffleError(`bitshuffle size ${uncompressedBytes} is not a multiple of the element size ${elemSize}`);
  }
  const blockElems = blockBytes / elemSize;
  if (!Number.isInteger(blockElems) || blockElems <= 0 || blockElems % 8 !== 0) {
    throw new BitshuffleError(`bitshuffle block size ${blockBytes} B is invalid for ${elemSize}-byte elements`);
  }
  const n = uncompressedBytes / elemSize;
  const out = new Uint8Array(uncompressedBytes);
  const tmp = new Uint8Array(Math.min(blockBytes, uncompressedBytes));
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  let pos = HEADER_BYTES;
  let outPos = 0;
  for (const elems of bitshuffleBlockPlan(n, blockElems)) {
    if (pos + 4 > stream.length) throw new BitshuffleError('bitshuffle stream ends inside a block header');
    const csize = view.getInt32(pos);
    pos += 4;
    if (csize < 0 || pos + csize > stream.length) throw new BitshuffleError(`bitshuffle block of ${csize} B runs past the stream`);
    const bytes = elems * elemSize;
    let written: number;
    try {
      written = lz4DecodeBlock(stream, pos, pos + csize, tmp, 0, bytes);
    } catch (error) {
      if (error instanceof Lz4Error) throw new BitshuffleError(`bitshuffle block at byte ${pos}: ${error.message}`);
      throw error;
    }
    if (written !== bytes) throw new BitshuffleError(`bitshuffle block decoded to ${written} B, expected ${bytes} B`);
    bitUnshuffleBlock(tmp, 0, out, outPos, elems, elemSize);
    pos += csize;
    outPos += bytes;
  }
  const leftover = uncompressedBytes - outPos;
  if (pos + leftover !== stream.length) {
    throw new BitshuffleError(`bitshuffle stream has ${stream.length - pos} B after its blocks, expected ${leftover} B`);
  }
  out.set(stream.subarray(pos, pos + leftover), outPos);
  return out;
}

/** Compress one block of `elems` elements starting at byte `start`: u32 BE size + LZ4 block. */
export function compressBitshuffleBlock(data: Uint8Array, start: number, elems: number, elemSize: number): Uint8Array {
  const bytes = elems * elemSize;
  const shuffled = new Uint8Array(bytes);
  bitShuffleBlock(data, start, shuffled, 0, elems, elemSize);
  const lz = lz4EncodeBlock(shuffled);
  const out = new Uint8Array(4 + lz.length);
  new DataView(out.buffer).setUint32(0, lz.length);
  out.set(lz, 4);
  return out;
}

/** The 12-byte header: u64 BE size, u32 BE block size in bytes. */
export function bitshuffleHeader(uncompressedBytes: number, blockBytes: number): Uint8Array {
  const header = new Uint8Array(HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setBigUint64(0, BigInt(uncompressedBytes));
  view.setUint32(8, blockBytes);
  return header;
}

/** Elements per block for a block size in bytes (bitshuffle wants a multiple of 8 elements). */
export function blockElements(blockBytes: number, elemSize: number): number {
  const elems = Math.floor(blockBytes / elemSize / 8) * 8;
  if (elems <= 0) throw new BitshuffleError(`block size ${blockBytes} B is too small for ${elemSize}-byte elements`);
  return elems;
}

/**
 * Compress as bitshuffle-LZ4 with the HDF5 filter's header (the simulator's
 * encoder; tests use it for round trips).
 *
 * @example
 *   const stream = bitshuffleLz4Compress(imageBytes, 2); // block size 8192 B = 4096 uint16
 */
export function bitshuffleLz4Compress(data: Uint8Array, elemSize: number, blockBytes = DEFAULT_BLOCK_BYTES): Uint8Array {
  if (data.length % elemSize !== 0) throw new BitshuffleError(`${data.length} B is not a whole number of ${elemSize}-byte elements`);
  const blockElems = blockElements(blockBytes, elemSize);
  const n = data.length / elemSize;
  const parts: Uint8Array[] = [bitshuffleHeader(data.length, blockElems * elemSize)];
  let pos = 0;
  for (const elems of bitshuffleBlockPlan(n, blockElems)) {
    parts.push(compressBitshuffleBlock(data, pos, elems, elemSize));
    pos += elems * elemSize;
  }
  parts.push(data.subarray(pos));
  return concatBytes(parts);
}

/** Concatenate byte arrays into one. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
