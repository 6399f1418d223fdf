import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { RequestRefused } from '../../core/errors';
import { pgroupRawDir, SCAN_INFO_DIR, scanFileName } from '../../core/paths';
import type { ScanInfoReader } from '../../core/ports';
import { ensureDirectoryInside } from './safe-paths';

/**
 * Read-only look at raw/scan_info/<scan_name>.json (the writer is
 * LocalPgroupFilesystem.appendScanInfo): whether it can be written safely.
 */
export class LocalScanInfoReader implements ScanInfoReader {
  constructor(private readonly dataRoot: string) {}

  private async dir(beamline: string, pgroup: string): Promise<string | undefined> {
    const raw = pgroupRawDir(this.dataRoot, beamline, pgroup);
    const dir = await ensureDirectoryInside(raw, [SCAN_INFO_DIR], false, 'scan_info.scan_name');
    return lstat(dir).then((s) => (s.isDirectory() ? dir : undefined), () => undefined);
  }

  async checkWritable(beamline: string, pgroup: string, scanName: string): Promise<void> {
    const dir = await this.dir(beamline, pgroup);
    if (dir === undefined) return; // made at the first append
    const stats = await lstat(join(dir, scanFileName(scanName))).catch(() => undefined);
    if (stats && !stats.isFile()) {
      throw new RequestRefused('scan_info.scan_name', `scan_info: ${SCAN_INFO_DIR}/${scanFileName(scanName)} is ${stats.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; the broker will not write through it`);
    }
  }
}
