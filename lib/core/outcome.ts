import type { RunRecordStore, WorkflowInput } from './ports';
import type { RunStatus, SourceResult } from './run-status';

/**
 * The run's outcome from its sources' results: failed if every source failed,
 * done_with_problems if any failed or any check found a problem, else done.
 * Until the retrievers exist (issue 9), a run has no results and is recorded
 * as failed with that reason, never left hanging as accepted.
 */
export function outcomeOf(results: SourceResult[]): Pick<RunStatus, 'state'> & { reason?: string } {
  if (results.length === 0) return { state: 'failed', reason: 'no retriever ran for this run (retrieval is not available in this version)' };
  const failed = results.filter((r) => r.state === 'failed');
  if (failed.length === results.length) return { state: 'failed', reason: failed.map((r) => `${r.source}: ${r.reason ?? 'failed'}`).join('; ') };
  if (failed.length > 0 || results.some((r) => r.state === 'done_with_problems')) return { state: 'done_with_problems' };
  return { state: 'done' };
}

export async function recordOutcome(input: WorkflowInput & { results?: unknown[] }, store: RunRecordStore, now: () => Date): Promise<RunStatus> {
  const results = (input.results ?? []) as SourceResult[];
  const outcome = outcomeOf(results);
  const base = { beamline: input.beamline, pgroup: input.pgroup, run_number: input.run_number, updated: now().toISOString(), sources: results };
  const status: RunStatus = outcome.state === 'failed' ? { ...base, state: 'failed', reason: outcome.reason ?? 'failed' } : { ...base, state: outcome.state as 'done' | 'done_with_problems' };
  await store.putStatus(status);
  return status;
}
