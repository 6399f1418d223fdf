import { advanceRunNumber, currentRunNumber } from '../lib/core/pgroup-admin';
import { validatePgroupBody } from '../lib/schemas/validate';
import { httpHandler } from '../lib/runtime/http';

/** GET /get_current_run_number?pgroup=p12345 (or a JSON body `{pgroup}`). */
export const current = httpHandler(validatePgroupBody, async ({ body, caller, app }) => {
  const runNumber = await currentRunNumber(body.pgroup, caller, app);
  return { status: 'ok', message: String(runNumber), run_number: runNumber };
});

/** POST /advance_run_number `{pgroup}`: take the next run number without retrieving. */
export const advance = httpHandler(validatePgroupBody, async ({ body, caller, app }) => {
  const runNumber = await advanceRunNumber(body.pgroup, caller, app);
  return { status: 'ok', message: String(runNumber), run_number: runNumber };
});
