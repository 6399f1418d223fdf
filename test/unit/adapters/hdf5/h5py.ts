/**
 * Reading our files with Debian's h5py through test/python/h5_to_json.py, as a
 * scientist would. Tests skip (with the reason) where Python or a filter is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../../python/h5_to_json.py', import.meta.url));

export interface PyDataset {
  dtype: string;
  kind: string;
  string: { encoding: string; length: number | null } | null;
  shape: number[];
  maxshape: (number | null)[] | null;
  chunks: number[] | null;
  compression: string | null;
  compression_opts: unknown;
  filter_ids: number[];
  attrs: Record<string, unknown>;
  sha256?: string;
  /** int64/uint64 as decimal strings; strings decoded. */
  values: unknown;
}

export interface PyFile {
  filters: { bitshuffle: boolean };
  attrs: Record<string, unknown>;
  groups: Record<string, { attrs: Record<string, unknown> }>;
  datasets: Record<string, PyDataset>;
}

/** Why the h5py checks cannot run here, or undefined when they can. */
export const h5pyMissing: string | undefined = (() => {
  const probe = spawnSync(PYTHON, ['-c', 'import h5py, hdf5plugin'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return `skipped: ${PYTHON} cannot import h5py and hdf5plugin (apt-get install python3-h5py python3-hdf5plugin)`;
  }
  return undefined;
})();

/** The file as h5py sees it; `maxValues` bounds the values printed per dataset. */
export function readWithH5py(path: string, maxValues = 64): PyFile {
  const out = execFileSync(PYTHON, [SCRIPT, path, '--max-values', String(maxValues)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out) as PyFile;
}

/** Reason bitshuffle (32008) cannot be read by h5py here, or undefined. */
export function bitshuffleMissing(file: PyFile): string | undefined {
  return file.filters.bitshuffle
    ? undefined
    : 'skipped: h5py here has no bitshuffle filter 32008 (Debian: apt-get install bitshuffle; hdf5plugin 4.0.1 lacks it)';
}

/** sha256 of bytes, to compare with h5_to_json's `sha256` (little-endian values). */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
