/**
 * Hyperslab writes below h5wasm's `Dataset.write_slice`, which reinterprets a
 * Uint8Array element by element (not as bytes), mallocs and frees per call,
 * and refuses variable-length strings. Here: raw little-endian bytes through
 * one reusable heap buffer, and strings as C string pointers. Writes and
 * resizes check HDF5's status and throw on failure (no `withH5Errors` needed).
 */
import type { H5Module } from './h5';
import { swapInPlace } from './h5-dtypes';

/** What a write needs of a dataset (an h5wasm `Dataset` has both). */
export interface DatasetRef {
  file_id: bigint;
  path: string;
}

/** One growable buffer in the wasm heap, reused across writes to save malloc/free per frame. */
export class HeapScratch {
  private ptr = 0;
  private capacity = 0;

  constructor(private readonly module: H5Module) {}

  /** A pointer to at least `bytes` bytes (contents undefined), valid until the next call. */
  reserve(bytes: number): number {
    if (bytes > this.capacity) {
      this.free();
      this.ptr = this.module._malloc(bytes);
      if (this.ptr === 0) throw new Error(`wasm heap: cannot allocate ${bytes} bytes`);
      this.capacity = bytes;
    }
    return this.ptr;
  }

  /**
   * The reserved bytes as a view of the wasm heap, for a caller to fill in
   * place (saving one copy in `writeRaw`). Valid until the next HDF5 call or
   * allocation: growing the heap detaches it (its length becomes 0).
   */
  view(bytes: number): Uint8Array {
    const ptr = this.reserve(bytes);
    return this.module.HEAPU8.subarray(ptr, ptr + bytes);
  }

  free(): void {
    if (this.ptr !== 0) this.module._free(this.ptr);
    this.ptr = 0;
    this.capacity = 0;
  }
}

/**
 * Write `bytes` (elements in little-endian order, or big-endian with
 * `swapSize` = element size to swap them on the way) into the hyperslab
 * `offset`/`count` of `ds`, whose extent must already cover it.
 *
 * @example
 *   writeRaw(module, scratch, ds, [row, 0, 0], [1, h, w], pixels);
 */
export function writeRaw(
  module: H5Module,
  scratch: HeapScratch,
  ds: DatasetRef,
  offset: number[],
  count: number[],
  bytes: Uint8Array,
  swapSize = 1,
): void {
  if (count.some((c) => c === 0)) return;
  const ptr = scratch.reserve(bytes.length);
  // Read HEAPU8 after malloc: growing the heap replaces the view.
  const heap = module.HEAPU8;
  // Bytes filled in place through `scratch.view` are already there.
  if (bytes.buffer !== heap.buffer || bytes.byteOffset !== ptr) heap.set(bytes, ptr);
  if (swapSize > 1) swapInPlace(heap.subarray(ptr, ptr + bytes.length), swapSize);
  check(module.set_dataset_data(ds.file_id, ds.path, count.map(BigInt), offset.map(BigInt), count.map(() => 1n), BigInt(ptr)), 'write to', ds);
}

const encoder = new TextEncoder();

/**
 * Write variable-length strings (UTF-8 or ASCII, as the dataset says) into the
 * hyperslab `offset`/`count` of `ds`, row-major.
 *
 * @example
 *   writeStrings(module, ds, [10], [2], ['2024-...', '2024-...']);
 */
export function writeStrings(module: H5Module, ds: DatasetRef, offset: number[], count: number[], strings: string[]): void {
  if (strings.length === 0) return;
  // UTF-8 takes at most 3 bytes per UTF-16 unit; encode straight into the heap.
  const textBytes = strings.reduce((sum, s) => sum + 3 * s.length + 1, 0);
  // wasm32: a char* is 4 bytes; HDF5 reads an array of them for H5T_VARIABLE strings.
  const pointers = module._malloc(4 * strings.length);
  const text = module._malloc(textBytes);
  try {
    if (pointers === 0 || text === 0) throw new Error(`wasm heap: cannot allocate ${textBytes} bytes of strings`);
    const heap = module.HEAPU8;
    const table = new Uint32Array(heap.buffer, pointers, strings.length);
    let at = text;
    strings.forEach((s, i) => {
      const { written } = encoder.encodeInto(s, heap.subarray(at, at + 3 * s.length));
      heap[at + written] = 0;
      table[i] = at;
      at += written + 1;
    });
    check(module.set_dataset_data(ds.file_id, ds.path, count.map(BigInt), offset.map(BigInt), count.map(() => 1n), BigInt(pointers)), 'write to', ds);
  } finally {
    module._free(text);
    module._free(pointers);
  }
}

/**
 * Set the extent of `ds` (grow an extendable dataset).
 *
 * @example
 *   resize(module, ds, [rows + n, 2048]);
 */
export function resize(module: H5Module, ds: DatasetRef, shape: number[]): void {
  check(module.resize_dataset(ds.file_id, ds.path, shape.map(BigInt)), 'resize', ds);
}

// These calls close what they opened before returning HDF5's status, so a
// failure is reported here instead of by the throwing error handler (which
// would leave the dataset, and so the file, open: the path could then not be
// written again in this process).
function check(status: number, what: string, ds: DatasetRef): void {
  if (status < 0) throw new Error(`HDF5 could not ${what} ${ds.path} (status ${status}; HDF5's error stack is on stderr)`);
}
