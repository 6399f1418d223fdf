/**
 * What a module folder holds: its oldest and newest buffer file, found by
 * listing folders (`<pulse_id // 100000 * 100000>`) and files (`<first pulse>.bin`).
 * Only the outermost folders are opened, so the cost does not grow with the
 * retention window.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export interface ModuleListing {
  /** First pulse id of the oldest file present, or null when there is none. */
  oldestFileStart: bigint | null;
  /** First pulse id of the newest file present (the one being written, when the module runs). */
  newestFileStart: bigint | null;
  newestFilePath: string | null;
  /** Last modification of the newest file, ms since 1970. */
  newestModifiedMs: number | null;
}

const EMPTY: ModuleListing = { oldestFileStart: null, newestFileStart: null, newestFilePath: null, newestModifiedMs: null };

/**
 * @example await listModule('/buf/JF01T03V01/M00') // { oldestFileStart: 1000n, newestFileStart: 5000n, ... }
 */
export async function listModule(dir: string): Promise<ModuleListing> {
  const folders = (await namesIn(dir, /^\d+$/)).sort(byNumber);
  let oldest: bigint | undefined;
  for (const folder of folders) {
    const files = await fileStartsIn(path.join(dir, folder));
    if (files.length > 0) {
      oldest = files[0];
      break;
    }
  }
  if (oldest === undefined) return EMPTY;
  for (const folder of [...folders].reverse()) {
    const files = await fileStartsIn(path.join(dir, folder));
    const newest = files[files.length - 1];
    if (newest === undefined) continue;
    const newestFilePath = path.join(dir, folder, `${newest}.bin`);
    const modified = await stat(newestFilePath).then((s) => s.mtimeMs, () => null); // deleted meanwhile: unknown
    return { oldestFileStart: oldest, newestFileStart: newest, newestFilePath, newestModifiedMs: modified };
  }
  return EMPTY;
}

async function fileStartsIn(folder: string): Promise<bigint[]> {
  const names = await namesIn(folder, /^\d+\.bin$/);
  return names.map((n) => BigInt(n.slice(0, -4))).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function namesIn(dir: string, pattern: RegExp): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => pattern.test(n));
  } catch (error) {
    // Retention may remove a folder between two listings; an absent folder is an empty one.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function byNumber(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
