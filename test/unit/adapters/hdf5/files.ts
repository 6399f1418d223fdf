/** Temp files for the HDF5 tests, and reading them back with h5wasm. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dataset, File } from 'h5wasm/node';
import { loadH5 } from '../../../../lib/adapters/hdf5/h5';

/** A fresh temp folder; `cleanup` removes it. */
export function tempFolder(prefix: string): { path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Open `path` read-only, run `fn`, close. */
export async function readBack<T>(path: string, fn: (file: File, get: (p: string) => Dataset) => T): Promise<T> {
  const { lib } = await loadH5();
  const file = new lib.File(path, 'r');
  try {
    return fn(file, (p) => {
      const ds = file.get(p);
      if (!(ds instanceof lib.Dataset)) throw new Error(`${p} is not a dataset in ${path}`);
      return ds;
    });
  } finally {
    file.close();
  }
}

/** Every object path in the file, sorted. */
export function allPaths(file: File): string[] {
  return file.paths().sort();
}
