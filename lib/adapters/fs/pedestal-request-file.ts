import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PedestalRequestFiles } from '../../core/pedestal-run';
import { PEDESTAL_DIRECTORY } from '../../core/pedestal-run';
import { RequestRefused } from '../../core/errors';
import { pgroupRawDir } from '../../core/paths';
import { ensureDirectoryInside, writeFileAtomic } from './safe-paths';

/**
 * `raw/JF_pedestals/<stamp>.json`: a pedestal request as the facility saves
 * it, the directory made with the pgroup's symlink rules (safe-paths).
 */
export class LocalPedestalRequestFiles implements PedestalRequestFiles {
  constructor(private readonly dataRoot: string) {}

  async writeRequest(beamline: string, pgroup: string, stamp: string, content: Record<string, unknown>): Promise<string> {
    const dir = await ensureDirectoryInside(pgroupRawDir(this.dataRoot, beamline, pgroup), [PEDESTAL_DIRECTORY], true, 'directory_name');
    const path = join(dir, `${stamp}.json`);
    // Two pedestal requests in the same second would share the stamp; the run numbers tell them apart.
    const taken = await lstat(path).then(() => true, () => false);
    const target = taken ? join(dir, `${stamp}.run_${String(content.run_number)}.json`) : path;
    if (taken && (await lstat(target).then(() => true, () => false))) throw new RequestRefused('pgroup', `${PEDESTAL_DIRECTORY}/${stamp}.json exists already`);
    await writeFileAtomic(target, JSON.stringify(content, null, 2) + '\n');
    return target;
  }
}
