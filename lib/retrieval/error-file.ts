import { basename, dirname, join, relative } from 'node:path';
import { ensureDirectoryInside, writeFileAtomic } from '../adapters/fs/safe-paths';
import { pgroupRawDir } from '../core/paths';
import type { SourceResult } from '../core/run-status';

/**
 * The original broker's failure marker: `<output>.err` beside the file that
 * could not be written, holding the reason, so a scientist listing the
 * directory sees at once why a file is missing. Written inside the pgroup's
 * raw/ with the same symlink rules as the outputs.
 *
 * @example await writeErrorFiles(dataRoot, run, [{ source: 'CAMERAS', state: 'failed', reason: 'range expired ...', ... }])
 */
export async function writeErrorFiles(dataRoot: string, run: { beamline: string; pgroup: string; run_number: number }, results: SourceResult[]): Promise<string[]> {
  const raw = pgroupRawDir(dataRoot, run.beamline, run.pgroup);
  const written: string[] = [];
  for (const result of results) {
    if (result.state !== 'failed') continue;
    const parts = relative(raw, dirname(result.file)).split('/').filter((p) => p !== '');
    if (parts.includes('..')) continue; // never outside raw/, whatever a result says
    const dir = await ensureDirectoryInside(raw, parts, true, 'directory_name');
    const path = join(dir, `${basename(result.file)}.err`);
    await writeFileAtomic(path, `run ${run.run_number} ${result.source}: ${result.reason ?? 'failed'}\n`);
    written.push(path);
  }
  return written;
}
