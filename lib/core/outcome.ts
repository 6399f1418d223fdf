import type { RunRecordStore, WorkflowInput } from './ports';
import type { RunStatus, SourceResult } from './run-status';

/** What the state machine hands the last step: the branches' results, or the error that stopped it early. */
export interface OutcomeInput extends WorkflowInput {
  results?: SourceResult[];
  error?: { Error: string; Cause?: string };
  check_error?: { Error: string; Cause?: string };
}

/**
 * The run's outcome from its sources' results: failed if every source failed
 * (or the workflow stopped before any ran), done_with_problems if some failed,
 * a check found problems or the check itself could not run, else done.
 */
export function outcomeOf(input: OutcomeInput): { state: RunStatus['state']; reason?: string } {
  const results = input.results ?? [];
  if (results.length === 0) {
    const cause = input.error ? `${input.error.Error}: ${input.error.Cause ?? ''}` : 'no source was retrieved';
    return { state: 'failed', reason: `the retrieval stopped before any source was read (${cause})` };
  }
  const failed = results.filter((r) => r.state === 'failed');
  if (failed.length === results.length) return { state: 'failed', reason: failed.map((r) => `${r.source}: ${r.reason ?? 'failed'}`).join('; ') };
  if (input.check_error) return { state: 'done_with_problems', reason: `the consistency check could not run: ${input.check_error.Cause ?? input.check_error.Error}` };
  if (failed.length > 0 || results.some((r) => r.state === 'done_with_problems')) return { state: 'done_with_problems' };
  return { state: 'done' };
}

export async function recordOutcome(input: OutcomeInput, store: RunRecordStore, now: () => Date): Promise<RunStatus> {
  const outcome = outcomeOf(input);
  const base = { beamline: input.beamline, pgroup: input.pgroup, run_number: input.run_number, updated: now().toISOString(), sources: input.results ?? [] };
  const status: RunStatus =
    outcome.state === 'failed'
      ? { ...base, state: 'failed', reason: outcome.reason ?? 'failed' }
      : { ...base, state: outcome.state as 'done' | 'done_with_problems', ...(outcome.reason ? { reason: outcome.reason } : {}) };
  await store.putStatus(status);
  return status;
}
