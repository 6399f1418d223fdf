import type { RetrieveRequestBody } from '../schemas/retrieve-request';
import { PgroupClosed, RequestRefused, RunNotStarted } from './errors';
import { resolveBeamline, type Caller, type FacilityConfig } from './facility';
import { directoryParts, runLabel, SCAN_INFO_DIR, scanFileName, SUFFIX } from './paths';
import type { OpenRunIndex, PgroupFilesystem, RunCounter, RunRecord, RunRecordStore, ScanInfoReader, WorkflowStarter } from './ports';
import { checkDetectors, normaliseRequest, type RunRequest } from './run-request';
import { checkAtTheDoor, type DoorDeps } from './door';
import { checkDetectorOptions } from './detectors/options-at-accept';
import type { CalibrationLookup } from './detectors/ports';
import { withDefaultPvList, type DefaultPvList } from './detectors/pv-list';

export interface AcceptDeps {
  facility: FacilityConfig;
  counter: RunCounter;
  fs: PgroupFilesystem;
  store: RunRecordStore;
  workflow: WorkflowStarter;
  /** Runs accepted and not finished: what the recovery sweep looks at. */
  openRuns: OpenRunIndex;
  now: () => Date;
  /** Scan file checks; without it the scan file is only checked when it is written (after numbering). */
  scanInfo?: ScanInfoReader;
  /** Names and ranges checked against the buffers before numbering (lib/core/door.ts); without it, not checked. */
  door?: DoorDeps;
  /** The detectors' calibration files, looked for when a request converts frames; without it, not checked. */
  calibration?: CalibrationLookup;
  /** The beamline's default PV list for requests without `pv_list`, where the deployment says so. */
  defaultPvList?: DefaultPvList;
}

export interface Accepted {
  beamline: string;
  runNumber: number;
  /** Output files by source key (`BSREAD`, `CAMERAS`, `PVCHANNELS`, detector name). */
  files: Record<string, string>;
  executionArn: string;
}

/** A request that passed every check that needs no run number: what numbering and bookkeeping need. */
export interface PreparedRun {
  beamline: string;
  /** The body as received (unknown keys kept), saved into the run record. */
  body: Record<string, unknown>;
  request: RunRequest;
  outputDirectory: string;
  scanName?: string;
  /** What the door checks noted for the run's logs (names not checked, unknown names allowed, ...). */
  notes?: string[];
}

/** The caller's beamline, or a refusal naming why none. */
export function beamlineOf(facility: FacilityConfig, caller: Caller): string {
  const resolved = resolveBeamline(facility, caller);
  if (!resolved.ok) throw new RequestRefused(undefined, resolved.message);
  return resolved.beamline;
}

/** Output files of a run: one per source present, named as the 2020 tools expect. */
export function outputFiles(outputDirectory: string, runNumber: number, request: RunRequest): Record<string, string> {
  const base = `${outputDirectory}/${runLabel(runNumber)}`;
  const files: Record<string, string> = {};
  if (request.channels_list.length > 0) files[SUFFIX.data] = `${base}.${SUFFIX.data}.h5`;
  if (request.camera_list.length > 0) files[SUFFIX.image] = `${base}.${SUFFIX.image}.h5`;
  if (request.pv_list.length > 0) files[SUFFIX.archiver] = `${base}.${SUFFIX.archiver}.h5`;
  for (const detector of Object.keys(request.detectors)) files[detector] = `${base}.${detector}.h5`;
  return files;
}

/** `2020-05-27 18:06:39.772622`, the original's request_time (UTC here; microseconds zero-padded). */
export function formatRequestTime(date: Date): string {
  return `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 23)}000`;
}

/** The inverse of formatRequestTime (ms precision, as written); NaN if it is not of that form. */
export function parseRequestTime(text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}\.\d{3})\d{3}$/.exec(text);
  return m ? Date.parse(`${m[1]}T${m[2]}Z`) : Number.NaN;
}

/**
 * Every check of a retrieve request that needs no run number, in the order a
 * scientist's mistakes are most likely: beamline, request rules, detectors,
 * paths, then the pgroup's filesystem (exists, writable, not closed, no
 * symlink leading out), then the buffers (range and names: lib/core/door.ts). Refusals throw RequestRefused; nothing is written
 * except raw/.daq if it was missing.
 */
export async function prepareRun(sent: RetrieveRequestBody, caller: Caller, deps: AcceptDeps): Promise<PreparedRun> {
  const beamline = beamlineOf(deps.facility, caller);
  // The run records (and retrieves) the beamline's default PV list when none was sent and the deployment says so.
  const { body, notes: defaultNotes } = await withDefaultPvList(sent, beamline, deps.defaultPvList);
  const request = normaliseRequest(body);
  checkDetectors(request, Object.keys(deps.facility.beamlines[beamline]?.detectors ?? {}), beamline);
  const detectorNotes = (await checkDetectorOptions(request, deps.now(), deps.calibration)).notes;
  const parts = directoryParts(request.directory_name);
  // Filesystems limit names in bytes: 100 "é" pass a 255-character rule and fail mkdir with ENAMETOOLONG.
  if (parts.some((part) => utf8Bytes(part) > NAME_MAX)) throw new RequestRefused('directory_name', `directory_name has a path part longer than ${NAME_MAX} bytes (UTF-8)`);
  const scanName = request.scan_info?.scan_name;
  if (scanName !== undefined && utf8Bytes(scanFileName(String(scanName))) > NAME_MAX) {
    throw new RequestRefused('scan_info.scan_name', `scan_info.scan_name is too long for a file name (at most ${NAME_MAX - 5} bytes, UTF-8)`);
  }

  await deps.fs.checkPgroupWritable(beamline, request.pgroup);
  if (await deps.fs.isClosed(beamline, request.pgroup)) throw new PgroupClosed(request.pgroup, `pgroup ${request.pgroup} of ${beamline}`);
  const outputDirectory = await refuseFsErrors('directory_name', () => deps.fs.outputDirectory(beamline, request.pgroup, parts));
  if (scanName !== undefined) await checkScanFile(deps, beamline, request.pgroup, String(scanName));
  // Last: these ask the buffers (answers cached; a slow buffer costs at most the names' budget).
  const doorNotes = deps.door ? await checkAtTheDoor(sent as Record<string, unknown>, request, deps.door) : [];
  const notes = [...defaultNotes, ...detectorNotes, ...doorNotes];
  return { beamline, body: body as Record<string, unknown>, request, outputDirectory, ...(scanName !== undefined ? { scanName: String(scanName) } : {}), ...(notes.length ? { notes } : {}) };
}

/** Longest file or directory name on the pgroup filesystems (Linux, EFS), bytes. */
const NAME_MAX = 255;
const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

/**
 * A path the user chose that the filesystem will not resolve (a part that is a
 * file, a loop, a name too long, no permission) is the request's fault:
 * refuse it naming the field, instead of answering 5xx.
 */
async function refuseFsErrors<T>(field: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined && ['ENAMETOOLONG', 'ENOTDIR', 'ELOOP', 'EACCES', 'EPERM', 'EINVAL'].includes(code)) {
      throw new RequestRefused(field, `${field} can not be used in the pgroup (${code})`);
    }
    throw error;
  }
}

/**
 * The scan file is written after numbering; check before that it can be
 * written safely, so a planted symlink costs a refusal, not a failed run.
 */
async function checkScanFile(deps: AcceptDeps, beamline: string, pgroup: string, scanName: string): Promise<void> {
  try {
    // raw/scan_info itself: resolved like an output directory (no symlink leading out of raw/), created later.
    await refuseFsErrors('scan_info.scan_name', () => deps.fs.outputDirectory(beamline, pgroup, [SCAN_INFO_DIR]));
  } catch (error) {
    if (!(error instanceof RequestRefused)) throw error;
    throw new RequestRefused('scan_info.scan_name', `scan_info: raw/${SCAN_INFO_DIR} can not hold the scan file (${error.message.replace(/^directory_name: /, '')})`);
  }
  if (deps.scanInfo) await refuseFsErrors('scan_info.scan_name', () => deps.scanInfo!.checkWritable(beamline, pgroup, scanName));
}

/**
 * The accept path: every check first, then the run number, then the
 * bookkeeping (file, object store, scan info), then the workflow hand-off.
 * A refused request consumes no number and writes nothing. Once a number is
 * allocated, failure is recorded as the run's status, never dropped.
 *
 * @example
 *   const { runNumber, files } = await acceptRetrieve(body, { sourceIp: '129.129.242.7' }, deps);
 */
export async function acceptRetrieve(body: RetrieveRequestBody, caller: Caller, deps: AcceptDeps): Promise<Accepted> {
  const prepared = await prepareRun(body, caller, deps);
  const runNumber = await deps.counter.next(prepared.beamline, prepared.request.pgroup);
  return recordAndStart(prepared, runNumber, deps.now(), deps);
}

/** The run record as saved (raw/.daq/run_NNNNNN.json and the object store): the body as sent, normalised, plus the broker's fields. */
export function runRecordOf(prepared: PreparedRun, runNumber: number, requestTime: Date): RunRecord {
  const { body, request, beamline } = prepared;
  const record: RunRecord = {
    ...body,
    ...request,
    beamline,
    run_number: runNumber,
    request_time: formatRequestTime(requestTime),
  };
  // Keep the user's own keys exactly as sent; fill absent optional lists only if the user sent them.
  for (const key of ['channels_list', 'camera_list', 'pv_list', 'detectors', 'rate_multiplicator'] as const) {
    if (!(key in body)) delete record[key];
  }
  return record;
}

/**
 * Bookkeeping and hand-off of a numbered run. `resume` is for a run whose
 * number an earlier attempt took and may have partly recorded (a retry with
 * the same Idempotency-Key, the recovery sweep): every write is then made
 * idempotent (same record, status only if none yet, scan step only if not
 * there yet, the workflow by its run-named execution).
 */
export async function recordAndStart(prepared: PreparedRun, runNumber: number, requestTime: Date, deps: AcceptDeps, options: { resume?: boolean } = {}): Promise<Accepted> {
  const { beamline, request, outputDirectory, scanName } = prepared;
  const files = outputFiles(outputDirectory, runNumber, request);
  const record = runRecordOf(prepared, runNumber, requestTime);
  const base = { beamline, pgroup: request.pgroup, run_number: runNumber };
  try {
    // A resumed run may already be retrieving or finished: its status must not go back to `accepted`.
    const known = options.resume ? await deps.store.getStatus(beamline, request.pgroup, runNumber) : undefined;
    // First: from here on, a run that never reaches its workflow is found by the recovery sweep.
    await deps.openRuns.opened(base, requestTime.getTime());
    await deps.fs.writeRunRecord(record);
    await deps.store.putRecord(record);
    if (!known) await deps.store.putStatus({ ...base, state: 'accepted', updated: requestTime.toISOString(), request_time: requestTime.toISOString(), ...(prepared.notes ? { notes: prepared.notes } : {}) });
    // Recorded once per run (a resumed run finds its own step and writes nothing new).
    if (scanName !== undefined && request.scan_info) {
      await deps.fs.appendScanInfo(beamline, request.pgroup, runNumber, request.scan_info, Object.values(files), [request.start_pulseid, request.stop_pulseid]);
    }

  } catch (error) {
    await recordFailure(deps, base, `bookkeeping could not be written: ${(error as Error).message}`);
    throw new RunNotStarted(runNumber, `run ${runNumber} was numbered but its bookkeeping could not be written: ${(error as Error).message}`, { cause: error });
  }

  try {
    const { executionArn } = await deps.workflow.start(base);
    return { beamline, runNumber, files, executionArn };
  } catch (error) {
    await recordFailure(deps, base, `retrieval workflow could not be started: ${(error as Error).message}`);
    throw new RunNotStarted(runNumber, `run ${runNumber} is recorded but its retrieval could not be started: ${(error as Error).message}`, { cause: error });
  }
}

async function recordFailure(deps: AcceptDeps, base: { beamline: string; pgroup: string; run_number: number }, reason: string): Promise<void> {
  try {
    const now = deps.now().toISOString();
    await deps.store.putStatus({ ...base, state: 'failed', reason, updated: now, finished: now });
    await deps.openRuns.closed(base);
  } catch {
    // The object store is down too; the caller still gets the reason in the reply, and the sweep finds the open run.
  }
}
