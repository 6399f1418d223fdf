import { closePgroup } from '../lib/core/pgroup-admin';
import { validatePgroupBody } from '../lib/schemas/validate';
import { httpHandler } from '../lib/runtime/http';

/** POST /close_pgroup_writing `{pgroup}`: every later request for the pgroup is refused; nothing reopens it. */
export const handler = httpHandler(validatePgroupBody, async ({ body, caller, app }) => {
  await closePgroup(body.pgroup, caller, app);
  return { status: 'ok', message: `pgroup ${body.pgroup} is closed for writing` };
});
