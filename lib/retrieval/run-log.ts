import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDirectoryInside } from '../adapters/fs/safe-paths';
import { BOOKKEEPING_DIR, pgroupRawDir, runLabel } from '../core/paths';

/**
 * A retrieval log: `raw/.daq/run_NNNNNN.<SUFFIX>.log`, human-readable lines
 * with a UTC time stamp. Appended (not replaced), so a retried retriever's
 * attempts and the later check's findings all stay in one file.
 *
 * @example
 *   const log = await RunLog.open(dataRoot, input, 'BSREAD');
 *   await log.line('asked 3 channels, pulses 1000..2000 from http://data-buffer');
 */
export class RunLog {
  private constructor(readonly path: string) {}

  static async open(dataRoot: string, run: { beamline: string; pgroup: string; run_number: number }, suffix: string): Promise<RunLog> {
    const daq = await ensureDirectoryInside(pgroupRawDir(dataRoot, run.beamline, run.pgroup), [BOOKKEEPING_DIR], true, 'pgroup');
    return new RunLog(join(daq, `${runLabel(run.run_number)}.${suffix}.log`));
  }

  static pathOf(dataRoot: string, run: { beamline: string; pgroup: string; run_number: number }, suffix: string): string {
    return join(pgroupRawDir(dataRoot, run.beamline, run.pgroup), BOOKKEEPING_DIR, `${runLabel(run.run_number)}.${suffix}.log`);
  }

  async line(text: string): Promise<void> {
    await appendFile(this.path, `${new Date().toISOString()} ${text}\n`, { flag: 'a' });
  }

  async lines(texts: string[]): Promise<void> {
    const stamp = new Date().toISOString();
    await appendFile(this.path, texts.map((t) => `${stamp} ${t}\n`).join(''), { flag: 'a' });
  }
}
