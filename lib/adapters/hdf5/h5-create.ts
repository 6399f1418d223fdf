/**
 * Creating the datasets our writers use, in the forms h5wasm supports (h5.ts).
 */
import type { Dataset, Group } from 'h5wasm/node';

/** A filter as h5wasm's create_dataset takes it (one per dataset). */
export interface Filter {
  compression: number | 'gzip';
  compression_opts: number | readonly number[];
}

export const GZIP_4: Filter = { compression: 'gzip', compression_opts: 4 };

export interface ExtendableSpec {
  /** h5wasm dtype string, e.g. '<q', 'S'. */
  dtype: string;
  /** Shape of one row: [] scalar, [n], [h, w]. */
  rowShape: number[];
  chunkRows: number;
  filter?: Filter;
  /** Largest row count (default unlimited). */
  maxRows?: number | null;
}

/**
 * An empty dataset `(0, ...rowShape)` growing along its first axis.
 *
 * @example
 *   createExtendable(group, 'pulse_id', { dtype: '<q', rowShape: [], chunkRows: 8192 });
 */
export function createExtendable(group: Group, name: string, spec: ExtendableSpec): Dataset {
  const { dtype, rowShape, chunkRows, filter, maxRows = null } = spec;
  return group.create_dataset({
    name,
    // A plain empty array: h5wasm cannot convert an empty typed array of another kind to BigInt64Array.
    data: [] as number[],
    dtype,
    shape: [0, ...rowShape],
    maxshape: [maxRows, ...rowShape],
    chunks: [chunkRows, ...rowShape],
    ...(filter ? { compression: filter.compression, compression_opts: [filter.compression_opts].flat() } : {}),
  });
}

/**
 * A scalar variable-length string dataset (UTF-8, or ASCII as sf_writer's `detector_name`).
 *
 * @example
 *   createScalarString(general, 'detector_name', 'JF01T03V01', 'ascii');
 */
export function createScalarString(group: Group, name: string, value: string, charset: 'utf-8' | 'ascii' = 'utf-8'): Dataset {
  return group.create_dataset({ name, data: value, dtype: charset === 'ascii' ? 'A' : 'S' });
}

/** Rows of a shape: 1 for a scalar, n for [n], h*w for [h, w]. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * HDF5 link names we accept for a channel or detector: anything but '/' (a path
 * separator), empty, '.' or '..'. Channel names hold ':', '.', '-', fine in HDF5.
 */
export function checkLinkName(kind: string, name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/')) {
    throw new TypeError(`${kind} name ${JSON.stringify(name)} cannot be an HDF5 group name`);
  }
}
