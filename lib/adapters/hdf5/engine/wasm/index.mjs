// The runtime files of the HDF5 engine, located through this module's own URL. This directory is an npm
// package (a `file:` dependency of the project, listed in serverless.yml custom.esbuild.external) so that a
// bundle never inlines it: inlined, `import.meta.url` would be the bundle's and the .wasm and the worker
// scripts would be looked for beside the bundle. As a package they are found wherever it is installed.
import { readFileSync } from 'node:fs';

export { default as createHdf5Engine } from './hdf5-engine.mjs';

/** The WebAssembly libhdf5 (native/hdf5-wasm/build.sh). */
export const WASM_URL = new URL('./hdf5-engine.wasm', import.meta.url);
/** The emscripten module that instantiates it. */
export const MODULE_URL = new URL('./hdf5-engine.mjs', import.meta.url);
/** The CompressorPool's worker (bitshuffle + LZ4 in its own wasm instance). */
export const COMPRESSOR_WORKER_URL = new URL('./compressor-worker.mjs', import.meta.url);
/** The ChunkCompressor's worker (byte shuffle + deflate of dataset chunks, Node's zlib). */
export const CHUNK_WORKER_URL = new URL('./chunk-worker.mjs', import.meta.url);

let binary;
/** The .wasm bytes, read once per process (emscripten 3.1.6 cannot fetch a file path itself). */
export function wasmBinary() {
  binary ??= readFileSync(WASM_URL);
  return binary;
}
