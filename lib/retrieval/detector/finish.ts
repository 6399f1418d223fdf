/**
 * The finishing step of a detector, after all its parts ran: either every
 * part is done and the scientist's file is put in place under its final name
 * (the skeleton renamed; or a file over the parts assembled, then renamed),
 * or some part failed for good and the source fails naming that part's pulse
 * range, with every temporary file removed. No half-written file ever has a
 * final name: the rename is the last step, after every part fsync'd its
 * bytes. Idempotent: a finished detector (no work folder, final file there)
 * is reported done again.
 */
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { moduleFolderName } from '../../adapters/buffers/detector';
import { assembleConvertedFile } from '../../adapters/hdf5/detector/converted-files';
import { assembleRawFile, type PartRef } from '../../adapters/hdf5/detector/raw-files';
import { partFileName, partsDir, partsDirName, workDir } from '../../core/detector-files';
import { detectorWork, partRange } from '../../core/detector-work';
import { convertedFileLayout } from '../../core/jungfrau/file-layout';
import type { ResolvedDetectorOptions } from '../../core/jungfrau/options';
import { tempNameOf } from '../output-file';
import { RunLog } from '../run-log';
import type { RetrieverInput, SourceResult } from '../types';
import { attemptsOf, readManifest, readPartRecord, type DetectorManifest, type ModuleCounts, type PartRecord } from './manifest';

/** What the state machine's Map said about a part (absent parts: not run). */
export interface PartOutcome {
  part: number;
  state: SourceResult['state'];
  reason?: string;
}

/** What a detector retrieval did, for the run's status and the log. */
export interface DetectorCounts {
  /** Pulses asked for (rows of the raw file). */
  requested: number;
  frames_written: number;
  good_frames: number;
  bad_frames: number;
  /** Frames of the converted file, when converting. */
  converted_frames?: number;
  /** Module folder indexes in the image, in order. */
  enabled_modules: number[];
  /** Per module folder (`M00`, ...): good, bad-packets, missing, stale slots. */
  modules: Record<string, ModuleCounts>;
  /** Pixel bytes of raw frames (1 MB = 10^6 bytes); MB/s over the parts' own copy time, summed. */
  bytes: number;
  mb_per_s: number;
  /** Parts, and attempts beyond the first. */
  parts: number;
  retries: number;
  /** Seconds the parts spent waiting for the buffer and copying, summed. */
  waited_s: number;
  copy_s: number;
}

export interface DetectorSourceResult extends SourceResult {
  kind: 'detector';
  counts?: DetectorCounts;
}

/**
 * @example
 *   const r = await finishDetector({ ...run, source: 'JF07T32V01' }, mapResults, '/sf');
 *   r.state // 'done' | 'done_with_problems' | 'failed'
 */
export async function finishDetector(input: RetrieverInput, outcomes: readonly PartOutcome[] | undefined, dataRoot: string): Promise<DetectorSourceResult> {
  const detector = input.source;
  const file = input.files[detector] ?? '';
  const base: DetectorSourceResult = { source: detector, kind: 'detector', file, state: 'pending' };
  const log = await RunLog.open(dataRoot, input, detector);
  const work = workDir(file);
  const manifest = await readManifest(work);
  if (!manifest) {
    const exists = await stat(file).then(() => true, () => false);
    if (exists) return { ...base, state: 'done' }; // finished by an earlier attempt of this step
    const reason = outcomes?.find((o) => o.state === 'failed')?.reason ?? 'the detector was not prepared (see the log)';
    await log.line(`failed: ${reason}`);
    return { ...base, state: 'failed', reason };
  }
  const w = detectorWork(input.request, detector, { itemBytes: Number.MAX_SAFE_INTEGER });
  const records: Array<PartRecord | undefined> = [];
  const attempts: number[] = [];
  for (let p = 0; p < manifest.parts; p++) {
    records.push(await readPartRecord(work, p));
    attempts.push(await attemptsOf(work, p));
  }
  const failed: string[] = [];
  for (let p = 0; p < manifest.parts; p++) {
    const record = records[p];
    const outcome = outcomes?.find((o) => o.part === p);
    if (record && record.state !== 'failed' && (!outcome || outcome.state !== 'failed')) continue;
    const r = manifest.frames > 0 ? partRange({ frames: manifest.frames, parts: manifest.parts, pulses: w.pulses }, p) : undefined;
    const where = r ? ` (frames ${r.first}..${r.first + r.count - 1}, pulse ids ${r.firstPulse}..${r.lastPulse})` : '';
    const why = record?.reason ?? outcome?.reason ?? (outcome ? 'the part was not completed' : 'the part never reported');
    failed.push(`part ${p} of ${manifest.parts}${where} failed after ${attempts[p]} attempt${attempts[p] === 1 ? '' : 's'}: ${why}`);
  }
  const counts = sumCounts(manifest, records, attempts);
  if (failed.length > 0) {
    await cleanUp(manifest, work, true);
    const reason = failed.length === 1 ? failed[0]! : `${failed[0]} (and ${failed.length - 1} more part${failed.length === 2 ? '' : 's'} failed)`;
    await log.lines([...failed.map((f) => `failed: ${f}`), 'nothing was kept: the temporary files are removed']);
    return manifest.parts === 1 && records[0]?.reason && failed.length === 1 ? { ...base, state: 'failed', reason: records[0].reason } : { ...base, state: 'failed', reason };
  }

  let state: SourceResult['state'] = counts.bad_frames > 0 ? 'done_with_problems' : 'done';
  let reason = counts.bad_frames > 0 ? `${counts.bad_frames} of ${counts.frames_written} frames are bad (a module frame missing, stale or incomplete)` : undefined;
  const lines: string[] = [];
  // The raw frames.
  if (manifest.raw.mode === 'skeleton') {
    await rename(tempNameOf(manifest.raw.file), manifest.raw.file);
  } else if (!manifest.converted) {
    await placeParts(manifest, records, (parts, temp) => assembleRawFile(temp, { detector, modules: manifest.enabled.length, parts }));
  }
  // The converted file.
  if (manifest.converted) {
    const kept = records.reduce((s, r) => s + (r?.counts?.kept_frames ?? 0), 0);
    counts.converted_frames = kept;
    if (kept === 0) {
      state = 'done_with_problems';
      reason = 'no frame left to convert (every frame bad or not selected): no converted file, the raw file is kept';
      lines.push(`${reason} (${manifest.raw.file})`);
    } else {
      const layout = layoutOf(w.processing.converted!);
      await placeParts(manifest, records, (parts, temp) => assembleConvertedFile(temp, layout, detector, parts), (r) => r?.counts?.kept_frames ?? 0);
      lines.push(`converted ${kept} of ${counts.frames_written} frames into ${manifest.file}`);
      if (!manifest.converted.keepRawFile) {
        await rm(manifest.raw.file, { force: true });
        lines.push(`raw file removed (remove_raw_files): ${manifest.raw.file}`);
      } else {
        lines.push(`raw frames in ${manifest.raw.file}`);
      }
    }
  }
  await cleanUp(manifest, work, false);
  await log.lines([...describeCounts(counts, manifest), ...lines]);
  return { ...base, state, ...(reason ? { reason } : {}), counts };
}

/**
 * Put the parts' result under the run's file name: the one part renamed, or
 * a file assembled over them (temp name, fsync, rename). Parts without a
 * frame are left out (and removed).
 */
async function placeParts(manifest: DetectorManifest, records: Array<PartRecord | undefined>, assemble: (parts: PartRef[], temp: string) => Promise<void>, framesOf: (r: PartRecord | undefined) => number = (r) => r?.counts?.frames_written ?? 0): Promise<void> {
  const paths = records.map((r, p) => r?.partFile ?? join(manifest.partsDir, partFileName(p)));
  if (manifest.parts === 1) {
    await rename(paths[0]!, manifest.file);
    return;
  }
  const refs = paths.map((path, p) => ({ path, relative: `${partsDirName(manifest.file)}/${basename(path)}`, frames: framesOf(records[p]) }));
  for (const ref of refs) if (ref.frames === 0) await rm(ref.path, { force: true });
  const temp = tempNameOf(manifest.file);
  await assemble(refs.filter((r) => r.frames > 0), temp);
  const handle = await open(temp, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, manifest.file);
}

/** The converted file's datasets (paths, dtypes, shapes) without the converter: the values are copied from part 0. */
function layoutOf(resolved: ResolvedDetectorOptions) {
  const images = resolved.outputs.map((o) => ({ ...o, pixelMask: new Uint8Array(0), pixelMaskReasons: new Uint32Array(0), goodPixelsFraction: 0 }));
  return convertedFileLayout(resolved, { images, moduleMap: new Int32Array(resolved.modules) }, 0);
}

/** Remove the work folder and temp names; on failure also everything the parts wrote. */
async function cleanUp(manifest: DetectorManifest, work: string, failed: boolean): Promise<void> {
  if (failed) {
    await rm(tempNameOf(manifest.raw.file), { force: true });
    await rm(tempNameOf(manifest.file), { force: true });
    await rm(partsDir(manifest.file), { recursive: true, force: true });
  } else if (manifest.partsDir !== work) {
    // Abandoned attempts' temp files in the parts folder (a part killed while writing).
    for (const name of await readdir(manifest.partsDir).catch(() => [] as string[])) {
      if (name.endsWith('.partial')) await rm(join(manifest.partsDir, name), { force: true });
    }
  }
  await rm(work, { recursive: true, force: true });
}

function sumCounts(manifest: DetectorManifest, records: Array<PartRecord | undefined>, attempts: number[]): DetectorCounts {
  const modules: Record<string, ModuleCounts> = Object.fromEntries(manifest.enabled.map((m) => [moduleFolderName(m), { good: 0, 'bad-packets': 0, missing: 0, stale: 0 }]));
  const c: DetectorCounts = {
    requested: manifest.frames, frames_written: 0, good_frames: 0, bad_frames: 0, enabled_modules: manifest.enabled, modules,
    bytes: 0, mb_per_s: 0, parts: manifest.parts, retries: attempts.reduce((s, a) => s + Math.max(0, a - 1), 0), waited_s: 0, copy_s: 0,
  };
  for (const r of records) {
    const k = r?.counts;
    if (!k) continue;
    c.frames_written += k.frames_written;
    c.good_frames += k.good_frames;
    c.bad_frames += k.bad_frames;
    c.bytes += k.bytes;
    c.waited_s += k.waited_s;
    c.copy_s += k.copy_s;
    for (const [m, n] of Object.entries(k.modules)) {
      const into = (modules[m] ??= { good: 0, 'bad-packets': 0, missing: 0, stale: 0 });
      for (const s of Object.keys(n) as Array<keyof ModuleCounts>) into[s] += n[s];
    }
  }
  c.mb_per_s = c.copy_s > 0 ? c.bytes / 1e6 / c.copy_s : 0;
  return c;
}

function describeCounts(c: DetectorCounts, manifest: DetectorManifest): string[] {
  return [
    `wrote ${c.frames_written} frames to ${manifest.raw.file}: ${c.good_frames} good, ${c.bad_frames} bad, in ${c.parts} part${c.parts === 1 ? '' : 's'}${c.retries > 0 ? ` (${c.retries} part attempt${c.retries === 1 ? '' : 's'} retried)` : ''}`,
    ...Object.entries(c.modules).map(([m, n]) => `  ${m}: ${n.good} good, ${n['bad-packets']} bad packets, ${n.missing} missing, ${n.stale} stale`),
    `${(c.bytes / 1e6).toFixed(1)} MB of pixels in ${c.copy_s.toFixed(2)} s of part time (${c.mb_per_s.toFixed(0)} MB/s a part), waited ${c.waited_s.toFixed(2)} s for the buffer`,
  ];
}
