/** Python (Debian h5py, hdf5plugin, bitshuffle) and h5dump as the engine tests' independent readers. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';

/** Why h5py checks cannot run here, or undefined when they can. */
export const pythonMissing: string | undefined = (() => {
  const probe = spawnSync(PYTHON, ['-c', 'import h5py, numpy, hdf5plugin, bitshuffle'], { encoding: 'utf8' });
  return probe.error || probe.status !== 0
    ? `skipped: ${PYTHON} cannot import h5py, numpy, hdf5plugin and bitshuffle (apt-get install python3-h5py python3-hdf5plugin python3-numpy bitshuffle)`
    : undefined;
})();

export const h5dumpMissing: string | undefined =
  spawnSync('h5dump', ['--version'], { encoding: 'utf8' }).status === 0 ? undefined : 'skipped: no h5dump (apt-get install hdf5-tools)';

const PRELUDE = `
import sys, json, hashlib, struct
import numpy as np, h5py
`;

/**
 * Runs a Python snippet (after imports of sys, json, hashlib, struct, numpy as np, h5py) with `args` as
 * sys.argv[1:], returning its stdout parsed as JSON. `plugins: false` runs without hdf5plugin or any
 * filter plugin on the search path (HDF5_PLUGIN_PATH = an empty folder).
 */
export function py<T = unknown>(code: string, args: readonly string[] = [], opts: { plugins?: boolean; cwd?: string } = {}): T {
  const plugins = opts.plugins ?? true;
  const empty = plugins ? undefined : mkdtempSync(join(tmpdir(), 'no-plugins-'));
  try {
    const out = execFileSync(PYTHON, ['-c', PRELUDE + (plugins ? 'import hdf5plugin\n' : '') + code, ...args], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      cwd: opts.cwd,
      env: { ...process.env, ...(empty ? { HDF5_PLUGIN_PATH: empty } : {}) },
    });
    return JSON.parse(out) as T;
  } finally {
    if (empty) rmSync(empty, { recursive: true, force: true });
  }
}

/** `h5dump -p -H` of one dataset: its layout, filters and allocation as text. */
export function h5dumpHeader(path: string, dataset: string): string {
  return execFileSync('h5dump', ['-p', '-H', '-d', dataset, path], { encoding: 'utf8' });
}
