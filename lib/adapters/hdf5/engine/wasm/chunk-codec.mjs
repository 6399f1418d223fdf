// HDF5's shuffle (filter 2) + deflate (filter 1) of one dataset chunk, the bytes H5Dwrite_chunk stores for a
// dataset whose pipeline is shuffle then deflate: the element bytes regrouped by byte position, then one
// zlib stream (RFC 1950, what HDF5's deflate filter reads). Plain JavaScript so that the CompressorPool's
// worker threads (chunk-worker.mjs) and the writer's own thread run the same code; deflate is Node's zlib
// (native, about 3x HDF5's deflate compiled to wasm here).
import { deflateSync } from 'node:zlib';

/**
 * HDF5's byte shuffle: byte b of element i goes to out[b * n + i] (n = whole elements); bytes beyond the
 * last whole element are copied unchanged at the end, as HDF5 does. Word-wide reads for 2, 4 and 8 bytes.
 */
export function byteShuffle(src, size, out) {
  const n = Math.floor(src.length / size);
  if (size <= 1 || n <= 1) {
    out.set(src);
    return out;
  }
  const aligned = src.byteOffset % 4 === 0;
  if (size === 4 && aligned) {
    const w = new Uint32Array(src.buffer, src.byteOffset, n);
    const n2 = 2 * n;
    const n3 = 3 * n;
    for (let i = 0; i < n; i++) {
      const v = w[i];
      out[i] = v;
      out[n + i] = v >>> 8;
      out[n2 + i] = v >>> 16;
      out[n3 + i] = v >>> 24;
    }
  } else if (size === 8 && aligned) {
    const w = new Uint32Array(src.buffer, src.byteOffset, 2 * n);
    for (let i = 0, j = 0; i < n; i++, j += 2) {
      const lo = w[j];
      const hi = w[j + 1];
      out[i] = lo;
      out[n + i] = lo >>> 8;
      out[2 * n + i] = lo >>> 16;
      out[3 * n + i] = lo >>> 24;
      out[4 * n + i] = hi;
      out[5 * n + i] = hi >>> 8;
      out[6 * n + i] = hi >>> 16;
      out[7 * n + i] = hi >>> 24;
    }
  } else if (size === 2 && src.byteOffset % 2 === 0) {
    const w = new Uint16Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const v = w[i];
      out[i] = v;
      out[n + i] = v >>> 8;
    }
  } else {
    for (let b = 0; b < size; b++) {
      const o = b * n;
      for (let i = 0; i < n; i++) out[o + i] = src[i * size + b];
    }
  }
  const tail = src.length - n * size;
  if (tail > 0) out.set(src.subarray(n * size), n * size);
  return out;
}

/**
 * The stored bytes of one chunk: shuffle (when elementSize > 1) then deflate at `level`.
 * `scratch` (at least src.length bytes) holds the shuffled bytes.
 */
export function shuffleDeflate(src, elementSize, level, scratch) {
  const input = elementSize > 1 ? byteShuffle(src, elementSize, scratch.subarray(0, src.length)) : src;
  return deflateSync(input, { level });
}
