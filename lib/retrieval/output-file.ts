import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { ensureDirectoryInside } from '../adapters/fs/safe-paths';
import { pgroupRawDir } from '../core/paths';

/**
 * The temp name of an output: hidden, in the same directory, fixed per output
 * so a retried retriever overwrites its own leftover instead of piling up.
 */
export function tempNameOf(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.partial`);
}

/**
 * Write an output file so that it never exists half-written under its final
 * name: `write` fills the temp path, then it is renamed into place. The
 * directory is created below the pgroup's raw/ with the same symlink rules as
 * at accept time (a symlink planted since then cannot redirect the write).
 *
 * @example
 *   await writeOutputAtomically(dataRoot, input, input.files.BSREAD, (tmp) => writer.writeTo(tmp));
 */
export async function writeOutputAtomically<T>(
  dataRoot: string,
  where: { beamline: string; pgroup: string },
  finalPath: string,
  write: (tempPath: string) => Promise<T>,
): Promise<T> {
  const raw = pgroupRawDir(dataRoot, where.beamline, where.pgroup);
  const parts = relative(raw, dirname(finalPath)).split('/').filter((p) => p !== '');
  if (parts.includes('..')) throw new Error(`output ${finalPath} is outside the pgroup's raw directory`);
  const dir = await ensureDirectoryInside(raw, parts, true, 'directory_name');
  const target = join(dir, basename(finalPath));
  const temp = tempNameOf(target);
  await rm(temp, { force: true });
  try {
    const result = await write(temp);
    await rename(temp, target);
    return result;
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
