import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
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
    await this.lines([text]);
  }

  async lines(texts: string[]): Promise<void> {
    const stamp = new Date().toISOString();
    // O_NOFOLLOW: a symlink planted at the log's name is never written through.
    const handle = await open(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o664);
    try {
      await handle.write(texts.map((t) => `${stamp} ${t}\n`).join(''));
    } finally {
      await handle.close();
    }
  }
}
