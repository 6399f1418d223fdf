/** A fresh buffer root per test, removed afterwards (sparse files, so small on disk). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { MODULE_COLS, MODULE_ROWS } from '../../../../../lib/adapters/buffers/detector/layout';
import { fillModulePixels, type PixelMode } from '../../../../../local/simulators/detector';

export function useTempRoot(): () => string {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });
  return () => {
    const root = mkdtempSync(path.join(tmpdir(), 'detector-buffer-'));
    roots.push(root);
    return root;
  };
}

/** The bytes of a module frame as the simulator writes it (little-endian uint16). */
export function expectedModuleBytes(detector: string, module: number, pulseId: bigint, mode: PixelMode = 'sparse'): Buffer {
  const pixels = new Uint16Array(MODULE_ROWS * MODULE_COLS);
  fillModulePixels(detector, module, pulseId, mode, pixels);
  return Buffer.from(pixels.buffer);
}
