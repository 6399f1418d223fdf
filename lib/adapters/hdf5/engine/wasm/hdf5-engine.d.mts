// Types of the module emscripten generates (native/hdf5-wasm/build.sh). The functions are the C shim's
// (native/hdf5-wasm/shim.c): pointers and int32 handles as numbers, sizes/dims/offsets as doubles;
// -1 (or a negative double) means failure, described by _h5e_last_error().
type Ptr = number;
type Handle = number;

export interface Hdf5EngineModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): Ptr;
  _free(ptr: Ptr): void;
  UTF8ToString(ptr: Ptr, maxBytesToRead?: number): string;

  _h5e_init(): number;
  _h5e_last_error(): Ptr;
  _h5e_filter_avail(id: number): number;
  _h5e_bshuf_using_sse2(): number;
  _h5e_open_object_count(): number;

  _h5e_file_create(path: Ptr, truncate: number): Handle;
  _h5e_file_open(path: Ptr, writable: number): Handle;
  _h5e_flush(h: Handle): number;
  _h5e_close(h: Handle): number;
  _h5e_group_create(loc: Handle, name: Ptr): Handle;
  _h5e_object_open(loc: Handle, name: Ptr): Handle;
  _h5e_exists(loc: Handle, path: Ptr): number;
  _h5e_object_kind(h: Handle): number;

  _h5e_dataset_create(loc: Handle, name: Ptr, dtype: number, rank: number, dims: Ptr, maxdims: Ptr, chunks: Ptr, opts: Ptr): Handle;
  _h5e_dataset_shape(h: Handle, dims: Ptr, maxdims: Ptr): number;
  _h5e_dataset_dtype(h: Handle): number;
  _h5e_dataset_resize(h: Handle, rank: number, dims: Ptr): number;
  _h5e_dataset_write(h: Handle, dtype: number, rank: number, start: Ptr, count: Ptr, buf: Ptr): number;
  _h5e_dataset_read(h: Handle, dtype: number, rank: number, start: Ptr, count: Ptr, buf: Ptr): number;
  _h5e_dataset_write_strings(h: Handle, rank: number, start: Ptr, count: Ptr, strs: Ptr): number;
  _h5e_dataset_read_strings(h: Handle, rank: number, start: Ptr, count: Ptr, out: Ptr, outCap: number): number;
  _h5e_dataset_offset(h: Handle): number;
  _h5e_dataset_storage_size(h: Handle): number;
  _h5e_write_chunk(h: Handle, rank: number, offset: Ptr, filterMask: number, buf: Ptr, size: number): number;
  _h5e_read_chunk(h: Handle, rank: number, offset: Ptr, out: Ptr, outCap: number, filterMask: Ptr): number;
  _h5e_vds_create(loc: Handle, name: Ptr, dtype: number, rank: number, dims: Ptr, maxdims: Ptr, nmaps: number, names: Ptr, nums: Ptr): Handle;

  _h5e_attr_write(h: Handle, name: Ptr, dtype: number, n: number, buf: Ptr): number;
  _h5e_attr_write_string(h: Handle, name: Ptr, value: Ptr): number;

  _h5e_bshuf_bound(nbytes: number, elemSize: number, blockSize: number): number;
  _h5e_bshuf_compress(input: Ptr, nbytes: number, elemSize: number, blockSize: number, out: Ptr): number;
  _h5e_bshuf_declared_size(input: Ptr): number;
  _h5e_bshuf_decompress(input: Ptr, inSize: number, elemSize: number, out: Ptr, outCap: number): number;
}

export interface Hdf5EngineOptions {
  /** The .wasm bytes: emscripten 3.1.6 would fetch() a file path, which Node rejects. */
  wasmBinary: Uint8Array;
  print?: (text: string) => void;
  printErr?: (text: string) => void;
}

declare function createHdf5Engine(options: Hdf5EngineOptions): Promise<Hdf5EngineModule>;
export default createHdf5Engine;
