import { pedestalStatus, takePedestal } from '../lib/core/pedestal-run';
import { validateRunPath, validateTakePedestalBody } from '../lib/schemas/validate';
import { httpHandler } from '../lib/runtime/http';

/**
 * POST /take_pedestal `{pgroup, detectors: [...], rate_multiplicator?, pedestalmode?}`: the
 * detectors take dark frames, retrieved as a run into raw/JF_pedestals/, then the pedestal is computed.
 */
export const take = httpHandler(validateTakePedestalBody, async ({ body, caller, app }) => {
  const accepted = await takePedestal(body, caller, app);
  return {
    status: 'ok',
    message: `request to take pedestal sent, wait at least ${accepted.waitSeconds} seconds`,
    run_number: accepted.runNumber,
    stamp: accepted.stamp,
    start_pulseid: accepted.startPulseId,
    stop_pulseid: accepted.stopPulseId,
    files: accepted.files,
  };
});

/** GET /pedestals/{pgroup}/{run_number}: the pedestal run's state and, per detector, its pedestal file. */
export const status = httpHandler(validateRunPath, async ({ body, caller, app }) => {
  const pedestal = await pedestalStatus(body.pgroup, Number(body.run_number), caller, app);
  return { status: 'ok', message: pedestal.state, pedestal };
});
