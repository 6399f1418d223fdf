import { constants } from 'node:fs';
import { access, lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RequestRefused } from '../../core/errors';
import { BOOKKEEPING_DIR, CLOSED_MARKER, pgroupRawDir, runLabel, SCAN_INFO_DIR, SCAN_STEPS_DIR, scanFileName } from '../../core/paths';
import type { PgroupFilesystem, RunRecord } from '../../core/ports';
import { ensureDirectoryInside, readRegularFile, writeFileAtomic } from './safe-paths';
import { recordScanStep } from './scan-steps';

/**
 * The pgroup filesystem below `<dataRoot>/<beamline>/data/<pgroup>/raw`
 * (EFS on AWS, a local directory in the local stack). Every write goes
 * through safe-paths: nothing lands outside raw/.
 */
export class LocalPgroupFilesystem implements PgroupFilesystem {
  constructor(private readonly dataRoot: string) {}

  rawDir(beamline: string, pgroup: string): string {
    return pgroupRawDir(this.dataRoot, beamline, pgroup);
  }

  private async daqDir(beamline: string, pgroup: string): Promise<string> {
    return ensureDirectoryInside(this.rawDir(beamline, pgroup), [BOOKKEEPING_DIR], true, 'pgroup');
  }

  async checkPgroupExists(beamline: string, pgroup: string): Promise<void> {
    const raw = this.rawDir(beamline, pgroup);
    const stats = await stat(raw).catch(() => undefined);
    if (!stats?.isDirectory()) throw new RequestRefused('pgroup', `pgroup ${pgroup} does not exist at beamline ${beamline} (its raw directory is not reachable): check the pgroup name`);
  }

  async checkPgroupWritable(beamline: string, pgroup: string): Promise<void> {
    await this.checkPgroupExists(beamline, pgroup);
    const raw = this.rawDir(beamline, pgroup);
    let daq: string;
    try {
      daq = await this.daqDir(beamline, pgroup);
    } catch (error) {
      if (error instanceof RequestRefused) throw error;
      throw new RequestRefused('pgroup', `no permission or possibility to make the bookkeeping directory raw/${BOOKKEEPING_DIR} in pgroup ${pgroup} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}): ask the beamline staff to check the pgroup's permissions`);
    }
    // access(W_OK) is always true for root; also look at the mode bits so a read-only pgroup is refused for everyone.
    for (const dir of [raw, daq]) {
      const mode = (await stat(dir)).mode;
      const writable = await access(dir, constants.W_OK).then(() => true, () => false);
      if (!writable || (mode & 0o222) === 0) {
        throw new RequestRefused('pgroup', `no permission to write in ${dir === raw ? 'raw/' : `raw/${BOOKKEEPING_DIR}`} of pgroup ${pgroup}: ask the beamline staff to check the pgroup's permissions`);
      }
    }
  }

  async outputDirectory(beamline: string, pgroup: string, directoryParts: string[]): Promise<string> {
    await ensureDirectoryInside(this.rawDir(beamline, pgroup), directoryParts, false, 'directory_name');
    return [this.rawDir(beamline, pgroup), ...directoryParts].join('/');
  }

  async isClosed(beamline: string, pgroup: string): Promise<boolean> {
    const marker = join(this.rawDir(beamline, pgroup), BOOKKEEPING_DIR, CLOSED_MARKER);
    return lstat(marker).then(() => true, () => false);
  }

  async markClosed(beamline: string, pgroup: string): Promise<void> {
    const daq = await this.daqDir(beamline, pgroup);
    await writeFileAtomic(join(daq, CLOSED_MARKER), `closed for writing at ${new Date().toISOString()}\n`);
  }

  async writeRunRecord(record: RunRecord): Promise<string> {
    const daq = await this.daqDir(record.beamline, record.pgroup);
    const path = join(daq, `${runLabel(record.run_number)}.json`);
    await writeFileAtomic(path, JSON.stringify(record, null, 2) + '\n');
    return path;
  }

  async appendScanInfo(beamline: string, pgroup: string, runNumber: number, scanInfo: Record<string, unknown>, files: string[], range: [number, number]): Promise<string> {
    const raw = this.rawDir(beamline, pgroup);
    const scanName = String(scanInfo.scan_name);
    const dir = await ensureDirectoryInside(raw, [SCAN_INFO_DIR], true, 'scan_info.scan_name');
    const stepsDir = await ensureDirectoryInside(raw, [BOOKKEEPING_DIR, SCAN_STEPS_DIR, scanName], true, 'scan_info.scan_name');
    const path = join(dir, scanFileName(scanName));
    await recordScanStep(stepsDir, path, { run_number: runNumber, scan_info: scanInfo, files, range }, runLabel(runNumber));
    return path;
  }
}
