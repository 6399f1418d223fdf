/**
 * The detector's steps of the retrieval workflow (statemachine/retrieve.asl.json):
 *
 *   Plan                 prepareDetectors: each detector split into parts, its files prepared; one Map item per part
 *   RetrieveDetectorPart detectorPartTask: one part, in its own worker (Retry: a killed worker's part alone)
 *   DetectorPartFailed   detectorPartFailedTask: a part that failed for good, its reason recorded
 *   FinishDetectors      finishTask: each detector's file assembled (or failed naming the part), one result per source
 *
 * Map results of parts are tiny (`{source, kind, part, state}`): the reasons
 * and counts stay in the detector's work folder, so hundreds of parts keep
 * every state far below 256 KB.
 */
import { partProgressKey } from '../../core/detector-files';
import { readableReason, readableText, type TaskError } from '../../core/failure-reason';
import type { ItemResult } from '../../core/outcome';
import type { PlannedItem, WorkItem } from '../../core/plan';
import type { RunRef, WorkflowInput } from '../../core/ports';
import type { App } from '../../runtime/app';
import { RunLog } from '../run-log';
import { finishDetector } from './finish';
import { attemptsOf, readPartRecord, writePartRecord } from './manifest';
import { retrieveDetectorPart } from './part';
import { prepareDetector } from './prepare';
import { workDir } from '../../core/detector-files';
import type { ProgressReporter } from '../workflow-tasks';

type Reporter = (app: App, run: RunRef, key: string) => ProgressReporter;

/**
 * Replace each detector's item by one item per part, its files prepared. A
 * detector whose preparation fails keeps one item: its worker finds no plan
 * and fails it with the reason the log already holds.
 */
export async function prepareDetectors(run: WorkflowInput & RunRef, items: PlannedItem[], app: App): Promise<PlannedItem[]> {
  const out: PlannedItem[] = [];
  for (const item of items) {
    if (item.kind !== 'detector') {
      out.push(item);
      continue;
    }
    try {
      const { parts, frames } = await prepareDetector({ ...run, source: item.source }, app.config.dataRoot, app.config.detectorWork);
      for (let part = 0; part < parts; part++) out.push({ ...item, part });
      await app.progress
        .report(run, item.source, { pulses_written: 0, pulses_expected: frames, bytes_written: 0, items_done: 0, items_total: parts, updated: app.now().toISOString() })
        .catch(() => undefined);
    } catch (error) {
      await (await RunLog.open(app.config.dataRoot, run, item.source)).line(`failed: the detector's files could not be prepared: ${(error as Error).message}`).catch(() => undefined);
      out.push({ ...item, part: 0 });
    }
  }
  return out;
}

/** One part of a detector (transient buffer faults thrown for the Map's Retry). */
export async function detectorPartTask(input: WorkItem, app: App, reporter: Reporter): Promise<ItemResult> {
  const run = await app.runContext(input);
  const { source } = input.item;
  const part = input.item.part ?? 0;
  const progress = reporter(app, input, partProgressKey(source, part));
  const result = await retrieveDetectorPart({ ...run, source }, part, app.config.buffers, app.config.dataRoot, { progress });
  await progress.flush();
  return { source, kind: 'detector', part, state: result.state };
}

/**
 * A part the Map's Retry gave up on (its worker killed, out of time or memory
 * at every attempt, or the buffer unreachable for minutes): its reason goes to
 * the work folder, the answer stays small.
 */
export async function detectorPartFailedTask(input: WorkItem & { error?: TaskError }, app: App): Promise<ItemResult> {
  const run = await app.runContext(input);
  const { source } = input.item;
  const part = input.item.part ?? 0;
  const work = workDir(run.files[source] ?? '');
  const attempts = await attemptsOf(work, part);
  const why = input.error ? readableReason(input.error) : 'the part failed';
  const previous = await readPartRecord(work, part);
  // The finishing step says how many attempts were made.
  const reason = previous?.state === 'failed' && previous.reason ? previous.reason : why;
  await writePartRecord(work, { part, state: 'failed', reason, finished: app.now().toISOString() }).catch(() => undefined);
  await (await RunLog.open(app.config.dataRoot, run, source)).line(`part ${part}: given up after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason}`).catch(() => undefined);
  return { source, kind: 'detector', part, state: 'failed' };
}

/**
 * After the Map: each detector's parts folded into one result (its file
 * assembled, or failed naming the part); other sources as they came.
 */
export async function finishTask(input: RunRef & { results: ItemResult[] }, app: App): Promise<RunRef & { results: ItemResult[] }> {
  const run = await app.runContext(input);
  const results: ItemResult[] = [];
  const parts = new Map<string, ItemResult[]>();
  for (const r of input.results) {
    if (r.part === undefined) {
      results.push(r);
      continue;
    }
    if (!parts.has(r.source)) results.push(r); // its place in the run's order
    parts.set(r.source, [...(parts.get(r.source) ?? []), r]);
  }
  const finished = await Promise.all(
    results.map(async (r) => {
      const own = parts.get(r.source);
      if (r.part === undefined || !own) return r;
      const outcomes = own.map((p) => ({ part: p.part!, state: p.state, ...(p.reason !== undefined ? { reason: p.reason } : p.error ? { reason: readableReason(p.error) } : {}) }));
      const done = await finishDetector({ ...run, source: r.source }, outcomes, app.config.dataRoot).catch((error: unknown) => ({
        state: 'failed' as const,
        reason: `the detector's file could not be assembled: ${(error as Error).message}`,
        counts: undefined,
      }));
      const item: ItemResult = { source: r.source, kind: 'detector', state: done.state };
      if (done.reason !== undefined) item.reason = readableText(done.reason);
      if (done.counts && done.counts.retries > 0) item.retries = done.counts.retries;
      return item;
    }),
  );
  return { beamline: input.beamline, pgroup: input.pgroup, run_number: input.run_number, results: finished };
}
