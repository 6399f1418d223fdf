/**
 * Loading h5wasm (HDF5 2.0.0 compiled to WebAssembly, node build) once per
 * process, with its compression plugins, and what it can and cannot write.
 *
 * What h5wasm 0.10.3 can write (each checked by writing, then reading back
 * with h5dump and Debian's h5py 3.7 / HDF5 1.10.8):
 * - Variable-length strings: UTF-8 (`dtype: 'S'`) or ASCII (`'A'`), scalar or
 *   N-D, datasets and attributes. `Dataset.write_slice` refuses vlen strings,
 *   so appends go through `writeStrings` (h5-write.ts), which hands HDF5 an
 *   array of C string pointers in the wasm heap. h5py reads them as `bytes`
 *   (`.asstr()` decodes), the usual for vlen strings.
 * - int64/uint64 from BigInt64Array/BigUint64Array (or raw little-endian bytes).
 * - Extendable chunked datasets: `shape [0, ...]`, `maxshape [null, ...]`,
 *   `chunks`, then `resize` + a hyperslab write. Contiguous datasets only when
 *   created with their full data.
 * - One filter per dataset: `compression: 32008, compression_opts: [0, 2]`
 *   (bitshuffle+LZ4, via h5wasm-plugins) or gzip. Shuffle+gzip together is
 *   impossible: h5wasm's C side calls H5Pset_filter once.
 * - No direct chunk writes (H5Dwrite_chunk is not bound): compressed data is
 *   compressed again by the plugin inside wasm, single-threaded.
 *
 * What it cannot write, and what we do instead:
 * - Big-endian types: `create_dataset` refuses them, and its C side builds every
 *   number type from the native (little-endian) one. We store big-endian
 *   channels little-endian, swapping the bytes: the values a reader gets are
 *   the same, only `dtype.byteorder` differs.
 * - Enum types, hence h5py's bool (enum int8 FALSE=0/TRUE=1): bool is stored
 *   as uint8 0/1 (h5py reads `uint8`; `.astype(bool)` gives the bools).
 *   `DTYPES.bool.h5` ('?') is not an h5wasm dtype: use `storedDtype` (h5-dtypes.ts).
 * - A JS integer attribute becomes int32; pass a typed array for other widths.
 *
 * HDF5 errors: by default h5wasm prints them (stderr) and carries on, so a
 * failure would go unnoticed. Writes and resizes check HDF5's status
 * (h5-write.ts). Calls whose status h5wasm does not pass on (create a file,
 * group, dataset, attribute) run inside `withH5Errors`, which has HDF5 throw
 * for the span of one call (the handler is process-wide, so it is switched
 * off again after). Such a throw skips h5wasm's cleanup: the objects it had
 * open stay open, and with them the file, until the process ends. Treat a
 * writer that threw as failed.
 */
import h5wasm from 'h5wasm/node';
import { install_local_plugins } from 'h5wasm-plugins';

export type H5Lib = typeof h5wasm;
export type H5Module = Awaited<typeof h5wasm.ready>;

/** The loaded library: `lib` for Files/Groups/Datasets, `module` for the low-level bindings. */
export interface H5 {
  lib: H5Lib;
  module: H5Module;
}

/** bitshuffle+LZ4 as h5py/hdf5plugin write it: filter 32008, options (block size 0 = auto, 2 = LZ4). */
export const BITSHUFFLE_LZ4 = { compression: 32008, compression_opts: [0, 2] } as const;

let loading: Promise<H5> | undefined;

/**
 * h5wasm, initialised once, with the bitshuffle/LZ4/... plugins on HDF5's search path.
 *
 * @example
 *   const { lib } = await loadH5();
 *   const file = new lib.File('/tmp/x.h5', 'w');
 */
export function loadH5(): Promise<H5> {
  loading ??= h5wasm.ready.then((module) => {
    // The plugins are read from the package folder on disk when a filter is
    // first used: keep h5wasm-plugins out of any bundle.
    install_local_plugins(module);
    return { lib: h5wasm, module };
  });
  return loading;
}

/**
 * Run `fn` with HDF5 errors thrown as JS errors (message: HDF5's error stack).
 *
 * @example
 *   withH5Errors(module, () => dataset.resize([n]));
 */
export function withH5Errors<T>(module: H5Module, fn: () => T): T {
  module.activate_throwing_error_handler();
  try {
    return fn();
  } catch (error) {
    // The handler throws a bare string or an Error, depending on the path.
    throw error instanceof Error ? error : new Error(String(error));
  } finally {
    module.deactivate_throwing_error_handler();
  }
}
