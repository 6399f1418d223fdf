import { acceptRetrieve } from '../lib/core/accept';
import { validateRetrieveBody } from '../lib/schemas/validate';
import { deps } from '../lib/runtime/deps';
import { httpHandler } from '../lib/runtime/http';

/** POST /retrieve_from_buffers: `{status:"ok", message:"<run>", run_number, files}` or `{status:"failed", message}`. */
export const handler = httpHandler(validateRetrieveBody, async ({ body, caller }) => {
  const accepted = await acceptRetrieve(body, caller, deps());
  return { status: 'ok', message: String(accepted.runNumber), run_number: accepted.runNumber, files: Object.values(accepted.files) };
});
