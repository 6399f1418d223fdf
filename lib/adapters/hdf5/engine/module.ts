/**
 * Loading the WebAssembly libhdf5 (hdf5-engine.wasm beside this file, built by
 * native/hdf5-wasm/build.sh) and the small memory helpers every call uses.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import createHdf5Engine, { type Hdf5EngineModule } from './hdf5-engine.mjs';

export type { Hdf5EngineModule };

/** Where the engine's files sit in the project, and so in a deployment package (serverless.yml `package.patterns`). */
export const ENGINE_DIR = 'lib/adapters/hdf5/engine';

/**
 * One of the engine's own files (`hdf5-engine.wasm`, `hdf5-engine.mjs`,
 * `compressor-worker.mjs`): beside this module in the source tree; in a
 * bundle (which inlines this module but not those files) at ENGINE_DIR below
 * the nearest folder up from the bundle that has it, i.e. the package root
 * where `package.patterns` put them (Lambda's /var/task, the local bundle
 * directory, a benchmark bundle inside the project).
 *
 * @example engineFileUrl('hdf5-engine.wasm').pathname // '/var/task/lib/adapters/hdf5/engine/hdf5-engine.wasm' in a Lambda
 */
export function engineFileUrl(name: string, from: string = import.meta.url): URL {
  const beside = new URL(`./${name}`, from);
  if (existsSync(beside)) return beside;
  for (let dir = dirname(fileURLToPath(from)); ; dir = dirname(dir)) {
    const candidate = join(dir, ENGINE_DIR, name);
    if (existsSync(candidate)) return pathToFileURL(candidate);
    if (dirname(dir) === dir) return beside; // not found: the error names the first place looked at
  }
}

/** Where the built artefact lives (the worker threads load the same files). */
export const WASM_URL = engineFileUrl('hdf5-engine.wasm');
export const MODULE_URL = engineFileUrl('hdf5-engine.mjs');

/** Instantiates a fresh module: one HDF5 library instance, its own memory. */
export async function instantiate(wasmBinary: Uint8Array = readFileSync(WASM_URL)): Promise<Hdf5EngineModule> {
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
