/**
 * The oldest pulse a detector buffer still holds, from its folder listing:
 * what the range check (lib/core/range-check.ts) takes as the detector's
 * `oldestPulseId`, better than a configured retention because the buffer's
 * disk, not a clock, decides what is kept.
 */
import { moduleDir } from './layout';
import { listModule } from './module-listing';

/**
 * The first pulse of the oldest file that every listed module still has
 * (the latest of the modules' oldest files: older pulses are incomplete),
 * or undefined when no module has a file (a detector not running, or a
 * buffer not mounted: then nothing can be said). Lists only the outermost
 * folders of each module (a few readdir calls).
 *
 * @example await oldestDetectorPulse('/gpfs/photonics/swissfel/buffer', 'JF01T03V01', 3) // 18940426000
 */
export async function oldestDetectorPulse(root: string, detector: string, modules: number | readonly number[]): Promise<number | undefined> {
  const indexes = typeof modules === 'number' ? Array.from({ length: modules }, (_, i) => i) : modules;
  const listings = await Promise.all(indexes.map((i) => listModule(moduleDir(root, detector, i))));
  let oldest: bigint | undefined;
  for (const listing of listings) {
    const start = listing.oldestFileStart;
    if (start !== null && (oldest === undefined || start > oldest)) oldest = start;
  }
  return oldest === undefined ? undefined : Number(oldest);
}
