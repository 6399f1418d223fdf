import { outputFiles, parseRequestTime, type PreparedRun } from './accept';
import { RequestRefused } from './errors';
import { directoryParts } from './paths';
import type { PgroupFilesystem, RunRecord, RunRecordStore, RunRef, WorkflowInput } from './ports';
import { normaliseRequest } from './run-request';
import type { RetrieveRequestBody } from '../schemas/retrieve-request';

/** Fields the broker adds to the body when it records a run. */
const BROKER_FIELDS = ['beamline', 'run_number', 'request_time'] as const;

/** A run that the workflow was handed but whose record cannot be used: the run fails with this reason. */
export class RunRecordMissing extends Error {
  override readonly name = 'RunRecordMissing';
}

/**
 * The accept path's view of a run from its record: the body as sent, the
 * request as normalised, the output directory (resolved again: a symlink
 * planted after acceptance is refused here too).
 */
export async function preparedOf(record: RunRecord, fs: Pick<PgroupFilesystem, 'outputDirectory'>): Promise<PreparedRun> {
  const body: Record<string, unknown> = { ...record };
  for (const field of BROKER_FIELDS) delete body[field];
  const request = normaliseRequest(body as RetrieveRequestBody);
  const scanName = request.scan_info?.scan_name;
  let outputDirectory: string;
  try {
    outputDirectory = await fs.outputDirectory(record.beamline, record.pgroup, directoryParts(request.directory_name));
  } catch (error) {
    if (error instanceof RequestRefused) throw new RunRecordMissing(`its output directory is refused now: ${error.message}`);
    throw error;
  }
  return { beamline: record.beamline, body, request, outputDirectory, ...(scanName !== undefined ? { scanName: String(scanName) } : {}) };
}

/**
 * What a workflow task needs about a run, from the run record in the object
 * store: the workflow itself carries only `{beamline, pgroup, run_number}`,
 * so a request of any size fits Step Functions' 256 KB state limit.
 *
 * @example const run = await loadRunContext({ beamline: 'alvra', pgroup: 'p12345', run_number: 7 }, app);
 */
export async function loadRunContext(ref: RunRef, deps: { store: Pick<RunRecordStore, 'getRecord'>; fs: Pick<PgroupFilesystem, 'outputDirectory'> }): Promise<WorkflowInput> {
  const record = await deps.store.getRecord(ref.beamline, ref.pgroup, ref.run_number);
  if (!record) throw new RunRecordMissing(`run ${ref.run_number} of ${ref.pgroup} has no run record in the bookkeeping store`);
  const prepared = await preparedOf(record, deps.fs);
  const requestTimeMs = parseRequestTime(record.request_time);
  if (Number.isNaN(requestTimeMs)) throw new RunRecordMissing(`run ${ref.run_number} of ${ref.pgroup}: request_time ${JSON.stringify(record.request_time)} is not the broker's format`);
  return {
    beamline: ref.beamline,
    pgroup: ref.pgroup,
    run_number: ref.run_number,
    request: prepared.request,
    output_directory: prepared.outputDirectory,
    files: outputFiles(prepared.outputDirectory, ref.run_number, prepared.request),
    request_time_ms: requestTimeMs,
  };
}

/**
 * A run's context, loaded once per instance: records never change after
 * acceptance, and a warm Lambda instance serves many items of the same run.
 */
export class RunContextCache {
  private readonly entries = new Map<string, Promise<WorkflowInput>>();

  constructor(private readonly load: (ref: RunRef) => Promise<WorkflowInput>, private readonly size = 16) {}

  get(ref: RunRef): Promise<WorkflowInput> {
    const key = `${ref.beamline}/${ref.pgroup}/${ref.run_number}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = this.load(ref);
      entry.catch(() => this.entries.delete(key));
      this.entries.set(key, entry);
      if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value!);
    }
    return entry;
  }
}
