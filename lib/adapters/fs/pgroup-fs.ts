import { constants } from 'node:fs';
import { access, lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { RequestRefused } from '../../core/errors';
import { BOOKKEEPING_DIR, CLOSED_MARKER, pgroupRawDir, runLabel, SCAN_INFO_DIR, scanFileName } from '../../core/paths';
import type { PgroupFilesystem, RunRecord } from '../../core/ports';
import { ensureDirectoryInside, readRegularFile, writeFileAtomic } from './safe-paths';
import { KeyedMutex } from './keyed-mutex';

/** The scan file as the 2020 broker wrote it (raw/scan_info/<scan_name>.json). */
export interface ScanFile {
  scan_files: string[][];
  scan_parameters: { Id: unknown; name: unknown; offset: unknown; conversion_factor: unknown };
  scan_readbacks: unknown[];
  scan_step_info: unknown[];
  scan_values: unknown[];
  scan_readbacks_raw: unknown[];
  pulseIds: [number, number][];
}

/**
 * The pgroup filesystem below `<dataRoot>/<beamline>/data/<pgroup>/raw`
 * (EFS on AWS, a local directory in the local stack). Every write goes
 * through safe-paths: nothing lands outside raw/.
 */
export class LocalPgroupFilesystem implements PgroupFilesystem {
  private readonly scanLocks = new KeyedMutex();

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
    if (!stats?.isDirectory()) throw new RequestRefused('pgroup', `pgroup directory ${raw} not reachable (pgroup ${pgroup} does not exist at beamline ${beamline})`);
  }

  async checkPgroupWritable(beamline: string, pgroup: string): Promise<void> {
    await this.checkPgroupExists(beamline, pgroup);
    const raw = this.rawDir(beamline, pgroup);
    let daq: string;
    try {
      daq = await this.daqDir(beamline, pgroup);
    } catch (error) {
      if (error instanceof RequestRefused) throw error;
      throw new RequestRefused('pgroup', `no permission or possibility to make daq directory in pgroup space (${raw}/${BOOKKEEPING_DIR}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    // access(W_OK) is always true for root; also look at the mode bits so a read-only pgroup is refused for everyone.
    for (const dir of [raw, daq]) {
      const mode = (await stat(dir)).mode;
      const writable = await access(dir, constants.W_OK).then(() => true, () => false);
      if (!writable || (mode & 0o222) === 0) {
        throw new RequestRefused('pgroup', `no permission to write in ${dir} (pgroup ${pgroup} is not writable)`);
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

  async appendScanInfo(beamline: string, pgroup: string, scanInfo: Record<string, unknown>, files: string[], range: [number, number]): Promise<string> {
    const dir = await ensureDirectoryInside(this.rawDir(beamline, pgroup), [SCAN_INFO_DIR], true, 'scan_info.scan_name');
    const path = join(dir, scanFileName(String(scanInfo.scan_name)));
    // Requests of one scan arrive close together; serialise read-modify-write per file within this process.
    return this.scanLocks.run(path, async () => {
      const existing = await readRegularFile(path);
      const scan: ScanFile = existing
        ? (JSON.parse(existing) as ScanFile)
        : {
            scan_files: [],
            scan_parameters: {
              Id: scanInfo.motors_pv_name ?? [],
              name: scanInfo.motors_name ?? [],
              offset: scanInfo.motors_offset ?? [],
              conversion_factor: scanInfo.motors_coefficient ?? [],
            },
            scan_readbacks: [],
            scan_step_info: [],
            scan_values: [],
            scan_readbacks_raw: [],
            pulseIds: [],
          };
      scan.scan_readbacks.push(scanInfo.motors_readback_value ?? []);
      scan.scan_values.push(scanInfo.motors_value ?? []);
      scan.scan_readbacks_raw.push(scanInfo.motors_readback_raw ?? []);
      // Step info: the step's own record as the scan software sent it (choice: the whole scan_info of the request).
      scan.scan_step_info.push(scanInfo.step_info ?? scanInfo);
      scan.scan_files.push(files);
      scan.pulseIds.push(range);
      await writeFileAtomic(path, JSON.stringify(scan, null, 2) + '\n');
      return path;
    });
  }
}
