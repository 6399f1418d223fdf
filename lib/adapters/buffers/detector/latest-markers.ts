import { stat } from 'node:fs/promises';
import type { ModuleMarkers } from '../../../core/detectors/ports';
import { latestFilePath } from './layout';

/**
 * The age of each module's `LATEST` marker in the detector buffer (the buffer
 * writer rewrites it every time it moves to a new file: every 10 s at 100 Hz).
 *
 * @example await new LatestMarkers('/gpfs/photonics/swissfel/buffer').latestAges('JF01T03V01', 3) // [2.1, 2.1, undefined]
 */
export class LatestMarkers implements ModuleMarkers {
  constructor(private readonly root: string, private readonly now: () => Date = () => new Date()) {}

  async latestAges(detector: string, modules: number): Promise<Array<number | undefined>> {
    const nowMs = this.now().getTime();
    return Promise.all(
      [...Array(modules).keys()].map(async (m) => {
        const stats = await stat(latestFilePath(this.root, detector, m)).catch(() => undefined);
        return stats?.isFile() ? Math.max(0, (nowMs - stats.mtimeMs) / 1000) : undefined;
      }),
    );
  }
}
