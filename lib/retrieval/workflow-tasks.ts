/**
 * The retrieval workflow's tasks (statemachine/retrieve.asl.json), each a
 * Lambda function: Plan -> Map(Wait, RetrieveSource) -> Check -> RecordOutcome.
 *
 * The workflow carries references, never the request: every state holds
 * `{beamline, pgroup, run_number}` plus small per-item fields, and each task
 * loads the run from its record in the object store (cached per instance).
 * So a request at every documented limit (10,000 channels, 32 detectors, ...)
 * keeps every state far below Step Functions' 256 KB.
 */
import { kindOf, planSources, type PlannedItem, type WorkItem } from '../core/plan';
import { reasonOf, recordOutcome, type ItemResult, type OutcomeInput } from '../core/outcome';
import { readableText } from '../core/failure-reason';
import type { RunRef } from '../core/ports';
import type { SourceResult } from '../core/run-status';
import type { App } from '../runtime/app';
import { checkRun } from './check-files';
import { writeErrorFiles } from './error-file';
import { retrieveSource } from './retrieve-source';
import { RunLog } from './run-log';
import { FacilityClock } from '../core/clock';
import { detectorPartFailedTask as partFailed, detectorPartTask as part, finishTask as finish, prepareDetectors } from './detector/tasks';
import type { TaskError } from '../core/failure-reason';

const refOf = (run: RunRef): RunRef => ({ beamline: run.beamline, pgroup: run.pgroup, run_number: run.run_number });

/**
 * Plan: mark the run `retrieving` and list its items: one per source, a
 * detector one per part of its pulses (its files prepared here).
 */
export async function planTask(input: RunRef, app: App): Promise<RunRef & { items: PlannedItem[] }> {
  const run = await app.runContext(input);
  const sources = planSources(run, app.config.delays, new FacilityClock(app.config.buffers.clock));
  // What the door noted (names not checked, unknown names allowed) opens every source's log.
  const notes = (await app.store.getStatus(input.beamline, input.pgroup, input.run_number))?.notes ?? [];
  if (notes.length > 0) {
    // Advisory: a log that cannot be written here (planted as a symlink) is the retriever's to report, not Plan's to fail on.
    await Promise.all(sources.map(async (item) => {
      try {
        await (await RunLog.open(app.config.dataRoot, run, item.source)).lines(notes.map((n) => `note: ${n}`));
      } catch {
        // the retriever opens the same log and fails its source with the reason
      }
    }));
  }
  const items = await prepareDetectors({ ...run, ...refOf(input) }, sources, app);
  await app.store.putStatus({
    ...refOf(input), state: 'retrieving', updated: app.now().toISOString(), request_time: new Date(run.request_time_ms).toISOString(),
    sources: sources.map((i) => ({ source: i.source, kind: i.kind, file: run.files[i.source] ?? '', state: 'pending' })),
    ...(notes.length ? { notes } : {}),
  });
  return { ...refOf(input), items };
}

/** RetrieveDetectorPart: one part of a detector in its own worker (lib/retrieval/detector/part.ts). */
export const detectorPartTask = (input: WorkItem, app: App): Promise<ItemResult> => part(input, app, progressReporter);

/** DetectorPartFailed: a part the Map's Retry gave up on, its reason kept for FinishDetectors. */
export const detectorPartFailedTask = (input: WorkItem & { error?: TaskError }, app: App): Promise<ItemResult> => partFailed(input, app);

/** FinishDetectors: each detector's parts folded into its file and one result; the other sources' results as they are. */
export const finishTask = (input: RunRef & { results: ItemResult[] }, app: App): Promise<RunRef & { results: ItemResult[] }> => finish(input, app);

/**
 * RetrieveSource: one item into its file. Transient buffer faults are thrown
 * (after the retriever's own short retries) so the state machine's Retry
 * covers long outages; anything permanent is a `failed` result. The answer is
 * small: the per-channel details are in the source's log.
 */
export async function retrieveTask(input: WorkItem, app: App): Promise<ItemResult> {
  const run = await app.runContext(input);
  const { source } = input.item;
  const reporter = progressReporter(app, input, source);
  const result = await retrieveSource({ ...run, source }, input.item.kind, app.config.buffers, app.config.dataRoot, reporter);
  await reporter.flush();
  return {
    source,
    kind: input.item.kind,
    state: result.state,
    ...(result.reason !== undefined ? { reason: readableText(result.reason) } : {}),
    ...('retries' in result && typeof result.retries === 'number' ? { retries: result.retries } : {}),
  };
}

/** What a retriever reports while it works; `flush` sends the last report. */
export interface ProgressReporter {
  (progress: { pulses_written: number; pulses_expected: number; bytes_written: number; items_done?: number; items_total?: number }): void;
  flush(): Promise<void>;
}

/**
 * Progress reports of one source, sent at most every `progressIntervalMs`
 * (a DynamoDB update each) and never waited for by the retriever: a slow or
 * failing progress store must not slow the retrieval.
 */
export function progressReporter(app: App, run: RunRef, source: string): ProgressReporter {
  const started = Date.now();
  let last = 0;
  let pending: Parameters<ProgressReporter>[0] | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const send = () => {
    if (!pending) return;
    const p = pending;
    pending = undefined;
    last = Date.now();
    const seconds = (last - started) / 1000;
    inFlight = inFlight.then(() => app.progress.report(run, source, {
      ...p,
      ...(seconds > 0 ? { rate_pulses_per_s: Math.round((p.pulses_written / seconds) * 10) / 10 } : {}),
      updated: new Date(last).toISOString(),
    })).catch(() => undefined);
  };
  const reporter = ((progress) => {
    pending = progress;
    if (Date.now() - last >= app.config.progressIntervalMs) send();
  }) as ProgressReporter;
  reporter.flush = async () => {
    send();
    await inFlight;
  };
  return reporter;
}

/**
 * Check: `<output>.err` for failed sources (as the original did), then every
 * written file checked against the request; the full check goes beside the
 * status (object store), the run's log gets the report, the answer stays small.
 */
export async function checkTask(input: RunRef & { results: ItemResult[] }, app: App): Promise<RunRef & { results: ItemResult[] }> {
  const run = await app.runContext(input);
  const results: SourceResult[] = input.results.map((r) => {
    const reason = reasonOf(r);
    return { source: r.source, kind: r.kind ?? kindOf(r.source), file: run.files[r.source] ?? '', state: r.state, ...(reason !== undefined ? { reason } : {}) };
  });
  await writeErrorFiles(app.config.dataRoot, run, results);
  const checked = await checkRun(run, results, app.config.dataRoot);
  await Promise.all(checked.map((c) => (c.check ? app.store.putCheck(input, c.source, c.check as never) : undefined)));
  return {
    ...refOf(input),
    results: checked.map((c, i) => ({
      source: c.source,
      kind: c.kind,
      state: c.state,
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
      ...(input.results[i]?.retries !== undefined ? { retries: input.results[i]!.retries } : {}),
    })),
  };
}

/** RecordOutcome: the run's final status from the items' results (or the error that stopped the workflow). */
export async function outcomeTask(input: OutcomeInput, app: App): Promise<RunRef & { state: string }> {
  // An unreadable record must not keep the outcome from being recorded: the run then fails with the reason.
  const run = await app.runContext(input).catch(() => undefined);
  const notes = (await app.store.getStatus(input.beamline, input.pgroup, input.run_number).catch(() => undefined))?.notes;
  const status = await recordOutcome(input, run, app, notes);
  return { ...refOf(input), state: status.state };
}
