import { listRuns, runListLimit } from '../lib/core/run-list';
import { validatePgroupBody } from '../lib/schemas/validate';
import { httpHandler } from '../lib/runtime/http';

/** GET /runs/{pgroup}?limit=N: the pgroup's latest N (default 100) run statuses, in run order. */
export const handler = httpHandler(validatePgroupBody, async ({ body, caller, app }) => {
  const runs = await listRuns(body.pgroup, caller, app, runListLimit(body.limit));
  return { status: 'ok', message: `${runs.length} run${runs.length === 1 ? '' : 's'}`, runs };
});
