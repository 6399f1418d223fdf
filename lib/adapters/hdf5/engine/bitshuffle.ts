/**
 * Bitshuffle + LZ4 in the chunk format of HDF5 filter 32008: 8-byte big-endian uncompressed size,
 * 4-byte big-endian block size in bytes, then per block a 4-byte big-endian length and an LZ4 block of
 * the bit-shuffled elements (elements beyond the last multiple of 8 are copied raw at the end).
 * The Data API's compressed image blob is exactly this.
 */
import { withBlocks, withBytes, type Hdf5EngineModule } from './module';

export const BSHUF_FILTER_ID = 32008;

/**
 * The two header fields of a 32008 chunk.
 *
 * @example
 *   parseBitshuffleHeader(blob) // { uncompressedSize: 2621440, blockSizeBytes: 8192 }
 */
export function parseBitshuffleHeader(chunk: ArrayBufferView): { uncompressedSize: number; blockSizeBytes: number } {
  if (chunk.byteLength < 12) throw new RangeError('a bitshuffle chunk has a 12-byte header');
  const view = new DataView(chunk.buffer, chunk.byteOffset, 12);
  return { uncompressedSize: Number(view.getBigUint64(0, false)), blockSizeBytes: view.getUint32(8, false) };
}

export function bitshuffleLz4Compress(mod: Hdf5EngineModule, bytes: ArrayBufferView, elementSize: number, blockSize = 0): Uint8Array {
  if (!Number.isInteger(elementSize) || elementSize <= 0) throw new RangeError(`element size ${elementSize}`);
  if (bytes.byteLength % elementSize) throw new RangeError(`${bytes.byteLength} bytes is not a whole number of ${elementSize}-byte elements`);
  const bound = mod._h5e_bshuf_bound(bytes.byteLength, elementSize, blockSize);
  return withBytes(mod, bytes, (input) =>
    withBlocks(mod, [bound], (out) => {
      const size = mod._h5e_bshuf_compress(input, bytes.byteLength, elementSize, blockSize, out!.ptr);
      if (size < 0) throw new Error(`bitshuffle: ${mod.UTF8ToString(mod._h5e_last_error())}`);
      return out!.bytes().slice(0, size);
    }));
}

export function bitshuffleLz4Decompress(mod: Hdf5EngineModule, chunk: ArrayBufferView, elementSize: number): Uint8Array {
  const { uncompressedSize } = parseBitshuffleHeader(chunk);
  if (uncompressedSize > 2 ** 31) throw new RangeError(`bitshuffle chunk declares ${uncompressedSize} bytes`);
  return withBytes(mod, chunk, (input) =>
    withBlocks(mod, [uncompressedSize], (out) => {
      const n = mod._h5e_bshuf_decompress(input, chunk.byteLength, elementSize, out!.ptr, uncompressedSize);
      if (n < 0) throw new Error(`bitshuffle: ${mod.UTF8ToString(mod._h5e_last_error())}`);
      return out!.bytes().slice(0, n);
    }));
}

/**
 * Checks a filter-32008 chunk without decoding it: the header declares `expectedBytes` (when given) of
 * whole `elementSize` elements, its block size is whole 8-element groups, and the LZ4 blocks' length
 * fields walk exactly to the raw tail. A cut, padded or mislabelled blob fails here instead of at read
 * time; a blob whose LZ4 content is corrupt inside a block is not detected (that needs decoding).
 * Returns the problem, or undefined when the framing is right.
 *
 * @example
 *   checkBitshuffleChunk(blob, 2, 1024 * 1280 * 2) // undefined
 */
export function checkBitshuffleChunk(chunk: Uint8Array, elementSize: number, expectedBytes?: number): string | undefined {
  if (chunk.byteLength < 12) return `bitshuffle chunk of ${chunk.byteLength} bytes has no 12-byte header`;
  const { uncompressedSize, blockSizeBytes } = parseBitshuffleHeader(chunk);
  if (expectedBytes !== undefined && uncompressedSize !== expectedBytes) return `bitshuffle chunk declares ${uncompressedSize} bytes, expected ${expectedBytes}`;
  if (uncompressedSize % elementSize !== 0) return `bitshuffle chunk of ${uncompressedSize} bytes is not whole ${elementSize}-byte elements`;
  const blockElems = blockSizeBytes / elementSize;
  if (!Number.isInteger(blockElems) || blockElems <= 0 || blockElems % 8 !== 0) return `bitshuffle block size ${blockSizeBytes} bytes is invalid for ${elementSize}-byte elements`;
  const n = uncompressedSize / elementSize;
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let pos = 12;
  const full = Math.floor(n / blockElems);
  const last = (n % blockElems) - ((n % blockElems) % 8);
  const blocks = full + (last > 0 ? 1 : 0);
  for (let b = 0; b < blocks; b++) {
    if (pos + 4 > chunk.byteLength) return `bitshuffle chunk ends inside block ${b}'s length`;
    const size = view.getInt32(pos);
    if (size < 0 || pos + 4 + size > chunk.byteLength) return `bitshuffle block ${b} of ${size} bytes runs past the chunk`;
    pos += 4 + size;
  }
  const tail = (n % 8) * elementSize;
  if (pos + tail !== chunk.byteLength) return `bitshuffle chunk has ${chunk.byteLength - pos} bytes after its blocks, expected ${tail}`;
  return undefined;
}
