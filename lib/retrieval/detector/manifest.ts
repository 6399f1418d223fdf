/**
 * What the Plan decided for one detector, written once into the detector's
 * work folder (`.run_NNNNNN.<DET>.h5.work/manifest.json`) so that every
 * worker and the finishing step agree on it even if the deployment's
 * configuration changes while the run goes on; plus each part's attempts
 * (one line per start) and result (written when the part ends).
 */
import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readRegularFile, writeFileAtomic } from '../../adapters/fs/safe-paths';
import type { RawSkeletonLayout } from '../../adapters/hdf5/detector/raw-files';
import type { ModuleStatus } from '../../adapters/buffers/detector';

export const MANIFEST_VERSION = 1;

export interface DetectorManifest {
  version: typeof MANIFEST_VERSION;
  detector: string;
  /** The run's file (final name). */
  file: string;
  frames: number;
  parts: number;
  /** Module folder indexes in the image. */
  enabled: number[];
  /** Where the raw frames go, and how: pwrite into a skeleton, or parts assembled at the end. */
  raw: { file: string; mode: 'skeleton'; layout: RawSkeletonLayout } | { file: string; mode: 'parts'; compression: boolean };
  /** Converting: parts of the converted file (its options are the request's, resolved again by each worker). */
  converted?: { compression: boolean; keepRawFile: boolean };
  /** Where the parts go: the visible `run_NNNNNN.<DET>.parts/` when the file is assembled from several, else the work folder. */
  partsDir: string;
  /** When the Plan wrote it (ISO). */
  created: string;
}

/** Per module folder: good, bad-packets, missing, stale slots. */
export type ModuleCounts = Record<ModuleStatus, number>;

/** What one part did (summed by the finishing step for the source's log). */
export interface PartCounts {
  frames_written: number;
  good_frames: number;
  bad_frames: number;
  /** Frames in the converted part (good, selected, pulse picker), when converting. */
  kept_frames?: number;
  modules: Record<string, ModuleCounts>;
  /** Pixel bytes of raw frames read and written. */
  bytes: number;
  /** Bytes written to the part's files (compressed size when compressed). */
  written_bytes: number;
  waited_s: number;
  copy_s: number;
}

export interface PartRecord {
  part: number;
  state: 'done' | 'done_with_problems' | 'failed';
  reason?: string;
  counts?: PartCounts;
  /** The part file (absolute) when the part wrote one. */
  partFile?: string;
  finished: string;
}

export const manifestPath = (work: string) => join(work, 'manifest.json');
const pad = (part: number) => String(part).padStart(4, '0');
export const partRecordPath = (work: string, part: number) => join(work, `part_${pad(part)}.json`);
export const attemptsPath = (work: string, part: number) => join(work, `part_${pad(part)}.attempts`);

/** The manifest, or undefined when the work folder has none (not prepared, or already finished). */
export async function readManifest(work: string): Promise<DetectorManifest | undefined> {
  const text = await readRegularFile(manifestPath(work)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOTDIR') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  const manifest = JSON.parse(text) as DetectorManifest;
  if (manifest.version !== MANIFEST_VERSION) throw new Error(`${manifestPath(work)}: version ${String(manifest.version)}, expected ${MANIFEST_VERSION}`);
  return manifest;
}

export async function writeManifest(work: string, manifest: DetectorManifest): Promise<void> {
  await writeFileAtomic(manifestPath(work), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Note a part's start; returns which attempt this is (1 for the first).
 * @example await startAttempt(work, 3) // 2 when part 3 ran once before
 */
export async function startAttempt(work: string, part: number): Promise<number> {
  await appendFile(attemptsPath(work, part), `${new Date().toISOString()} pid ${process.pid}\n`);
  return attemptsOf(work, part);
}

/** How many times a part was started. */
export async function attemptsOf(work: string, part: number): Promise<number> {
  const text = await readRegularFile(attemptsPath(work, part)).catch(() => undefined);
  return text === undefined ? 0 : text.split('\n').filter((l) => l.trim() !== '').length;
}

export async function writePartRecord(work: string, record: PartRecord): Promise<void> {
  await writeFileAtomic(partRecordPath(work, record.part), `${JSON.stringify(record)}\n`);
}

export async function readPartRecord(work: string, part: number): Promise<PartRecord | undefined> {
  const text = await readRegularFile(partRecordPath(work, part)).catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as PartRecord);
}

/** Leftover temp names of abandoned attempts in a folder (`.<name>.<id>.partial`). */
export async function partialsIn(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith('.') && n.endsWith('.partial')).map((n) => join(dir, n));
}
