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
  const aligned = src.byteOffset % 4 === 0 && out.byteOffset % 4 === 0;
  // Word-wide: four elements are read as words and each plane gets one 4-byte word (4 stores, not 16).
  const quads = n % 4 === 0 && aligned ? n / 4 : 0;
  if (size === 4 && quads) {
    const w = new Uint32Array(src.buffer, src.byteOffset, n);
    const o = new Uint32Array(out.buffer, out.byteOffset, n);
    const q1 = quads;
    const q2 = 2 * quads;
    const q3 = 3 * quads;
    for (let i = 0, j = 0; i < quads; i++, j += 4) {
      const a = w[j];
      const b = w[j + 1];
      const c = w[j + 2];
      const d = w[j + 3];
      o[i] = (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | (d << 24);
      o[q1 + i] = ((a >>> 8) & 0xff) | (b & 0xff00) | ((c & 0xff00) << 8) | ((d >>> 8) << 24);
      o[q2 + i] = ((a >>> 16) & 0xff) | ((b >>> 8) & 0xff00) | (c & 0xff0000) | ((d >>> 16) << 24);
      o[q3 + i] = (a >>> 24) | ((b >>> 16) & 0xff00) | ((c >>> 8) & 0xff0000) | (d & 0xff000000);
    }
  } else if (size === 8 && quads) {
    const w = new Uint32Array(src.buffer, src.byteOffset, 2 * n);
    const o = new Uint32Array(out.buffer, out.byteOffset, 2 * n);
    for (let i = 0, j = 0; i < quads; i++, j += 8) {
      for (let h = 0; h < 2; h++) {
        const a = w[j + h];
        const b = w[j + 2 + h];
        const c = w[j + 4 + h];
        const d = w[j + 6 + h];
        const base = 4 * h * quads + i;
        o[base] = (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | (d << 24);
        o[base + quads] = ((a >>> 8) & 0xff) | (b & 0xff00) | ((c & 0xff00) << 8) | ((d >>> 8) << 24);
        o[base + 2 * quads] = ((a >>> 16) & 0xff) | ((b >>> 8) & 0xff00) | (c & 0xff0000) | ((d >>> 16) << 24);
        o[base + 3 * quads] = (a >>> 24) | ((b >>> 16) & 0xff00) | ((c >>> 8) & 0xff0000) | (d & 0xff000000);
      }
    }
  } else if (size === 4 && src.byteOffset % 4 === 0) {
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
