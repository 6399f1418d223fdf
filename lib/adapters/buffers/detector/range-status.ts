/**
 * Is a pulse range [start, stop] of the detector buffer readable now?
 *
 * Rules (choices; the original only waited a fixed 10 s):
 * - Each enabled module is judged from its folder listing (oldest and newest
 *   file, the newest file's mtime); LATEST is not read, as the facility's
 *   retrieval never reads it (it lags a whole file behind the writer).
 * - Expired (throws RangeExpired('detector')): every enabled module that has
 *   files has only files newer than the range (oldest file starts after the
 *   file holding `stop`). Files absent for part of the range are normal at
 *   the edge of retention: that range is still 'available', flagged
 *   `partiallyExpired`, and its slots read as missing.
 * - Not yet written (caller waits and asks again): some module is running (its
 *   newest file changed within `idleAfterMs`, default 30 s, the original's rule
 *   for "module running") and has not passed `stop` yet. A module has passed
 *   stop when its newest file is a later file than stop's, or when stop's slot
 *   in it holds stop. A stopped module is not waited for: its frames are missing.
 *   A detector with no files at all is 'not-yet-written' (it may be starting);
 *   the caller's deadline ends the wait.
 * - Otherwise available.
 * - No folder for the detector under root: BufferUnavailable (transient: an
 *   unmounted buffer looks the same; a misspelt detector fails once the
 *   retries are spent, with a message naming the folder).
 */
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { BufferUnavailable, RangeExpired } from '../../../core/errors';
import { fileStartPulseId, moduleDir, SLOT_HEADER_BYTES, slotIndex, slotOffset } from './layout';
import { listModule, type ModuleListing } from './module-listing';
import { decodeSlotHeader } from './slot';

export interface ProbeOptions {
  disabledModules?: number[];
  /** A module whose newest file is older than this is not running. Default 30,000 ms. */
  idleAfterMs?: number;
  /** Clock for the idle rule, ms since 1970. */
  now?: () => number;
}

export interface ModuleRangeState extends ModuleListing {
  index: number;
  running: boolean;
  /** The module has written up to stop (or moved past it). */
  passedStop: boolean;
}

export type DetectorRangeStatus =
  | { state: 'available'; partiallyExpired: boolean; modules: ModuleRangeState[] }
  | { state: 'not-yet-written'; modules: ModuleRangeState[] };

/**
 * @example await probeRange('/buf', 'JF01T03V01', [0, 1, 2], 1000n, 1999n) // { state: 'available', ... }
 */
export async function probeRange(
  root: string,
  detector: string,
  enabled: readonly number[],
  start: bigint,
  stop: bigint,
  options: ProbeOptions = {},
): Promise<DetectorRangeStatus> {
  if (start > stop) throw new RangeError(`pulse range start ${start} is after stop ${stop}`);
  const detectorDir = path.join(root, detector);
  await stat(detectorDir).catch((error: unknown) => {
    throw new BufferUnavailable('detector', `detector ${detector} has no folder in the detector buffer (${detectorDir})`, { cause: error });
  });
  const now = (options.now ?? Date.now)();
  const idleAfterMs = options.idleAfterMs ?? 30_000;
  const modules = await Promise.all(
    enabled.map(async (index): Promise<ModuleRangeState> => {
      const listing = await listModule(moduleDir(root, detector, index));
      const running = listing.newestModifiedMs !== null && now - listing.newestModifiedMs <= idleAfterMs;
      return { index, ...listing, running, passedStop: await passedStop(listing, stop) };
    }),
  );
  const withFiles = modules.filter((m) => m.oldestFileStart !== null);
  if (withFiles.length === 0) return { state: 'not-yet-written', modules };
  const stopFile = fileStartPulseId(stop);
  if (withFiles.every((m) => (m.oldestFileStart as bigint) > stopFile)) throw new RangeExpired('detector');
  if (modules.some((m) => m.running && !m.passedStop)) return { state: 'not-yet-written', modules };
  const startFile = fileStartPulseId(start);
  return { state: 'available', partiallyExpired: withFiles.some((m) => (m.oldestFileStart as bigint) > startFile), modules };
}

async function passedStop(listing: ModuleListing, stop: bigint): Promise<boolean> {
  if (listing.newestFileStart === null || listing.newestFilePath === null) return false;
  const stopFile = fileStartPulseId(stop);
  if (listing.newestFileStart !== stopFile) return listing.newestFileStart > stopFile;
  const head = Buffer.alloc(SLOT_HEADER_BYTES);
  try {
    const handle = await open(listing.newestFilePath, 'r');
    try {
      await handle.read(head, 0, SLOT_HEADER_BYTES, slotOffset(slotIndex(stop)));
    } finally {
      await handle.close();
    }
  } catch {
    return false; // removed or unreadable meanwhile: ask again later
  }
  const header = decodeSlotHeader(head, 0);
  return header !== undefined && header.pulseId >= stop;
}
