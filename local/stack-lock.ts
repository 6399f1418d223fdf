import { constants } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Why the local stack cannot start, in one line a user can act on (npm start prints it and exits 1). */
export class StackStartError extends Error {
  override readonly name = 'StackStartError';
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Take the state directory for this process: `<stateDir>/stack.pid`,
 * created exclusively. A lock whose process is gone (killed) is taken over;
 * one held by a live process refuses the start. Two stacks on one state
 * directory would share DynamoDB's LevelDB files and resume each other's runs.
 *
 * @example const release = await lockStateDir('.local-state'); ... await release();
 */
export async function lockStateDir(stateDir: string): Promise<() => Promise<void>> {
  await mkdir(stateDir, { recursive: true });
  const path = join(stateDir, 'stack.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new StackStartError(`another stack is using ${stateDir} (process ${holder}); stop it first, or set SFDAQ_STATE_DIR (or SFDAQ_DATA_ROOT) to another directory`);
      }
      await rm(path, { force: true }); // left by a stack that was killed
    }
  }
  throw new StackStartError(`cannot lock ${stateDir}: another stack keeps taking it`);
}

/** Refuse a port another program listens on, before anything is started. Port 0 is always free. */
export async function checkPortFree(port: number, host: string, what = 'the broker'): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE'
        ? new StackStartError(`another program (another stack?) is listening on port ${port} of ${host}; stop it, or set PORT to another port for ${what}`)
        : new StackStartError(`cannot listen on ${host}:${port} for ${what}: ${error.code ?? error.message}`));
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
