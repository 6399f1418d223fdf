/**
 * The detector branch of a run: Jungfrau frames from the detector buffer ->
 * `run_NNNNNN.<DET>.h5` (sf_writer's layout, or the converted layout) plus
 * `raw/.daq/run_NNNNNN.<DET>.log`.
 *
 * In the workflow a detector is split into parts that run in parallel
 * (lib/retrieval/detector/: prepare in the Plan, one worker per part, the
 * finishing step assembles the file). `retrieveDetector` runs the same three
 * steps in one process, the parts one after the other: for tools, tests and
 * benchmarks, and for a RetrieveSource item of an execution planned before
 * detectors were split.
 *
 * Frame logic is ours (buffers.md, "Ours"): pulse_id is the requested id on
 * every row; is_good_frame is 1 only when every enabled module holds that
 * pulse with 128 packets; frame_index and daq_rec come from the first good
 * module; missing or stale module frames are zeros, counted per module in the
 * log; a missing buffer file never aborts the run. A transient fault
 * (BufferUnavailable) is retried, then thrown for the workflow's Retry; every
 * other failure is a `failed` result; bad frames make the source
 * `done_with_problems` (the check says the same).
 */
import { prepareDetector } from './detector/prepare';
import { retrieveDetectorPart } from './detector/part';
import { finishDetector, type DetectorSourceResult } from './detector/finish';
import { SourceFailed } from './detector/wait';
import { RunLog } from './run-log';
import type { BufferEndpoints, ProgressSink, RetrieverInput } from './types';

export type { DetectorCounts, DetectorSourceResult } from './detector/finish';

/** Knobs for tests and tuning; the defaults are for production. */
export interface DetectorRetrieverOptions {
  /** Pause between probes while the buffer has not written the range yet (default 1000 ms). */
  pollMs?: number;
  /** Wall clock in ms (default Date.now), also handed to the probe's "module running" rule. */
  now?: () => number;
  /** Where frames written so far are reported (per batch of frames, summed over the parts). */
  progress?: ProgressSink;
  /** Split into parts of at most this many bytes (default: one part). */
  itemBytes?: number;
  /** Frames per read batch (default: 32 MiB of frames). */
  batchFrames?: number;
}

/**
 * Retrieve one detector of a run into `input.files[<DET>]`, in this process.
 *
 * @example
 *   const result = await retrieveDetector({ ...workflowInput, source: 'JF01T03V01' }, endpoints, '/sf');
 *   result.state  // 'done' | 'done_with_problems' | 'failed'
 *   result.counts // { frames_written: 1001, bad_frames: 0, modules: { M00: { good: 1001, ... } }, mb_per_s: ... }
 */
export async function retrieveDetector(input: RetrieverInput, endpoints: BufferEndpoints, dataRoot: string, options: DetectorRetrieverOptions = {}): Promise<DetectorSourceResult> {
  const detector = input.source;
  const file = input.files[detector] ?? '';
  let parts: number;
  try {
    if (input.request.detectors[detector] === undefined) throw new SourceFailed(`detector ${detector} is not in the run's request`);
    if (input.files[detector] === undefined) throw new SourceFailed(`the run has no output file for detector ${detector}`);
    ({ parts } = await prepareDetector(input, dataRoot, { itemBytes: options.itemBytes ?? Number.MAX_SAFE_INTEGER }));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    await (await RunLog.open(dataRoot, input, detector)).line(`failed: ${reason}`).catch(() => undefined);
    return { source: detector, kind: 'detector', file, state: 'failed', reason };
  }
  const done: number[] = [];
  for (let part = 0; part < parts; part++) {
    const progress: ProgressSink | undefined = options.progress
      ? (p) => options.progress!({ ...p, pulses_written: done.reduce((s, n) => s + n, 0) + p.pulses_written, pulses_expected: p.pulses_expected, items_done: part, items_total: parts })
      : undefined;
    const r = await retrieveDetectorPart(input, part, endpoints, dataRoot, { ...options, ...(progress ? { progress } : {}) });
    done.push(r.counts?.frames_written ?? 0);
    if (r.state === 'failed') break; // the finishing step fails the detector naming this part
  }
  return finishDetector(input, undefined, dataRoot);
}
