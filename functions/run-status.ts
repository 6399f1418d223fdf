import { runStatus } from '../lib/core/pgroup-admin';
import { validateRunPath } from '../lib/schemas/validate';
import { deps } from '../lib/runtime/deps';
import { httpHandler } from '../lib/runtime/http';

/** GET /runs/{pgroup}/{run_number}: the run's status, per-source results and check summary. */
export const handler = httpHandler(validateRunPath, async ({ body, caller }) => {
  const status = await runStatus(body.pgroup, Number(body.run_number), caller, deps());
  return { status: 'ok', message: status.state, run: status };
});
