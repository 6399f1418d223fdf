import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOKKEEPING_DIR, pgroupRawDir } from '../../core/paths';
import type { RunRecord, RunRecordLister } from '../../core/ports';
import { readRegularFile } from './safe-paths';

const PGROUP = /^p[0-9]{5}$/;
const RECORD = /^run_[0-9]{6,}\.json$/;

/**
 * Every raw/.daq/run_NNNNNN.json below `<dataRoot>/<beamline>/data/`, the
 * first bookkeeping a run gets (the recovery sweep starts from these).
 * Symlinks are not followed; a file that does not parse is reported, not thrown.
 */
export class LocalRunRecordLister implements RunRecordLister {
  constructor(private readonly dataRoot: string) {}

  async *list(beamline: string): AsyncIterable<{ record: RunRecord } | { unreadable: string; reason: string }> {
    const pgroups = await readdir(join(this.dataRoot, beamline, 'data'), { withFileTypes: true }).catch(() => []);
    for (const pgroup of pgroups) {
      if (!pgroup.isDirectory() || !PGROUP.test(pgroup.name)) continue;
      const daq = join(pgroupRawDir(this.dataRoot, beamline, pgroup.name), BOOKKEEPING_DIR);
      const entries = await readdir(daq, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (!entry.isFile() || !RECORD.test(entry.name)) continue;
        const path = join(daq, entry.name);
        try {
          const text = await readRegularFile(path);
          if (text !== undefined) yield { record: JSON.parse(text) as RunRecord };
        } catch (error) {
          yield { unreadable: path, reason: (error as Error).message };
        }
      }
    }
  }
}
