/**
 * LZ4 *block* format (no frame header), as bitshuffle stores each block.
 *
 * Pure TypeScript: the decoder is the hot path (every compressed waveform and,
 * when a caller asks for it, every image); the encoder serves the simulator
 * and tests. Format: sequences of token (literal length << 4 | match length - 4),
 * optional length extension bytes (255 = continue), literals, 2-byte
 * little-endian offset, match length extension. The last sequence has only
 * literals.
 */

/** Thrown for a block that does not decode: callers wrap it into their own error. */
export class Lz4Error extends Error {
  override readonly name = 'Lz4Error';
}

/**
 * Decode one LZ4 block `src[srcStart, srcEnd)` into `dst` starting at `dstStart`,
 * never writing at or past `dstEnd`. Returns the number of bytes written.
 *
 * @example
 *   const out = new Uint8Array(16);
 *   const n = lz4DecodeBlock(block, 0, block.length, out, 0, 16); // n === 16 for a full block
 */
export function lz4DecodeBlock(
  src: Uint8Array,
  srcStart: number,
  srcEnd: number,
  dst: Uint8Array,
  dstStart: number,
  dstEnd: number,
): number {
  let ip = srcStart;
  let op = dstStart;
  while (ip < srcEnd) {
    const token = src[ip++]!;
    // Literals.
    let litLen = token >>> 4;
    if (litLen === 15) {
      let b: number;
      do {
        if (ip >= srcEnd) throw new Lz4Error('lz4: literal length runs past the input');
        b = src[ip++]!;
        litLen += b;
      } while (b === 255);
    }
    if (litLen > 0) {
      if (ip + litLen > srcEnd) throw new Lz4Error('lz4: literals run past the input');
      if (op + litLen > dstEnd) throw new Lz4Error('lz4: literals overflow the output');
      if (litLen < 32) {
        for (let i = 0; i < litLen; i++) dst[op + i] = src[ip + i]!;
      } else {
        dst.set(src.subarray(ip, ip + litLen), op);
      }
      ip += litLen;
      op += litLen;
    }
    if (ip >= srcEnd) break; // the last sequence carries literals only
    // Match.
    if (ip + 2 > srcEnd) throw new Lz4Error('lz4: truncated match offset');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || op - offset < dstStart) throw new Lz4Error(`lz4: bad match offset ${offset}`);
    let matchLen = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (ip >= srcEnd) throw new Lz4Error('lz4: match length runs past the input');
        b = src[ip++]!;
        matchLen += b;
      } while (b === 255);
    }
    if (op + matchLen > dstEnd) throw new Lz4Error('lz4: match overflows the output');
    let ref = op - offset;
    if (matchLen < 24) {
      // Short matches: a byte loop beats the native calls. Overlap (offset < length)
      // repeats the pattern byte by byte, which is the format's meaning.
      const end = op + matchLen;
      while (op < end) dst[op++] = dst[ref++]!;
    } else if (offset === 1) {
      dst.fill(dst[ref]!, op, op + matchLen); // a run of one byte
      op += matchLen;
    } else {
      // Copy in non-overlapping pieces: each piece may be as long as the distance
      // to the source, which doubles every step (pattern replication via memmove).
      let left = matchLen;
      while (left > 0) {
        const piece = Math.min(op - ref, left);
        dst.copyWithin(op, ref, ref + piece);
        op += piece;
        left -= piece;
      }
    }
  }
  return op - dstStart;
}

const MIN_MATCH = 4;
/** The last 5 bytes of a block are always literals (format rule). */
const LAST_LITERALS = 5;
/** The last match must start at least 12 bytes before the end (format rule). */
const MF_LIMIT = 12;
const HASH_LOG = 12;
const MAX_OFFSET = 65535;

/** Worst-case size of an encoded block of `n` bytes. */
export function lz4CompressBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

// One hash table reused by every call: encoding is synchronous, so no two calls overlap.
const hashTable = new Int32Array(1 << HASH_LOG);

function read32(a: Uint8Array, i: number): number {
  return a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24);
}

function writeLength(out: Uint8Array, op: number, len: number): number {
  while (len >= 255) {
    out[op++] = 255;
    len -= 255;
  }
  out[op++] = len;
  return op;
}

/**
 * Encode `src[start, end)` as one LZ4 block (greedy matcher with a 4 Ki-entry
 * hash table; output decodes with any LZ4 block decoder).
 *
 * @example
 *   const block = lz4EncodeBlock(bytes, 0, bytes.length);
 */
export function lz4EncodeBlock(src: Uint8Array, start = 0, end = src.length): Uint8Array {
  const n = end - start;
  const out = new Uint8Array(lz4CompressBound(n));
  let op = 0;
  let anchor = start;

  const emit = (litEnd: number, offset: number, matchLen: number): void => {
    const litLen = litEnd - anchor;
    const tokenPos = op++;
    let token = (litLen >= 15 ? 15 : litLen) << 4;
    if (litLen >= 15) op = writeLength(out, op, litLen - 15);
    out.set(src.subarray(anchor, litEnd), op);
    op += litLen;
    if (matchLen > 0) {
      out[op++] = offset & 255;
      out[op++] = offset >>> 8;
      const m = matchLen - MIN_MATCH;
      token |= m >= 15 ? 15 : m;
      if (m >= 15) op = writeLength(out, op, m - 15);
    }
    out[tokenPos] = token;
  };

  if (n >= MF_LIMIT + 1) {
    hashTable.fill(-1);
    const limit = end - MF_LIMIT;
    const matchLimit = end - LAST_LITERALS;
    let ip = start;
    while (ip < limit) {
      const seq = read32(src, ip);
      const h = Math.imul(seq, 2654435761) >>> (32 - HASH_LOG);
      const ref = hashTable[h]!;
      hashTable[h] = ip;
      if (ref >= start && ip - ref <= MAX_OFFSET && read32(src, ref) === seq) {
        let len = MIN_MATCH;
        while (ip + len < matchLimit && src[ip + len] === src[ref + len]) len++;
        emit(ip, ip - ref, len);
        ip += len;
        anchor = ip;
      } else {
        // Skip faster through data that does not compress (LZ4's "acceleration").
        ip += 1 + ((ip - anchor) >>> 6);
      }
    }
  }
  emit(end, 0, 0);
  return out.subarray(0, op);
}
