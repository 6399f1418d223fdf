import { runDetails, runSummaries } from '../lib/core/run-details';
import { runListLimit } from '../lib/core/run-list';
import { PgroupReader } from '../lib/quicklook/pgroup-reader';
import { validatePgroupBody, validateRunPath } from '../lib/schemas/validate';
import type { App } from '../lib/runtime/app';
import { httpHandler } from '../lib/runtime/http';

let reader: PgroupReader | undefined;
/** The broker plus read-only access to the pgroups (one reader per instance: it caches finished runs' file sizes). */
const monitorDeps = (app: App) => {
  reader ??= new PgroupReader(app.config.dataRoot);
  return { ...app, files: reader };
};

/** GET /runs/{pgroup}/{run_number}/details: request as sent, files with sizes, logs, check per channel with missing pulses, progress. */
export const handler = httpHandler(validateRunPath, async ({ body, caller, app }) => {
  const run = await runDetails(body.pgroup, Number(body.run_number), caller, monitorDeps(app));
  return { status: 'ok', message: run.state, run };
});

/** GET /monitor/runs/{pgroup}?limit=N: the latest N runs for the monitor's table, newest first, with time, duration, size and verdict. */
export const summaries = httpHandler(validatePgroupBody, async ({ body, caller, app }) => {
  const { beamline, runs } = await runSummaries(body.pgroup, caller, monitorDeps(app), runListLimit(body.limit));
  return { status: 'ok', message: `${runs.length} run${runs.length === 1 ? '' : 's'}`, beamline, pgroup: body.pgroup, runs };
});
