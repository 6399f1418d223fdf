import { summariseCheck } from './check/summary';
import { aggregateProgress } from './detector-progress';
import { readableReason, readableText, type TaskError } from './failure-reason';
import type { OpenRunIndex, ProgressStore, RunRecordStore, RunRef, WorkflowInput } from './ports';
import type { RunStatus, SourceKind, SourceResult } from './run-status';

/**
 * What one Map iteration gives back: small, whatever the source's size (the
 * workflow's states stay under 256 KB). A source the state machine caught
 * failing carries the task error instead of a reason.
 */
export interface ItemResult {
  source: string;
  kind: SourceKind;
  state: SourceResult['state'];
  reason?: string;
  error?: TaskError;
  retries?: number;
  /** A detector's work item (its part number): the Map's result of one part, folded into the detector's result by FinishDetectors. */
  part?: number;
}

/** What the state machine hands the last step: the items' results, or the error that stopped it early. */
export interface OutcomeInput extends RunRef {
  results?: ItemResult[];
  error?: TaskError;
  check_error?: TaskError;
}

/** A result's reason for people: its own, or the one read from the task error. */
export function reasonOf(result: Pick<ItemResult, 'reason' | 'error'>): string | undefined {
  if (result.reason !== undefined) return readableText(result.reason);
  return result.error ? readableReason(result.error) : undefined;
}

/**
 * The run's outcome from its sources' results: failed if every source failed
 * (or the workflow stopped before any ran), done_with_problems if some failed,
 * a check found problems or the check itself could not run, else done.
 */
export function outcomeOf(input: { results?: Array<Pick<SourceResult, 'source' | 'state' | 'reason'>>; error?: TaskError; check_error?: TaskError }): { state: RunStatus['state']; reason?: string } {
  const results = input.results ?? [];
  if (results.length === 0) {
    const cause = input.error ? readableReason(input.error) : 'no source was retrieved';
    return { state: 'failed', reason: `the retrieval stopped before any source was read (${cause})` };
  }
  const failed = results.filter((r) => r.state === 'failed');
  if (failed.length === results.length) return { state: 'failed', reason: failed.map((r) => `${r.source}: ${r.reason ?? 'failed'}`).join('; ') };
  if (input.check_error) return { state: 'done_with_problems', reason: `the consistency check could not run: ${readableReason(input.check_error)}` };
  if (failed.length > 0 || results.some((r) => r.state === 'done_with_problems')) return { state: 'done_with_problems' };
  return { state: 'done' };
}

export interface OutcomeDeps {
  store: RunRecordStore;
  progress: ProgressStore;
  openRuns: OpenRunIndex;
  now: () => Date;
}

/**
 * Record the run's final status: per source its state, readable reason,
 * check summary (the full check stays beside the status) and last progress;
 * then forget the run's progress and take it off the open-run index. The
 * status is written first, so a crash in between leaves an open entry the
 * recovery sweep closes, never a run without its outcome.
 *
 * `context` is the run as loaded from its record (file names); without it (the
 * record is unreadable) the files are left empty.
 */
export async function recordOutcome(input: OutcomeInput, context: WorkflowInput | undefined, deps: OutcomeDeps, notes?: string[]): Promise<RunStatus> {
  const progress = aggregateProgress(await deps.progress.read(input).catch(() => ({}) as Record<string, never>));
  const sources: SourceResult[] = await Promise.all(
    (input.results ?? []).map(async (result) => {
      const reason = reasonOf(result);
      const check = result.state === 'failed' ? undefined : await deps.store.getCheck(input, result.source);
      const last = (progress as Record<string, SourceResult['progress']>)[result.source];
      return {
        source: result.source,
        kind: result.kind,
        file: context?.files[result.source] ?? '',
        state: result.state,
        ...(reason !== undefined ? { reason } : {}),
        ...(check ? { check: summariseCheck(check) } : {}),
        ...(last ? { progress: last } : {}),
      };
    }),
  );
  const outcome = outcomeOf({ results: sources, ...(input.error ? { error: input.error } : {}), ...(input.check_error ? { check_error: input.check_error } : {}) });
  const now = deps.now().toISOString();
  const base = {
    beamline: input.beamline,
    pgroup: input.pgroup,
    run_number: input.run_number,
    updated: now,
    finished: now,
    sources,
    ...(context ? { request_time: new Date(context.request_time_ms).toISOString() } : {}),
    ...(notes?.length ? { notes } : {}),
  };
  const status: RunStatus =
    outcome.state === 'failed'
      ? { ...base, state: 'failed', reason: outcome.reason ?? 'failed' }
      : { ...base, state: outcome.state as 'done' | 'done_with_problems', ...(outcome.reason ? { reason: outcome.reason } : {}) };
  await deps.store.putStatus(status);
  await deps.progress.clear(input);
  await deps.openRuns.closed(input);
  return status;
}
