import { parseRequestTime, recordAndStart, type AcceptDeps, type PreparedRun } from './accept';
import { RequestRefused, RunNotStarted } from './errors';
import { directoryParts } from './paths';
import type { ExecutionLookup, RunRecord, RunRecordLister } from './ports';
import { normaliseRequest } from './run-request';
import type { RetrieveRequestBody } from '../schemas/retrieve-request';

/**
 * The recovery sweep: finds runs the accept path numbered and recorded but
 * whose retrieval was never started, because the process stopped between
 * the bookkeeping and the workflow hand-off (raw/.daq/run_NNNNNN.json
 * written, status missing or still `accepted`, no execution), and finishes
 * their acceptance: the missing bookkeeping, then the workflow under the
 * run's own execution name.
 *
 * Safe to run at any time, also while requests are accepted: a run whose
 * execution exists already is not started twice (the execution is named
 * after the run; StartExecution refuses a second one), a status that moved
 * on is never set back, a scan step is never appended twice.
 *
 * What it cannot recover: a number taken without any bookkeeping (the
 * process stopped between the counter and the first write). The request is
 * lost with the process; the number stays unused, like one taken by
 * advance_run_number. A retry with the same Idempotency-Key does recover it.
 */
export interface RecoveryDeps extends AcceptDeps {
  records: RunRecordLister;
  /** Without it every unfinished-looking run is (idempotently) started, and counted as started. */
  executions?: ExecutionLookup;
}

export interface RecoveryReport {
  /** Run records looked at. */
  examined: number;
  /** Runs whose retrieval was started now (no execution existed): `<beamline>/<pgroup>/<run>`. */
  started: string[];
  /** Runs still `accepted` whose execution exists (stopped before its first step wrote `retrieving`; it resumes by itself). */
  running: string[];
  /** Runs that could not be started (recorded as failed with the reason). */
  failed: Array<{ run: string; reason: string }>;
  /** Records that do not parse (left as they are). */
  unreadable: Array<{ path: string; reason: string }>;
}

const BROKER_FIELDS = ['beamline', 'run_number', 'request_time'] as const;

/**
 * Sweep every beamline's run records; `concurrency` bounds the object-store reads.
 *
 * @example
 *   const report = await recoverAcceptedRuns({ ...deps(), records: new LocalRunRecordLister(dataRoot) });
 *   report.started // ['alvra/p12345/17']
 */
export async function recoverAcceptedRuns(deps: RecoveryDeps, options: { concurrency?: number } = {}): Promise<RecoveryReport> {
  const report: RecoveryReport = { examined: 0, started: [], running: [], failed: [], unreadable: [] };
  const pending: RunRecord[] = [];
  for (const beamline of Object.keys(deps.facility.beamlines)) {
    for await (const entry of deps.records.list(beamline)) {
      if ('unreadable' in entry) report.unreadable.push({ path: entry.unreadable, reason: entry.reason });
      else if (entry.record.beamline === beamline) pending.push(entry.record);
    }
  }
  report.examined = pending.length;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < pending.length; i = next++) await recoverOne(pending[i]!, deps, report);
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, pending.length) }, worker));
  return report;
}

async function recoverOne(record: RunRecord, deps: RecoveryDeps, report: RecoveryReport): Promise<void> {
  const { beamline, pgroup, run_number: runNumber } = record;
  const name = `${beamline}/${pgroup}/${runNumber}`;
  let status;
  try {
    status = await deps.store.getStatus(beamline, pgroup, runNumber);
  } catch (error) {
    // Unreadable: leave it to the run's execution (which rewrites it) rather than guess; report it.
    report.unreadable.push({ path: `status of ${name}`, reason: (error as Error).message });
    return;
  }
  // retrieving / done / failed: an execution exists (or existed); the local Step Functions resumes running ones itself.
  if (status && status.state !== 'accepted') return;
  try {
    if (status && (await deps.executions?.exists(record))) {
      report.running.push(name);
      return;
    }
    const prepared = await preparedOf(record, deps);
    const requestTime = parseRequestTime(record.request_time);
    if (Number.isNaN(requestTime)) throw new Error(`request_time ${JSON.stringify(record.request_time)} is not the broker's format`);
    await recordAndStart(prepared, runNumber, new Date(requestTime), deps, { resume: true });
    report.started.push(name);
  } catch (error) {
    const reason = `the run could not be resumed after the broker stopped: ${(error as Error).message}`;
    report.failed.push({ run: name, reason });
    // recordAndStart records its own failures; this covers a record that no longer passes the request rules.
    if (!(error instanceof RunNotStarted)) {
      await deps.store.putStatus({ beamline, pgroup, run_number: runNumber, state: 'failed', reason, updated: deps.now().toISOString() }).catch(() => undefined);
    }
  }
}

/** The accept path's view of a run from its record: the body as sent, the request as normalised, the output directory. */
async function preparedOf(record: RunRecord, deps: AcceptDeps): Promise<PreparedRun> {
  const body: Record<string, unknown> = { ...record };
  for (const field of BROKER_FIELDS) delete body[field];
  const request = normaliseRequest(body as RetrieveRequestBody);
  const scanName = request.scan_info?.scan_name;
  let outputDirectory: string;
  try {
    outputDirectory = await deps.fs.outputDirectory(record.beamline, record.pgroup, directoryParts(request.directory_name));
  } catch (error) {
    if (error instanceof RequestRefused) throw new Error(`its output directory is refused now: ${error.message}`);
    throw error;
  }
  return { beamline: record.beamline, body, request, outputDirectory, ...(scanName !== undefined ? { scanName: String(scanName) } : {}) };
}
