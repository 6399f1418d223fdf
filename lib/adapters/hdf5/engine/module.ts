/**
 * Loading the WebAssembly libhdf5 (the package `sfdaq-hdf5-engine` in ./wasm, built by
 * native/hdf5-wasm/build.sh) and the small memory helpers every call uses.
 *
 * The .wasm, the emscripten module and the worker scripts are files that must stay files: they live in
 * an npm package (a `file:` dependency, external to every bundle: serverless.yml custom.esbuild.external)
 * that finds them beside itself wherever it is installed. This wrapper is bundled like any other code.
 */
import { createHdf5Engine, WASM_URL, wasmBinary as engineWasm, type Hdf5EngineModule } from 'sfdaq-hdf5-engine';

export type { Hdf5EngineModule };

/** Where the built artefact lives (the worker threads load the same files). */
export { WASM_URL, MODULE_URL, COMPRESSOR_WORKER_URL, CHUNK_WORKER_URL } from 'sfdaq-hdf5-engine';

/**
 * One of the engine's own files (`hdf5-engine.wasm`, `compressor-worker.mjs`, ...): in the package's folder.
 *
 * @example engineFileUrl('hdf5-engine.wasm').pathname // '/var/task/node_modules/sfdaq-hdf5-engine/hdf5-engine.wasm' in a Lambda
 */
export function engineFileUrl(name: string): URL {
  return new URL(`./${name}`, WASM_URL);
}

/** Instantiates a fresh module: one HDF5 library instance, its own memory. */
export async function instantiate(wasmBinary: Uint8Array = engineWasm()): Promise<Hdf5EngineModule> {
  const mod = await createHdf5Engine({
    wasmBinary,
    print: (text) => process.stdout.write(`[hdf5-engine] ${text}\n`),
    printErr: (text) => process.stderr.write(`[hdf5-engine] ${text}\n`),
  });
  if (mod._h5e_init() < 0) throw new Error(`HDF5 engine: ${mod.UTF8ToString(mod._h5e_last_error())}`);
  return mod;
}

/** A block of wasm memory, freed by `free()`; `bytes()` is a fresh view (memory may have grown). */
export class WasmBlock {
  readonly ptr: number;
  constructor(private readonly mod: Hdf5EngineModule, readonly size: number) {
    this.ptr = mod._malloc(Math.max(size, 1));
    if (this.ptr === 0) throw new RangeError(`HDF5 engine: cannot allocate ${size} bytes of wasm memory`);
  }
  bytes(): Uint8Array {
    return this.mod.HEAPU8.subarray(this.ptr, this.ptr + this.size);
  }
  free(): void {
    this.mod._free(this.ptr);
  }
}

/** Runs `fn` with blocks of the given sizes, freeing them afterwards whatever happens. */
export function withBlocks<T>(mod: Hdf5EngineModule, sizes: number[], fn: (...blocks: WasmBlock[]) => T): T {
  const blocks: WasmBlock[] = [];
  try {
    for (const size of sizes) blocks.push(new WasmBlock(mod, size));
    return fn(...blocks);
  } finally {
    for (const b of blocks) b.free();
  }
}

/** Copies bytes into wasm memory for the duration of `fn`. */
export function withBytes<T>(mod: Hdf5EngineModule, data: ArrayBufferView, fn: (ptr: number) => T): T {
  return withBlocks(mod, [data.byteLength], (b) => {
    b!.bytes().set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return fn(b!.ptr);
  });
}

/** Copies numbers as float64 (the shim's dims/offsets) into wasm memory for the duration of `fn`. */
export function withDoubles<T>(mod: Hdf5EngineModule, values: readonly number[], fn: (ptr: number) => T): T {
  return withBytes(mod, Float64Array.from(values), fn);
}

/** A NUL-terminated UTF-8 copy of each string in wasm memory, for the duration of `fn`. */
export function withStrings<T>(mod: Hdf5EngineModule, strings: readonly string[], fn: (...ptrs: number[]) => T): T {
  const encoded = strings.map((s) => Buffer.from(`${s}\0`, 'utf8'));
  return withBlocks(mod, encoded.map((e) => e.length), (...blocks) => {
    blocks.forEach((b, i) => b.bytes().set(encoded[i]!));
    return fn(...blocks.map((b) => b.ptr));
  });
}
