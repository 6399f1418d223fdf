/**
 * The bit transpose at the heart of bitshuffle, on one block of n elements
 * (n a multiple of 8) of e bytes each: output bit-row r = 8 * j + k holds
 * n / 8 bytes, and bit i of that row (byte i >> 3, bit i & 7, LSB first) is
 * bit k of byte j of element i. It works on memory bytes, so it is the same
 * for little- and big-endian data (see bitshuffle.ts for the stream around it).
 *
 * Pure TypeScript, 8 elements at a time: gather 8 bytes, transpose them as an
 * 8x8 bit matrix held in two 32-bit integers, scatter 8 bytes.
 */

/**
 * Transpose the 8x8 bit matrix held in 8 bytes (byte y, bit x) -> (byte x, bit y).
 * The 64-bit word is split into two 32-bit halves: `lo` = bytes 0..3, `hi` = bytes 4..7.
 * Same steps as bitshuffle's TRANS_BIT_8X8; the transpose is its own inverse.
 */
function transpose8(lo: number, hi: number, out: Uint8Array, pos: number, stride: number): void {
  let t = (lo ^ (lo >>> 7)) & 0x00aa00aa;
  lo = lo ^ t ^ (t << 7);
  t = (hi ^ (hi >>> 7)) & 0x00aa00aa;
  hi = hi ^ t ^ (t << 7);
  t = (lo ^ (lo >>> 14)) & 0x0000cccc;
  lo = lo ^ t ^ (t << 14);
  t = (hi ^ (hi >>> 14)) & 0x0000cccc;
  hi = hi ^ t ^ (t << 14);
  t = (lo ^ (hi << 4)) & 0xf0f0f0f0;
  lo ^= t;
  hi ^= t >>> 4;
  out[pos] = lo;
  out[pos + stride] = lo >>> 8;
  out[pos + 2 * stride] = lo >>> 16;
  out[pos + 3 * stride] = lo >>> 24;
  out[pos + 4 * stride] = hi;
  out[pos + 5 * stride] = hi >>> 8;
  out[pos + 6 * stride] = hi >>> 16;
  out[pos + 7 * stride] = hi >>> 24;
}

/**
 * Undo the bit transpose of one block: `src[srcPos ...]` holds n * e shuffled
 * bytes, written to `dst` from `dstPos`.
 */
export function bitUnshuffleBlock(src: Uint8Array, srcPos: number, dst: Uint8Array, dstPos: number, n: number, e: number): void {
  const rowBytes = n >>> 3;
  for (let j = 0; j < e; j++) {
    const plane = srcPos + j * 8 * rowBytes;
    for (let g = 0; g < rowBytes; g++) {
      const p = plane + g;
      const lo = src[p]! | (src[p + rowBytes]! << 8) | (src[p + 2 * rowBytes]! << 16) | (src[p + 3 * rowBytes]! << 24);
      const hi = src[p + 4 * rowBytes]! | (src[p + 5 * rowBytes]! << 8) | (src[p + 6 * rowBytes]! << 16) | (src[p + 7 * rowBytes]! << 24);
      transpose8(lo, hi, dst, dstPos + g * 8 * e + j, e);
    }
  }
}

/** Bit-transpose one block of n elements of e bytes (the inverse of bitUnshuffleBlock). */
export function bitShuffleBlock(src: Uint8Array, srcPos: number, dst: Uint8Array, dstPos: number, n: number, e: number): void {
  const rowBytes = n >>> 3;
  for (let j = 0; j < e; j++) {
    for (let g = 0; g < rowBytes; g++) {
      const p = srcPos + g * 8 * e + j;
      const lo = src[p]! | (src[p + e]! << 8) | (src[p + 2 * e]! << 16) | (src[p + 3 * e]! << 24);
      const hi = src[p + 4 * e]! | (src[p + 5 * e]! << 8) | (src[p + 6 * e]! << 16) | (src[p + 7 * e]! << 24);
      transpose8(lo, hi, dst, dstPos + j * 8 * rowBytes + g, rowBytes);
    }
  }
}
