/**
 * One work item of a detector: the frames of one pulse range (part), read from
 * the detector buffer and written where the Plan's manifest says, while the
 * next batch is being read (frame-batches.ts). Many parts of one detector run
 * at once, each in its own worker; a part is idempotent (a retry rewrites the
 * same bytes, or a fresh part file under a new temp name), so the workflow
 * retries a killed worker's part alone.
 *
 * Outcome: `done` / `done_with_problems` (bad frames) recorded in the work
 * folder for the finishing step, or `failed` with a reason; a transient buffer
 * fault (BufferUnavailable) is thrown after the worker's own retries, for the
 * workflow's Retry.
 */
import { availableParallelism } from 'node:os';
import { MODULE_PIXEL_BYTES, moduleFolderName, type ModuleStatus } from '../../adapters/buffers/detector';
import { FrameBatchReader } from '../../adapters/buffers/detector/frame-batches';
import { CompressorPool } from '../../adapters/hdf5/engine';
import { detectorWork, partRange, pulseAt, type PartRange } from '../../core/detector-work';
import { partFileName, workDir } from '../../core/detector-files';
import { BufferUnavailable } from '../../core/errors';
import { convertedFileLayout } from '../../core/jungfrau/file-layout';
import { tempNameOf } from '../output-file';
import { RunLog } from '../run-log';
import type { BufferEndpoints, ProgressSink, RetrieverInput } from '../types';
import { calibrationFiles, converterFor, firstGoodDaqRec, highGainOf } from './conversion';
import { readManifest, startAttempt, writePartRecord, type DetectorManifest, type ModuleCounts, type PartCounts, type PartRecord } from './manifest';
import { ConvertedPartSink, RawPartSink, RawSkeletonSink, type Sink } from './sinks';
import { SourceFailed, waitForRange } from './wait';

export interface PartOptions {
  /** Pause between probes while the buffer has not written the range yet (default 1000 ms). */
  pollMs?: number;
  now?: () => number;
  progress?: ProgressSink;
  /** Frames per read batch (default: 32 MiB of frames). */
  batchFrames?: number;
}

export interface PartResult extends PartRecord {
  source: string;
}

const DEFAULT_POLL_MS = 1_000;

let sharedPool: Promise<CompressorPool> | undefined;
/** The compressor pool of this process (one thread per core), kept for the next part of a warm worker. */
export function compressorPool(): Promise<CompressorPool> {
  sharedPool ??= CompressorPool.create({ threads: availableParallelism() }).catch((error: unknown) => {
    sharedPool = undefined;
    throw error;
  });
  return sharedPool;
}

/**
 * Retrieve part `part` of detector `input.source`.
 *
 * @example
 *   const r = await retrieveDetectorPart({ ...workflowInput, source: 'JF07T32V01' }, 3, endpoints, '/sf');
 *   r.state // 'done' | 'done_with_problems' | 'failed'
 */
export async function retrieveDetectorPart(input: RetrieverInput, part: number, endpoints: BufferEndpoints, dataRoot: string, options: PartOptions = {}): Promise<PartResult> {
  const now = options.now ?? Date.now;
  const deadline = now() + endpoints.deadlineMs;
  const detector = input.source;
  const file = input.files[detector] ?? '';
  const work = workDir(file);
  const prefix = `part ${part}: `;
  const result = (record: Omit<PartRecord, 'finished' | 'part'>): PartResult => ({ source: detector, part, ...record, finished: new Date(now()).toISOString() });
  let log: RunLog | undefined;
  let sink: Sink | undefined;
  let range: PartRange | undefined;
  try {
    log = await RunLog.open(dataRoot, input, detector);
    const manifest = await readManifest(work);
    if (!manifest) throw new SourceFailed(`the detector's files were not prepared (no ${work}/manifest.json: see the lines of the Plan above)`);
    const attempt = await startAttempt(work, part);
    const w = detectorWork(input.request, detector, { itemBytes: Number.MAX_SAFE_INTEGER });
    if (w.frames !== manifest.frames) throw new SourceFailed(`the run asks for ${w.frames} frames, the prepared file holds ${manifest.frames}`);
    if (w.frames === 0) throw new SourceFailed(`no pulse id to retrieve: none of the requested pulses (${input.request.start_pulseid}..${input.request.stop_pulseid}) is divisible by rate_multiplicator ${input.request.rate_multiplicator}`);
    range = partRange({ frames: manifest.frames, parts: manifest.parts, pulses: w.pulses }, part);
    const r = range;
    await log.line(`${prefix}attempt ${attempt} (worker pid ${process.pid}): frames ${r.first}..${r.first + r.count - 1}, pulse ids ${r.firstPulse}..${r.lastPulse}`);
    const disabled = [...Array(w.processing.modules).keys()].filter((m) => !manifest.enabled.includes(m));
    const waitedMs = await waitForRange({
      root: endpoints.detectorBufferRoot, detector, disabled, first: BigInt(r.firstPulse), last: BigInt(r.lastPulse),
      deadline, pollMs: options.pollMs ?? DEFAULT_POLL_MS, retry: endpoints.retry, now, log, prefix,
    });

    const started = performance.now();
    sink = await openSink(manifest, w, r, part, attempt, input, endpoints, dataRoot);
    const counts = emptyCounts(manifest.enabled);
    counts.waited_s = waitedMs / 1000;
    // Plain pwrites (the skeleton alone): bigger batches (64 MiB: longer sequential reads per module file)
    // and one write in flight while the next batch is read and the one after starts (3 buffers). With
    // compression or conversion the CPU is the limit: 32 MiB batches, 2 buffers (peak RSS < 512 MB).
    const plain = sink.overlapWrites === true;
    const frameBytes = manifest.enabled.length * MODULE_PIXEL_BYTES;
    // Converting: 16 MiB batches, as the converter's output arrays (up to 4 x the raw bytes) are sized by them.
    const batchBytes = plain ? 64 << 20 : manifest.converted ? 16 << 20 : 32 << 20;
    const batchFrames = options.batchFrames ?? Math.max(1, Math.floor(batchBytes / frameBytes));
    const reader = new FrameBatchReader({ root: endpoints.detectorBufferRoot, detector, modules: manifest.enabled, batchFrames, buffers: plain ? 3 : 2 });
    const names = manifest.enabled.map(moduleFolderName);
    const ids = (function* () {
      for (let i = r.first; i < r.first + r.count; i++) yield BigInt(pulseAt(w.pulses, i));
    })();
    let writing: Promise<void> | undefined;
    for await (const batch of reader.read(ids)) {
      if (now() > deadline) throw new SourceFailed(`did not finish before the deadline: ${counts.frames_written} of ${r.count} frames written`);
      const current = sink.write(batch);
      if (plain) {
        // The previous batch's write must end before the reader refills its buffer (next iteration).
        current.catch(() => undefined);
        await writing;
        writing = current;
      } else {
        await current;
      }
      for (const f of batch.frames) {
        f.modules.forEach((status: ModuleStatus, k) => (counts.modules[names[k]!]![status] += 1));
        if (f.isGoodFrame) counts.good_frames += 1;
        else counts.bad_frames += 1;
      }
      counts.frames_written += batch.frames.length;
      options.progress?.({ pulses_written: counts.frames_written, pulses_expected: r.count, bytes_written: counts.frames_written * reader.frameBytes, items_total: manifest.parts });
    }
    await writing;
    if (counts.frames_written !== r.count) throw new Error(`internal: ${counts.frames_written} frames read for ${r.count} pulses`);
    const finished = await sink.finish();
    sink = undefined;
    counts.bytes = counts.frames_written * reader.frameBytes;
    counts.written_bytes = finished.writtenBytes;
    if (finished.keptFrames !== undefined) counts.kept_frames = finished.keptFrames;
    counts.copy_s = (performance.now() - started) / 1000;
    const record = result({
      state: counts.bad_frames > 0 ? 'done_with_problems' : 'done',
      counts,
      ...(finished.partFile ? { partFile: finished.partFile } : {}),
      ...(counts.bad_frames > 0 ? { reason: `${counts.bad_frames} of ${counts.frames_written} frames are bad` } : {}),
    });
    await writePartRecord(work, record);
    await log.line(`${prefix}wrote ${counts.frames_written} frames (${counts.good_frames} good, ${counts.bad_frames} bad${counts.kept_frames !== undefined ? `, ${counts.kept_frames} converted` : ''}) in ${counts.copy_s.toFixed(2)} s (${(counts.bytes / 1e6 / Math.max(counts.copy_s, 1e-9)).toFixed(0)} MB/s)`);
    return record;
  } catch (error) {
    await sink?.abandon().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof BufferUnavailable) {
      // Transient after this attempt's own retries: the workflow's Retry runs the part again later.
      await log?.line(`${prefix}attempt failed: ${reason}; the workflow will retry`).catch(() => undefined);
      throw error;
    }
    const where = range ? ` (frames ${range.first}..${range.first + range.count - 1}, pulse ids ${range.firstPulse}..${range.lastPulse})` : '';
    await log?.line(`${prefix}failed${where}: ${reason}`).catch(() => undefined);
    const record = result({ state: 'failed', reason });
    await writePartRecord(work, record).catch(() => undefined);
    return record;
  }
}

function emptyCounts(enabled: readonly number[]): PartCounts {
  return {
    frames_written: 0, good_frames: 0, bad_frames: 0,
    modules: Object.fromEntries(enabled.map((m) => [moduleFolderName(m), { good: 0, 'bad-packets': 0, missing: 0, stale: 0 } satisfies ModuleCounts])),
    bytes: 0, written_bytes: 0, waited_s: 0, copy_s: 0,
  };
}

/** The sinks of this part: the raw frames (skeleton or part file), plus the converted part when converting. */
async function openSink(manifest: DetectorManifest, w: ReturnType<typeof detectorWork>, r: PartRange, part: number, attempt: number, input: RetrieverInput, endpoints: BufferEndpoints, dataRoot: string): Promise<Sink> {
  const sinks: Sink[] = [];
  try {
    const raw = manifest.raw;
    if (raw.mode === 'skeleton') {
      sinks.push(await RawSkeletonSink.open(tempNameOf(raw.file), raw.layout, r.first, r.count, attempt === 1));
    } else {
      const pool = raw.compression ? await compressorPool() : undefined;
      sinks.push(await RawPartSink.create(manifest.partsDir, partFileName(part), { detector: manifest.detector, modules: manifest.enabled.length, frames: r.count, compression: raw.compression }, pool));
    }
    const resolved = w.processing.converted;
    if (manifest.converted && resolved) {
      const files = resolved.conversion ? await calibrationFiles(dataRoot, manifest.detector, input.request_time_ms) : undefined;
      const highgain = highGainOf(await firstGoodDaqRec(endpoints.detectorBufferRoot, manifest.detector, manifest.enabled, w.pulses, r.first + r.count - 1));
      const converter = await converterFor(resolved, files, highgain, manifest.enabled);
      const layout = convertedFileLayout(resolved, converter, 0);
      const pool = resolved.compression ? await compressorPool() : undefined;
      sinks.push(await ConvertedPartSink.create(manifest.partsDir, partFileName(part), layout, manifest.detector, converter, { ppickerEventsOnly: resolved.ppickerEventsOnly }, pool));
    }
  } catch (error) {
    await Promise.all(sinks.map((s) => s.abandon().catch(() => undefined)));
    throw error;
  }
  return sinks.length === 1 ? sinks[0]! : both(sinks);
}

/** Raw and converted at once: each batch goes to both (the raw write overlaps the conversion). */
function both(sinks: Sink[]): Sink {
  return {
    async write(batch) {
      await Promise.all(sinks.map((s) => s.write(batch)));
    },
    async finish() {
      const done = await Promise.all(sinks.map((s) => s.finish()));
      const converted = done.find((d) => d.keptFrames !== undefined);
      return { writtenBytes: done.reduce((s, d) => s + d.writtenBytes, 0), ...(converted?.partFile ? { partFile: converted.partFile } : {}), ...(converted?.keptFrames !== undefined ? { keptFrames: converted.keptFrames } : {}) };
    },
    async abandon() {
      await Promise.all(sinks.map((s) => s.abandon()));
    },
  };
}
