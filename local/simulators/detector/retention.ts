/**
 * The buffer's rolling window: delete every file all of whose pulses are older
 * than the oldest pulse kept, and folders left empty by that.
 */
import { readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { PULSES_PER_FOLDER, SLOTS_PER_FILE } from '../../../lib/adapters/buffers/detector/layout';

/**
 * @example deleteExpiredFiles('/buf/JF01T03V01/M00', 12_000n) // removes .../10000.bin and .../11000.bin; returns 2
 */
export function deleteExpiredFiles(moduleDir: string, oldestKeptPulseId: bigint): number {
  let deleted = 0;
  for (const folder of listNumeric(moduleDir, /^\d+$/)) {
    const folderStart = BigInt(folder);
    if (folderStart >= oldestKeptPulseId) continue; // every file in it starts at or after the cut
    const folderDir = path.join(moduleDir, folder);
    for (const file of listNumeric(folderDir, /^\d+\.bin$/)) {
      if (BigInt(file.slice(0, -4)) + BigInt(SLOTS_PER_FILE) <= oldestKeptPulseId) {
        unlinkSync(path.join(folderDir, file));
        deleted += 1;
      }
    }
    if (folderStart + BigInt(PULSES_PER_FOLDER) <= oldestKeptPulseId && listNumeric(folderDir, /./).length === 0) {
      rmdirSync(folderDir);
    }
  }
  return deleted;
}

function listNumeric(dir: string, pattern: RegExp): string[] {
  try {
    return readdirSync(dir).filter((n) => pattern.test(n));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
