// A CompressorPool worker (compressor-pool.ts): its own instance of the engine's wasm, compressing or
// decompressing filter-32008 chunks one message at a time. Plain JavaScript so that it runs under
// plain node, tsx and vitest alike. Messages: { id, op: 'compress' | 'decompress', bytes, elementSize,
// blockSize } -> { id, bytes } or { id, error }; buffers are transferred, not copied.
import { parentPort, workerData } from 'node:worker_threads';
import createHdf5Engine from './hdf5-engine.mjs';

const mod = await createHdf5Engine({ wasmBinary: workerData.wasmBinary });
if (mod._h5e_init() < 0) throw new Error(mod.UTF8ToString(mod._h5e_last_error()));

/** Reused wasm blocks, grown on demand (freed and reallocated, never leaked). */
const blocks = { in: { ptr: 0, size: 0 }, out: { ptr: 0, size: 0 } };
function block(which, size) {
  const b = blocks[which];
  if (b.size < size) {
    if (b.ptr) mod._free(b.ptr);
    b.ptr = mod._malloc(size);
    if (!b.ptr) { b.size = 0; throw new RangeError(`cannot allocate ${size} bytes of wasm memory`); }
    b.size = size;
  }
  return b.ptr;
}
const lastError = () => mod.UTF8ToString(mod._h5e_last_error());

function compress(bytes, elementSize, blockSize) {
  const bound = mod._h5e_bshuf_bound(bytes.length, elementSize, blockSize);
  const input = block('in', bytes.length);
  const out = block('out', bound);
  mod.HEAPU8.set(bytes, input);
  const n = mod._h5e_bshuf_compress(input, bytes.length, elementSize, blockSize, out);
  if (n < 0) throw new Error(`bitshuffle: ${lastError()}`);
  return mod.HEAPU8.slice(out, out + n);
}

function decompress(bytes, elementSize) {
  if (bytes.length < 12) throw new RangeError('a bitshuffle chunk has a 12-byte header');
  const size = Number(new DataView(bytes.buffer, bytes.byteOffset, 12).getBigUint64(0, false));
  const input = block('in', bytes.length);
  const out = block('out', size);
  mod.HEAPU8.set(bytes, input);
  const n = mod._h5e_bshuf_decompress(input, bytes.length, elementSize, out, size);
  if (n < 0) throw new Error(`bitshuffle: ${lastError()}`);
  return mod.HEAPU8.slice(out, out + n);
}

parentPort.on('message', ({ id, op, bytes, elementSize, blockSize }) => {
  try {
    const result = op === 'compress' ? compress(bytes, elementSize, blockSize) : decompress(bytes, elementSize);
    parentPort.postMessage({ id, bytes: result }, [result.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
});
parentPort.postMessage({ ready: true, simd: mod._h5e_bshuf_using_sse2() === 1 });
