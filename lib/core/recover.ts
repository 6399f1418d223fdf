import { parseRequestTime, recordAndStart, type AcceptDeps } from './accept';
import { readableReason } from './failure-reason';
import type { ExecutionLookup, RunRef } from './ports';
import { preparedOf } from './run-context';
import { isFinal } from './run-status';

/**
 * The recovery sweep (a scheduled function, every 5 minutes; the local stack
 * runs the same function on the same schedule, and once at start): it looks
 * only at the runs on the open-run index (accepted, outcome not recorded) that
 * are older than a grace period, and for each:
 *
 * - outcome already recorded (stopped before the index was updated): closes the entry;
 * - no execution (stopped between the bookkeeping and the hand-off): finishes
 *   the acceptance (missing bookkeeping, then the workflow under the run's own
 *   execution name, so nothing starts twice);
 * - execution still running: leaves it;
 * - execution ended without recording an outcome (e.g. `States.DataLimitExceeded`,
 *   which no Catch can handle, or an aborted execution): records the run
 *   `failed` with the readable reason, so an accepted run is never left
 *   `retrieving` for ever.
 *
 * A number taken without any bookkeeping (stopped between the counter and the
 * index) stays unused, like one taken by advance_run_number; a retry with the
 * same Idempotency-Key recovers it.
 */
export interface RecoveryDeps extends AcceptDeps {
  executions: ExecutionLookup;
}

export interface RecoveryReport {
  /** Open runs looked at (old enough). */
  examined: number;
  /** Runs whose retrieval was started now: `<beamline>/<pgroup>/<run>`. */
  started: string[];
  /** Runs whose execution is still running. */
  running: string[];
  /** Runs recorded failed now (their workflow ended without an outcome, or could not be started), with the reason. */
  failed: Array<{ run: string; reason: string }>;
  /** Entries closed because the run's outcome was already recorded. */
  closed: string[];
  /** Runs the sweep could not look at (left for the next sweep). */
  skipped: Array<{ run: string; reason: string }>;
}

const nameOf = (run: RunRef) => `${run.beamline}/${run.pgroup}/${run.run_number}`;

/**
 * Sweep the open runs of every beamline older than `graceSeconds`.
 *
 * @example
 *   const report = await sweepOpenRuns(app, { graceSeconds: 120 });
 *   report.started // ['alvra/p12345/17']
 */
export async function sweepOpenRuns(deps: RecoveryDeps, options: { graceSeconds: number; concurrency?: number }): Promise<RecoveryReport> {
  const report: RecoveryReport = { examined: 0, started: [], running: [], failed: [], closed: [], skipped: [] };
  const cutoff = deps.now().getTime() - options.graceSeconds * 1000;
  const pending: RunRef[] = [];
  for (const beamline of Object.keys(deps.facility.beamlines)) {
    for (const run of await deps.openRuns.openRuns(beamline)) if (run.acceptedMs <= cutoff) pending.push(run);
  }
  report.examined = pending.length;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < pending.length; i = next++) {
      const run = pending[i]!;
      try {
        await recoverOne(run, deps, report);
      } catch (error) {
        report.skipped.push({ run: nameOf(run), reason: (error as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, pending.length) }, worker));
  return report;
}

async function recoverOne(run: RunRef, deps: RecoveryDeps, report: RecoveryReport): Promise<void> {
  const name = nameOf(run);
  const status = await deps.store.getStatus(run.beamline, run.pgroup, run.run_number);
  if (status && isFinal(status.state)) {
    await deps.openRuns.closed(run);
    report.closed.push(name);
    return;
  }
  const execution = await deps.executions.describe(run);
  if (execution.exists && execution.status === 'RUNNING') {
    report.running.push(name);
    return;
  }
  if (execution.exists) {
    const why = execution.status === 'SUCCEEDED'
      ? 'the retrieval workflow ended without recording an outcome'
      : `the retrieval workflow stopped (${execution.status.toLowerCase()}): ${readableReason({ Error: execution.error ?? execution.status, ...(execution.cause !== undefined ? { Cause: execution.cause } : {}) })}`;
    await fail(run, why, deps, report);
    return;
  }
  const record = await deps.store.getRecord(run.beamline, run.pgroup, run.run_number);
  if (!record) {
    await fail(run, 'the run was numbered but the broker stopped before its bookkeeping was written', deps, report);
    return;
  }
  let prepared;
  try {
    prepared = await preparedOf(record, deps.fs);
  } catch (error) {
    await fail(run, `the run could not be resumed after the broker stopped: ${(error as Error).message}`, deps, report);
    return;
  }
  const requestTime = parseRequestTime(record.request_time);
  if (Number.isNaN(requestTime)) {
    await fail(run, `the run could not be resumed: request_time ${JSON.stringify(record.request_time)} is not the broker's format`, deps, report);
    return;
  }
  // recordAndStart records its own failure (and closes the entry) if the hand-off fails again.
  await recordAndStart(prepared, run.run_number, new Date(requestTime), deps, { resume: true });
  report.started.push(name);
}

async function fail(run: RunRef, reason: string, deps: RecoveryDeps, report: RecoveryReport): Promise<void> {
  const now = deps.now().toISOString();
  await deps.store.putStatus({ ...run, state: 'failed', reason, updated: now, finished: now });
  await deps.openRuns.closed(run);
  report.failed.push({ run: nameOf(run), reason });
}
