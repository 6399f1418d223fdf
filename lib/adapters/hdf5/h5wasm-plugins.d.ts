// h5wasm-plugins ships plain ESM without typings; we use one function of it.
declare module 'h5wasm-plugins' {
  /** Add the package's own `plugins/` folder (real disk path) to HDF5's plugin search path. */
  export function install_local_plugins(h5wasmModule: unknown): void;
}
