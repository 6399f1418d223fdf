import { acceptRetrieve } from '../lib/core/accept';
import { acceptWithKey } from '../lib/core/idempotency';
import { validateRetrieveBody } from '../lib/schemas/validate';
import { httpHandler } from '../lib/runtime/http';

/**
 * POST /retrieve_from_buffers: `{status:"ok", message:"<run>", run_number, files}` or `{status:"failed", message}`.
 * With an `Idempotency-Key` header, a re-sent request gets the first one's answer (lib/core/idempotency.ts);
 * without one, every request is a new run, as in the original.
 */
export const handler = httpHandler(validateRetrieveBody, async ({ body, caller, event, app }) => {
  const key = event.headers?.['idempotency-key'];
  const accepted = key === undefined ? await acceptRetrieve(body, caller, app) : await acceptWithKey(body, caller, key, app);
  return { status: 'ok', message: String(accepted.runNumber), run_number: accepted.runNumber, files: Object.values(accepted.files) };
});
