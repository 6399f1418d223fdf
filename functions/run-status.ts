import { runStatus } from '../lib/core/pgroup-admin';
import { validateRunPath } from '../lib/schemas/validate';
import { httpHandler } from '../lib/runtime/http';

/** GET /runs/{pgroup}/{run_number}: the run's status, per-source results and progress, check summary. */
export const handler = httpHandler(validateRunPath, async ({ body, caller, app }) => {
  const status = await runStatus(body.pgroup, Number(body.run_number), caller, app);
  return { status: 'ok', message: status.state, run: status };
});
