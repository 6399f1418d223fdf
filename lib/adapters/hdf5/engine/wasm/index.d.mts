// Types of index.mjs.
export { default as createHdf5Engine, type Hdf5EngineModule, type Hdf5EngineOptions } from './hdf5-engine.mjs';
export declare const WASM_URL: URL;
export declare const MODULE_URL: URL;
export declare const COMPRESSOR_WORKER_URL: URL;
export declare const CHUNK_WORKER_URL: URL;
export declare function wasmBinary(): Uint8Array;
