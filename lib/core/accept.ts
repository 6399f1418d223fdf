import type { RetrieveRequestBody } from '../schemas/retrieve-request';
import { PgroupClosed, RequestRefused, RunNotStarted } from './errors';
import { resolveBeamline, type Caller, type FacilityConfig } from './facility';
import { directoryParts, runLabel, scanFileName, SUFFIX } from './paths';
import type { PgroupFilesystem, RunCounter, RunRecord, RunRecordStore, WorkflowStarter } from './ports';
import { checkDetectors, normaliseRequest, type RunRequest } from './run-request';

export interface AcceptDeps {
  facility: FacilityConfig;
  counter: RunCounter;
  fs: PgroupFilesystem;
  store: RunRecordStore;
  workflow: WorkflowStarter;
  now: () => Date;
}

export interface Accepted {
  beamline: string;
  runNumber: number;
  /** Output files by source key (`BSREAD`, `CAMERAS`, `PVCHANNELS`, detector name). */
  files: Record<string, string>;
  executionArn: string;
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
  const beamline = beamlineOf(deps.facility, caller);
  const request = normaliseRequest(body);
  checkDetectors(request, Object.keys(deps.facility.beamlines[beamline]?.detectors ?? {}), beamline);
  const parts = directoryParts(request.directory_name);
  const scanName = request.scan_info?.scan_name;
  if (scanName !== undefined) scanFileName(String(scanName));

  await deps.fs.checkPgroupWritable(beamline, request.pgroup);
  if (await deps.fs.isClosed(beamline, request.pgroup)) throw new PgroupClosed(request.pgroup, `pgroup ${request.pgroup} of ${beamline}`);
  const outputDirectory = await deps.fs.outputDirectory(beamline, request.pgroup, parts);

  const runNumber = await deps.counter.next(beamline, request.pgroup);
  const requestTime = deps.now();
  const files = outputFiles(outputDirectory, runNumber, request);
  const record: RunRecord = {
    ...(body as Record<string, unknown>),
    ...request,
    beamline,
    run_number: runNumber,
    request_time: formatRequestTime(requestTime),
  };
  // Keep the user's own keys exactly as sent; fill absent optional lists only if the user sent them.
  for (const key of ['channels_list', 'camera_list', 'pv_list', 'detectors', 'rate_multiplicator'] as const) {
    if (!(key in (body as object))) delete record[key];
  }

  const base = { beamline, pgroup: request.pgroup, run_number: runNumber };
  try {
    await deps.fs.writeRunRecord(record);
    await deps.store.putRecord(record);
    await deps.store.putStatus({ ...base, state: 'accepted', updated: requestTime.toISOString() });
    if (scanName !== undefined && request.scan_info) {
      await deps.fs.appendScanInfo(beamline, request.pgroup, request.scan_info, Object.values(files), [request.start_pulseid, request.stop_pulseid]);
    }
  } catch (error) {
    await recordFailure(deps, base, `bookkeeping could not be written: ${(error as Error).message}`);
    throw new RunNotStarted(runNumber, `run ${runNumber} was numbered but its bookkeeping could not be written: ${(error as Error).message}`, { cause: error });
  }

  try {
    const { executionArn } = await deps.workflow.start({
      ...base,
      request,
      output_directory: outputDirectory,
      files,
      request_time_ms: requestTime.getTime(),
    });
    return { beamline, runNumber, files, executionArn };
  } catch (error) {
    await recordFailure(deps, base, `retrieval workflow could not be started: ${(error as Error).message}`);
    throw new RunNotStarted(runNumber, `run ${runNumber} is recorded but its retrieval could not be started: ${(error as Error).message}`, { cause: error });
  }
}

async function recordFailure(deps: AcceptDeps, base: { beamline: string; pgroup: string; run_number: number }, reason: string): Promise<void> {
  try {
    await deps.store.putStatus({ ...base, state: 'failed', reason, updated: deps.now().toISOString() });
  } catch {
    // The object store is down too; the caller still gets the reason in the reply.
  }
}
