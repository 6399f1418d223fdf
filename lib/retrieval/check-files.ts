/**
 * The consistency check after retrieval: read each output file back (h5wasm),
 * run the pure check (lib/core/check), append its report to the source's log
 * and put the summary into the source's result.
 *
 * What is read (the layouts of original-system.md, "Output files"):
 *   BSREAD, PVCHANNELS   /data/<channel>/pulse_id (PVs also /data/<pv>/timestamp)
 *   CAMERAS              /<camera>/pulse_id (no group = the camera is not present)
 *   <DET>                /data/<DET>/{pulse_id, frame_index, is_good_frame, daq_rec}, or a converted
 *                        file's image groups; an assembled file's parts too (detector/check-input.ts)
 * Only the small per-row datasets are read (and data's shape), never the data itself.
 */
import type { File } from 'h5wasm/node';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { loadH5, withH5Errors, type H5Lib } from '../adapters/hdf5/h5';
import { checkSource, formatReport, unreadableSource, type CheckInput, type IntArray, type SourceCheck } from '../core/check';
import type { WorkflowInput } from '../core/ports';
import type { SourceResult } from '../core/run-status';
import { RunLog } from './run-log';
import { assembledFileProblems, readDetectorInput } from './detector/check-input';

/**
 * Check every source that produced a file (failed and pending ones are
 * returned as they are). A source whose check finds problems becomes
 * `done_with_problems`; a clean check leaves the state as the retriever set it.
 *
 * `dataRoot` is needed to find the run's logs (raw/.daq/), as for the retrievers.
 *
 * @example
 *   const checked = await checkRun(input, results, config.dataRoot);
 *   checked[0].check // { source: 'BSREAD', kind: 'data', verdict: 'ok', range: {...}, channels: {...} }
 */
export async function checkRun(input: WorkflowInput, results: SourceResult[], dataRoot: string): Promise<SourceResult[]> {
  const checked: SourceResult[] = [];
  for (const result of results) {
    if (result.state === 'failed' || result.state === 'pending') {
      checked.push(result);
      continue;
    }
    const check = await checkFile(input, result);
    const log = await RunLog.open(dataRoot, input, result.source);
    await log.lines(formatReport(check));
    checked.push({ ...result, check, state: check.verdict === 'problems' ? 'done_with_problems' : result.state });
  }
  return checked;
}

/**
 * Read one source's file and check it; an unreadable file is a problem of every channel asked for.
 * @example const check = await checkFile(input, { source: 'BSREAD', kind: 'data', file, state: 'done' });
 */
export async function checkFile(input: WorkflowInput, result: Pick<SourceResult, 'source' | 'kind' | 'file'>): Promise<SourceCheck> {
  const names = namesOf(input, result);
  const unreadable = (problem: string) => unreadableSource(input.request, result.kind, result.source, names, problem);
  try {
    await access(result.file, constants.R_OK);
  } catch (error) {
    return unreadable(`cannot read ${result.file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (error as Error).message}`);
  }
  const { lib, module } = await loadH5();
  let file: File;
  try {
    // Throwing HDF5 errors: a damaged file becomes one reason, not a trace on stderr.
    file = withH5Errors(module, () => new lib.File(result.file, 'r'));
  } catch (error) {
    return unreadable(`cannot open ${result.file}: ${hdf5Reason(error)}`);
  }
  let read: CheckInput;
  try {
    read = withH5Errors(module, () => readInput(lib, file, result, names, input));
  } catch (error) {
    return unreadable(`cannot read ${result.file}: ${hdf5Reason(error)}`);
  } finally {
    file.close();
  }
  // A detector file assembled from parts: every part read too (after closing the file: never one file in two HDF5 libraries).
  if (read.kind === 'detector') read.detector.fileProblems = await assembledFileProblems(result.file, read.detector);
  return checkSource(input.request, read);
}

/** HDF5's error stack names the root cause last: `... in H5F__super_read(): file signature not found`. */
function hdf5Reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const causes = [...text.matchAll(/ in \w+\(\): (.+)$/gm)].map((m) => m[1]!);
  return causes.at(-1) ?? text;
}

/** The channels a source was asked for, in the user's order. */
function namesOf(input: WorkflowInput, result: Pick<SourceResult, 'source' | 'kind'>): string[] {
  switch (result.kind) {
    case 'data':
      return input.request.channels_list;
    case 'image':
      return input.request.camera_list;
    case 'archiver':
      return input.request.pv_list;
    case 'detector':
      return [result.source];
    default: {
      const unreachable: never = result.kind;
      return unreachable;
    }
  }
}

function readInput(lib: H5Lib, file: File, result: Pick<SourceResult, 'source' | 'kind'>, names: string[], input: WorkflowInput): CheckInput {
  const read = (path: string) => readIntegers(lib, file, path);
  switch (result.kind) {
    case 'data':
      return { kind: 'data', source: result.source, channels: names.map((name) => ({ name, pulseIds: read(`/data/${name}/pulse_id`) })) };
    case 'image':
      return { kind: 'image', source: result.source, channels: names.map((name) => ({ name, pulseIds: read(`/${name}/pulse_id`) })) };
    case 'archiver':
      return {
        kind: 'archiver',
        source: result.source,
        channels: names.map((name) => ({ name, pulseIds: read(`/data/${name}/pulse_id`), timestamps: read(`/data/${name}/timestamp`) })),
      };
    case 'detector': {
      const options = input.request.detectors[result.source] as { save_ppicker_events_only?: boolean } | undefined;
      return { kind: 'detector', source: result.source, detector: readDetectorInput(lib, file, result.source, read, { ppickerEventsOnly: options?.save_ppicker_events_only === true }) };
    }
    default: {
      const unreachable: never = result.kind;
      return unreachable;
    }
  }
}

/**
 * An integer dataset's values (flattened: the Jungfrau ones are [N, 1]), or
 * undefined when the path is not a dataset. Parents are looked up first, so
 * h5wasm never asks HDF5 about a path below a missing group.
 */
function readIntegers(lib: H5Lib, file: File, path: string): IntArray | undefined {
  const parts = path.split('/').filter((p) => p !== '');
  let at = '';
  for (const part of parts.slice(0, -1)) {
    at += `/${part}`;
    if (!(file.get(at) instanceof lib.Group)) return undefined;
  }
  const dataset = file.get(path);
  if (!(dataset instanceof lib.Dataset)) return undefined;
  const value = dataset.value;
  if (value === null) return [];
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return value as unknown as IntArray;
  if (Array.isArray(value)) return value as number[];
  throw new Error(`${path} is not an integer dataset`);
}
