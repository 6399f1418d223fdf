/**
 * The detector branch of a run: Jungfrau frames from the detector buffer ->
 * `run_NNNNNN.<DET>.h5` (sf_writer's layout) plus `raw/.daq/run_NNNNNN.<DET>.log`.
 *
 * Frame logic is ours (buffers.md, "Ours", in lib/adapters/buffers/detector/frame.ts):
 * pulse_id is the requested id on every row; is_good_frame is 1 only when every
 * enabled module holds that pulse with 128 packets; frame_index and daq_rec
 * come from the first good module; missing or stale module frames are zeros,
 * counted per module in the log; a missing buffer file never aborts the run.
 *
 * Choices where the spec is silent:
 * - Pulses: `selected_pulse_ids` when given (those divisible by the rate),
 *   else every multiple of the rate in [start, stop] (rate.ts, detectorRange).
 *   None left: the source fails with that reason (an empty file helps nobody).
 * - Waiting: the range is probed first; while a running module has not yet
 *   written the range's last pulse, poll every `pollMs` (1 s) until
 *   `endpoints.deadlineMs` after the retriever started, then fail naming the
 *   modules still behind. The same deadline bounds the copy itself.
 * - A transient fault (BufferUnavailable, e.g. no detector folder: an
 *   unmounted buffer looks the same) is retried with `endpoints.retry`, then
 *   thrown, so the workflow's Retry runs the source again (minutes apart);
 *   every other failure is a `failed` result.
 * - Bad frames make the source `done_with_problems` (the check says the same).
 * - Memory: per enabled module one block of slots, sized so all blocks stay
 *   under `blockBudgetBytes` (64 MiB: 10 slots a module up to 6 modules, 1 slot
 *   for 32), plus one frame in the wasm heap. Measured (4 modules, page cache
 *   hot) bigger blocks were no faster, only bigger: 10 MiB reads are large
 *   enough for any filesystem. Pixels go from the blocks straight into the
 *   writer's heap frame buffer, never through a third copy (see `frameLoop`).
 */
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DetectorBufferReader,
  MODULE_PIXEL_BYTES,
  moduleFolderName,
  pulseIdsOf,
  SLOT_BYTES,
  type DetectorRangeStatus,
  type ModuleStatus,
  type PulseRange,
} from '../adapters/buffers/detector';
import { readBatches } from '../adapters/buffers/detector/batches';
import { assembleFrame } from '../adapters/buffers/detector/frame';
import { ModuleCursor } from '../adapters/buffers/detector/module-cursor';
import { withRetry } from '../adapters/buffers/retry';
import { DetectorFileWriter } from '../adapters/hdf5';
import { BufferUnavailable, RangeExpired } from '../core/errors';
import type { DetectorOptions } from '../core/run-request';
import { writeOutputAtomically } from './output-file';
import { detectorRange } from '../core/rate';
import { RunLog } from './run-log';
import type { BufferEndpoints, ProgressSink, RetrieverInput, SourceResult } from './types';

/** Per enabled module: what its slots held for the requested pulses. */
export type ModuleCounts = Record<ModuleStatus, number>;

/** What a detector retrieval did, for the run's status and the log. */
export interface DetectorCounts {
  /** Pulses asked for (rows of the file). */
  requested: number;
  frames_written: number;
  /** Frames with is_good_frame 1 / 0. */
  good_frames: number;
  bad_frames: number;
  /** Module folder indexes in the image, in order. */
  enabled_modules: number[];
  /** Per module folder (`M00`, ...): good, bad-packets, missing, stale slots. */
  modules: Record<string, ModuleCounts>;
  /** Pixel bytes written (uncompressed), MB/s over the copy, fsync included (1 MB = 10^6 bytes). */
  bytes: number;
  mb_per_s: number;
  /** Seconds spent waiting for the buffer, and copying. */
  waited_s: number;
  copy_s: number;
}

/** A detector's SourceResult; `counts` is present once the copy has begun. */
export interface DetectorSourceResult extends SourceResult {
  kind: 'detector';
  counts?: DetectorCounts;
}

/** Knobs for tests and tuning; the defaults are for production. */
export interface DetectorRetrieverOptions {
  /** Pause between probes while the buffer has not written the range yet (default 1000 ms). */
  pollMs?: number;
  /** Upper bound of all module block buffers together (default 64 MiB). */
  blockBudgetBytes?: number;
  /** Wall clock in ms (default Date.now), also handed to the probe's "module running" rule. */
  now?: () => number;
  /** Where frames written so far are reported (per block of frames). */
  progress?: ProgressSink;
}

const DEFAULT_POLL_MS = 1_000;
const DEFAULT_BLOCK_BUDGET = 64 << 20;
/** Block sizes the reader accepts (divisors of 1000), largest first; 100 is the facility's. */
const BLOCK_SIZES = [100, 50, 40, 25, 20, 10, 8, 5, 4, 2, 1];

/** A reason to give up that is already a sentence for the log and the run's status. */
class SourceFailed extends Error {
  override readonly name = 'SourceFailed';
}

/**
 * Retrieve one detector of a run into `input.files[<DET>]`.
 *
 * @example
 *   const result = await retrieveDetector({ ...workflowInput, source: 'JF01T03V01' }, endpoints, '/sf');
 *   result.state  // 'done' | 'done_with_problems' | 'failed'
 *   result.counts // { frames_written: 1001, bad_frames: 0, modules: { M00: { good: 1001, ... } }, mb_per_s: ... }
 */
export async function retrieveDetector(
  input: RetrieverInput,
  endpoints: BufferEndpoints,
  dataRoot: string,
  options: DetectorRetrieverOptions = {},
): Promise<DetectorSourceResult> {
  const now = options.now ?? Date.now;
  const deadline = now() + endpoints.deadlineMs;
  const detector = input.source;
  const result: DetectorSourceResult = { source: detector, kind: 'detector', file: input.files[detector] ?? '', state: 'pending' };
  let log: RunLog | undefined;
  try {
    log = await RunLog.open(dataRoot, input, detector);
    const job = plan(input, endpoints, options);
    await log.lines(job.describe);
    const waitedMs = await waitForRange(job, endpoints, deadline, options, log);
    const counts = await copyFrames(job, input, dataRoot, deadline, now, options.progress);
    counts.waited_s = waitedMs / 1000;
    result.counts = counts;
    await log.lines(describeCounts(counts, result.file));
    if (counts.bad_frames > 0) {
      return { ...result, state: 'done_with_problems', reason: `${counts.bad_frames} of ${counts.frames_written} frames are bad (a module frame missing, stale or incomplete)` };
    }
    return { ...result, state: 'done' };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof BufferUnavailable) {
      // Transient after this attempt's own retries: the workflow's Retry runs the source again later.
      await log?.line(`attempt failed: ${reason}; the workflow will retry`).catch(() => undefined);
      throw error;
    }
    await log?.line(`failed: ${reason}`).catch(() => undefined);
    return { ...result, state: 'failed', reason };
  }
}

/** Everything decided before touching the buffer. */
interface Job {
  detector: string;
  file: string;
  reader: DetectorBufferReader;
  disabled: number[];
  enabled: number[];
  compression: boolean;
  pulses: bigint[] | PulseRange;
  count: number;
  first: bigint;
  last: bigint;
  blockSlots: number;
  describe: string[];
}

function plan(input: RetrieverInput, endpoints: BufferEndpoints, options: DetectorRetrieverOptions): Job {
  const detector = input.source;
  const file = input.files[detector];
  const asked: DetectorOptions | undefined = input.request.detectors[detector];
  if (asked === undefined) throw new SourceFailed(`detector ${detector} is not in the run's request`);
  if (file === undefined) throw new SourceFailed(`the run has no output file for detector ${detector}`);
  const { start_pulseid: start, stop_pulseid: stop, rate_multiplicator: rate } = input.request;
  const disabled = asked.disabled_modules ?? [];
  // A reader checks the name (JFxxTyyVzz) and the disabled modules against it; the
  // block size, which depends on the enabled count, is fixed at construction.
  const enabled = new DetectorBufferReader({ root: endpoints.detectorBufferRoot, detector }).enabledModules(disabled);
  const blockSlots = blockSlotsFor(enabled.length, options.blockBudgetBytes ?? DEFAULT_BLOCK_BUDGET);
  const reader = new DetectorBufferReader({ root: endpoints.detectorBufferRoot, detector, blockSlots });

  let pulses: Job['pulses'];
  let count: number;
  let first: number;
  let last: number;
  let what: string;
  if (asked.selected_pulse_ids !== undefined) {
    const ids = [...new Set(asked.selected_pulse_ids.filter((p) => p % rate === 0))].sort((a, b) => a - b);
    pulses = ids.map(BigInt);
    count = ids.length;
    first = ids[0] ?? 0;
    last = ids[ids.length - 1] ?? 0;
    const dropped = asked.selected_pulse_ids.length - ids.length;
    what = `${count} selected pulse ids${dropped > 0 ? ` (${dropped} not divisible by rate_multiplicator ${rate} left out)` : ''}`;
  } else {
    const range = detectorRange(start, stop, rate);
    pulses = { start: BigInt(range.first), stop: BigInt(range.last), step: BigInt(rate) };
    ({ count, first, last } = range);
    what = `pulse ids ${range.first}..${range.last} step ${rate}`;
  }
  if (count === 0) {
    throw new SourceFailed(`no pulse id to retrieve: none of the requested pulses (${start}..${stop}${asked.selected_pulse_ids ? ', selected' : ''}) is divisible by rate_multiplicator ${rate}`);
  }
  const compression = asked.compression ?? false;
  return {
    detector, file, reader, disabled, enabled, compression, pulses, count, first: BigInt(first), last: BigInt(last), blockSlots,
    describe: [
      `asked: detector ${detector}, pulses ${start}..${stop} at rate_multiplicator ${rate}: ${count} frames (${what})`,
      `buffer: ${endpoints.detectorBufferRoot}/${detector}; modules enabled ${enabled.map(moduleFolderName).join(',')}` +
        (disabled.length > 0 ? `, disabled ${[...disabled].sort((a, b) => a - b).map(moduleFolderName).join(',')}` : ''),
      `output: ${file} (${compression ? 'bitshuffle+LZ4' : 'uncompressed'}, [${count}, ${enabled.length * 512}, 1024] uint16); read blocks of ${blockSlots} slots`,
    ],
  };
}

/**
 * The largest block the reader accepts that keeps all modules' blocks within budget.
 * @example blockSlotsFor(4, 64 << 20) // 10 (4 x 10 slots = 40 MiB)
 */
export function blockSlotsFor(modules: number, budgetBytes: number): number {
  return BLOCK_SIZES.find((slots) => modules * slots * SLOT_BYTES <= budgetBytes) ?? 1;
}

/** Probe until the range is readable; returns the ms waited. RangeExpired and the deadline end it. */
async function waitForRange(job: Job, endpoints: BufferEndpoints, deadline: number, options: DetectorRetrieverOptions, log: RunLog): Promise<number> {
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const began = now();
  let said = false;
  for (;;) {
    let status: DetectorRangeStatus;
    try {
      status = await withRetry(
        () => job.reader.probe(job.first, job.last, { disabledModules: job.disabled, now }),
        endpoints.retry,
        (error, attempt, delay) => void log.line(`retry ${attempt} in ${delay} ms: ${error.message}`).catch(() => undefined),
      );
    } catch (error) {
      if (error instanceof RangeExpired) throw new SourceFailed(`range expired from the detector buffer (pulses ${job.first}..${job.last} are older than every file the buffer keeps)`);
      throw error;
    }
    if (status.state === 'available') {
      if (status.partiallyExpired) await log.line('part of the range is older than the buffer keeps: those frames read as missing');
      return now() - began;
    }
    const behind = status.modules.filter((m) => m.oldestFileStart === null || (m.running && !m.passedStop));
    const who = behind.map((m) => `${moduleFolderName(m.index)}${m.newestFileStart === null ? ' (no file yet)' : ` (at file ${m.newestFileStart})`}`).join(', ');
    if (now() + pollMs > deadline) {
      throw new SourceFailed(`the detector buffer has not written pulses up to ${job.last} within ${((now() - began) / 1000).toFixed(1)} s (waiting for ${who || 'the detector to start'})`);
    }
    if (!said) await log.line(`waiting: the buffer has not yet written up to pulse ${job.last} (${who || 'no file yet'})`);
    said = true;
    await sleep(pollMs);
  }
}

/** Copy every frame into the output (written under a temp name, renamed when complete). */
async function copyFrames(job: Job, input: RetrieverInput, dataRoot: string, deadline: number, now: () => number, progress?: ProgressSink): Promise<DetectorCounts> {
  const counts: DetectorCounts = {
    requested: job.count, frames_written: 0, good_frames: 0, bad_frames: 0, enabled_modules: job.enabled,
    modules: Object.fromEntries(job.enabled.map((m) => [moduleFolderName(m), { good: 0, 'bad-packets': 0, missing: 0, stale: 0 }])),
    bytes: 0, mb_per_s: 0, waited_s: 0, copy_s: 0,
  };
  const t0 = performance.now();
  await writeOutputAtomically(dataRoot, input, job.file, async (temp) => {
    const writer = await DetectorFileWriter.create(temp, { detector: job.detector, modules: job.enabled.length, frames: job.count, compression: job.compression });
    let ok = false;
    try {
      await frameLoop(job, writer, counts, deadline, now, progress);
      ok = true;
    } finally {
      if (ok) writer.close();
      else closeQuietly(writer);
    }
    await syncFile(temp);
  });
  counts.copy_s = (performance.now() - t0) / 1000;
  counts.mb_per_s = counts.copy_s > 0 ? counts.bytes / 1e6 / counts.copy_s : 0;
  return counts;
}

/**
 * The reader's own loop (DetectorBufferReader.readFrames), but assembling each
 * frame directly in the writer's wasm-heap frame buffer: one copy of the pixels
 * (block -> heap) instead of two (block -> frame -> heap). Block reads of all
 * modules run in parallel, as in the reader.
 */
async function frameLoop(job: Job, writer: DetectorFileWriter, counts: DetectorCounts, deadline: number, now: () => number, progress?: ProgressSink): Promise<void> {
  const cursors = job.enabled.map((m) => new ModuleCursor(job.reader.root, job.detector, m, Buffer.allocUnsafe(job.blockSlots * SLOT_BYTES)));
  const names = job.enabled.map(moduleFolderName);
  const frameBytes = job.enabled.length * MODULE_PIXEL_BYTES;
  let i = 0;
  try {
    for (const batch of readBatches(pulseIdsOf(job.pulses), job.blockSlots)) {
      if (now() > deadline) throw new SourceFailed(`retrieval did not finish before the deadline: ${i} of ${job.count} frames written`);
      await Promise.all(cursors.map((c) => c.readBlock(batch.blockStart, batch.runs)));
      for (const [k, pulseId] of batch.pulseIds.entries()) {
        // Asked for again each frame: an HDF5 call may grow the heap and empty the old view.
        const frame = assembleFrame(pulseId, batch.places[k]!, cursors, writer.frameBuffer());
        writer.writeFrame(i, { pixels: frame.pixels, pulseId, frameIndex: frame.frameIndex, daqRec: frame.daqRec, isGoodFrame: frame.isGoodFrame });
        frame.modules.forEach((m, j) => (counts.modules[names[j]!]![m.status] += 1));
        if (frame.isGoodFrame) counts.good_frames += 1;
        else counts.bad_frames += 1;
        i += 1;
      }
      progress?.({ pulses_written: i, pulses_expected: job.count, bytes_written: i * frameBytes });
    }
  } finally {
    await Promise.all(cursors.map((c) => c.close()));
  }
  counts.frames_written = i;
  counts.bytes = i * frameBytes;
  if (i !== job.count) throw new Error(`internal: ${i} frames read for ${job.count} pulses`);
}

/**
 * Flush the file to disk before it is renamed into place and reported done:
 * without it a crash could leave the final name holding a short file.
 */
async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function closeQuietly(writer: DetectorFileWriter): void {
  try {
    writer.close();
  } catch {
    // already failing: the temp file is removed by writeOutputAtomically
  }
}

function describeCounts(c: DetectorCounts, file: string): string[] {
  return [
    `wrote ${c.frames_written} frames to ${file}: ${c.good_frames} good, ${c.bad_frames} bad`,
    ...Object.entries(c.modules).map(([m, n]) => `  ${m}: ${n.good} good, ${n['bad-packets']} bad packets, ${n.missing} missing, ${n.stale} stale`),
    `${(c.bytes / 1e6).toFixed(1)} MB of pixels in ${c.copy_s.toFixed(2)} s (${c.mb_per_s.toFixed(0)} MB/s), waited ${c.waited_s.toFixed(2)} s for the buffer`,
  ];
}
