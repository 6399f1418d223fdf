/**
 * The pedestal workflow's tasks (statemachine/pedestal.asl.json): follow the
 * pedestal run's retrieval, compute each detector's pedestal from the raw
 * frames, record the outcome. The workflow carries references only
 * (`PedestalRef` + the detector names); every task loads what it needs.
 *
 * The computation streams the raw file block by block into a
 * PedestalAccumulator (sf_daq_broker's create_pedestal_file, jungfrau.md §6):
 * memory is the accumulator's 52 bytes a pixel (plus 48 to finish) and one
 * block of frames, whatever the number of frames.
 */
import { dirname } from 'node:path';
import { NoGoodPixels, PedestalAccumulator, type PedestalResult } from '../jungfrau/pedestal';
import { isFinal, type RunStatus } from '../run-status';
import type { RunRecordStore, RunRef, WorkflowInput } from '../ports';
import { detectorModules } from '../run-request';
import { readableText } from '../failure-reason';
import type { DetectorPedestal, PedestalRef, PedestalStatus, PedestalStore } from './ports';

/** How long the pedestal workflow follows a retrieval that does not finish. */
export const RUN_FOLLOW_LIMIT_MS = 2 * 3600_000;

/** One block of raw frames (lib/adapters/jungfrau-files/raw-frames.ts). */
export interface FrameBlock {
  pixels: Uint16Array;
  count: number;
  isGoodFrame: ArrayLike<number>;
  daqRec: ArrayLike<number>;
}

/** The files a pedestal computation reads and writes. */
export interface PedestalFilesPort {
  /** Stream the raw file's frames; answers the frame count and module count found. */
  readFrames(rawFile: string, detector: string, onBlock: (block: FrameBlock) => void): Promise<{ frames: number; modules: number }>;
  /** The facility's extra mask of the detector (nonzero = bad), if it has one. */
  readExtraMask(detector: string, modules: number): Promise<ArrayLike<number> | undefined>;
  /** Write the result (`gains`, `gainsRMS`, `pixel_mask`) to `path`, atomically. */
  writeResult(path: string, result: PedestalResult): Promise<void>;
  /** Copy the result where conversion looks for pedestals; returns that path. */
  publish(resultFile: string, detector: string, stamp: string): Promise<string>;
  /** Beside the raw file, copies of the gain map and extra mask used (`gainMaps/<DET>.h5`, `pixel_mask/<DET>.h5`), when they exist. */
  copyCalibration(directory: string, detector: string): Promise<void>;
}

export interface PedestalTaskDeps {
  store: Pick<RunRecordStore, 'getStatus'>;
  pedestals: PedestalStore;
  runContext(ref: RunRef): Promise<WorkflowInput>;
  computeFiles: PedestalFilesPort;
  /** Modules known bad per detector (lower the pixels a frame needs in the forced gain). */
  badModules?: (detector: string) => number;
  now: () => Date;
}

export type RunProgress = { next: 'wait' | 'compute' | 'give_up'; state: RunStatus['state'] | 'unknown'; reason?: string };

const refOf = (input: RunRef): RunRef => ({ beamline: input.beamline, pgroup: input.pgroup, run_number: input.run_number });

/**
 * Where the pedestal run's retrieval is: `compute` once it is done (with or
 * without problems), `give_up` when it failed or did not finish in time,
 * else `wait`. Marks the pedestal `computing` when its turn comes.
 *
 * @example await pedestalRunProgress({ beamline: 'alvra', pgroup: 'p12345', run_number: 4, stamp: '20250601_120000' }, deps) // { next: 'wait', state: 'retrieving' }
 */
export async function pedestalRunProgress(input: PedestalRef, deps: Omit<PedestalTaskDeps, 'computeFiles'>): Promise<RunProgress> {
  const pedestal = await deps.pedestals.get(input.beamline, input.pgroup, input.run_number);
  const run = await deps.store.getStatus(input.beamline, input.pgroup, input.run_number);
  const since = Date.parse(pedestal?.request_time ?? '') || 0;
  if (!run || !isFinal(run.state)) {
    if (deps.now().getTime() - since > RUN_FOLLOW_LIMIT_MS) {
      return { next: 'give_up', state: run?.state ?? 'unknown', reason: `the pedestal run's retrieval did not finish within ${RUN_FOLLOW_LIMIT_MS / 3600_000} hours` };
    }
    return { next: 'wait', state: run?.state ?? 'unknown' };
  }
  if (run.state === 'failed') return { next: 'give_up', state: run.state, reason: `the pedestal run's retrieval failed: ${run.reason}` };
  if (pedestal && pedestal.state === 'retrieving') await deps.pedestals.put({ ...pedestal, state: 'computing', updated: deps.now().toISOString() });
  return { next: 'compute', state: run.state };
}

/**
 * One detector's pedestal: its raw frames through the accumulator, the
 * result beside the raw file as `<raw>.res.h5`, copied to
 * `/sf/jungfrau/data/pedestal/<DET>/<stamp>.h5`. A pedestal without any good
 * pixel is a failure (the facility writes none then).
 */
export async function computeDetectorPedestal(input: PedestalRef & { detector: string }, deps: PedestalTaskDeps): Promise<DetectorPedestal> {
  const { detector } = input;
  const run = await deps.runContext(refOf(input));
  const rawFile = run.files[detector];
  if (rawFile === undefined) return { detector, state: 'failed', reason: `detector ${detector} is not in pedestal run ${input.run_number}` };
  const modules = detectorModules(detector);
  const accumulator = new PedestalAccumulator({ modules, badModules: deps.badModules?.(detector) ?? 0, maxFrames: Number.MAX_SAFE_INTEGER });
  const found = await deps.computeFiles.readFrames(rawFile, detector, (block) => accumulator.add(block.pixels, block.count, block));
  if (found.modules !== modules) return { detector, state: 'failed', raw_file: rawFile, reason: `the raw file has ${found.modules} modules, ${detector} has ${modules}` };
  let result: PedestalResult;
  try {
    result = accumulator.finish(await deps.computeFiles.readExtraMask(detector, modules));
  } catch (error) {
    if (error instanceof NoGoodPixels) return { detector, state: 'failed', raw_file: rawFile, reason: error.message };
    throw error;
  }
  const resultFile = rawFile.replace(/\.h5$/, '') + '.res.h5';
  await deps.computeFiles.writeResult(resultFile, result);
  const calibrationFile = await deps.computeFiles.publish(resultFile, detector, input.stamp);
  await deps.computeFiles.copyCalibration(dirname(rawFile), detector);
  const { stats } = result;
  return {
    detector,
    state: 'done',
    raw_file: rawFile,
    result_file: resultFile,
    calibration_file: calibrationFile,
    frames: { analyzed: stats.analyzed, good: stats.good, used_g0: stats.used[0], used_g1: stats.used[1], used_g2: stats.used[3], wrong_gain: stats.wrongGainFrames },
    good_pixels: result.goodPixels,
    pixels: accumulator.pixels,
  };
}

/** A Map iteration that failed (the state machine's Catch): the detector and Step Functions' error. */
export interface FailedItem {
  detector: string;
  state: 'failed';
  error?: { Error?: string; Cause?: string };
}

export interface RecordInput extends PedestalRef {
  detectors: string[];
  run?: RunProgress;
  results?: Array<DetectorPedestal | FailedItem>;
  error?: { Error?: string; Cause?: string };
}

/**
 * The pedestal's outcome: `done` when every detector's pedestal was made,
 * else `failed` with the reasons. Answers the recorded status.
 */
export async function recordPedestal(input: RecordInput, deps: Pick<PedestalTaskDeps, 'pedestals' | 'now'>): Promise<PedestalStatus> {
  const now = deps.now().toISOString();
  const previous = await deps.pedestals.get(input.beamline, input.pgroup, input.run_number);
  const base: PedestalStatus = previous ?? {
    beamline: input.beamline, pgroup: input.pgroup, run_number: input.run_number, stamp: input.stamp, state: 'failed',
    detectors: input.detectors.map((detector) => ({ detector, state: 'pending' })), start_pulseid: 0, stop_pulseid: 0, rate_multiplicator: 1, pedestalmode: false,
    request_time: now, updated: now,
  };
  let detectors = base.detectors;
  let reason: string | undefined;
  if (input.results) {
    detectors = input.results.map((r) => {
      if ('error' in r || (r.state === 'failed' && !('reason' in r))) {
        const failed = r as FailedItem;
        return { ...base.detectors.find((d) => d.detector === failed.detector), detector: failed.detector, state: 'failed' as const, reason: errorText(failed.error) };
      }
      return r as DetectorPedestal;
    });
    const failed = detectors.filter((d) => d.state !== 'done');
    if (failed.length > 0) reason = failed.map((d) => `${d.detector}: ${d.reason ?? 'failed'}`).join('; ');
  } else {
    reason = input.run?.reason ?? (input.error ? `the pedestal could not be followed: ${errorText(input.error)}` : 'the pedestal was not computed');
    detectors = detectors.map((d) => (d.state === 'done' ? d : { ...d, state: 'failed' as const, reason: reason! }));
  }
  const status: PedestalStatus = { ...base, detectors, state: reason === undefined ? 'done' : 'failed', updated: now, finished: now };
  if (reason !== undefined) status.reason = reason;
  else delete status.reason;
  await deps.pedestals.put(status);
  return status;
}

/** Step Functions' `{Error, Cause}` of a failed Lambda task, for people. */
function errorText(error: { Error?: string; Cause?: string } | undefined): string {
  if (!error) return 'failed';
  let message = error.Cause ?? '';
  try {
    const cause = JSON.parse(message) as { errorMessage?: string };
    if (cause.errorMessage) message = cause.errorMessage;
  } catch {
    // Cause is plain text
  }
  return readableText(`${error.Error ?? 'error'}${message ? `: ${message}` : ''}`);
}
