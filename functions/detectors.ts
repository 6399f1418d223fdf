import { allowedDetectors, powerOnDetector, runningDetectors } from '../lib/core/detectors/endpoints';
import { getPvList, setPvList } from '../lib/core/detectors/pv-list';
import { validateNoParameters, validatePowerOnBody, validateSetPvListBody } from '../lib/schemas/validate';
import { httpHandler } from '../lib/runtime/http';

/** GET /get_allowed_detectors: the caller's beamline's detectors, their descriptions and live views. */
export const allowed = httpHandler(validateNoParameters('get_allowed_detectors'), async ({ caller, app }) => {
  const { beamline, ...answer } = allowedDetectors(app.facility, caller);
  return { status: 'ok', message: `successfully retrieved list of allowed detectors for ${beamline}`, ...answer };
});

/** GET /get_running_detectors: which of them write frames now (LATEST markers younger than 30 s). */
export const running = httpHandler(validateNoParameters('get_running_detectors'), async ({ caller, app }) => {
  const { beamline, ...answer } = await runningDetectors(app.facility, caller, app.markers);
  return { status: 'ok', message: `successfully retrieved list of running detectors for ${beamline}`, detectors: answer.running_detectors, ...answer };
});

/** GET /get_pvlist: the beamline's default PV list. */
export const getPvlist = httpHandler(validateNoParameters('get_pvlist'), async ({ caller, app }) => {
  const { beamline, pv_list, updated } = await getPvList(caller, app);
  return { status: 'ok', message: `successfully retrieved list of PVs of ${beamline}`, pv_list, ...(updated ? { updated } : {}) };
});

/** POST /set_pvlist `{pv_list}`: replace it (de-duplicated in order; the previous list kept as a backup). */
export const setPvlist = httpHandler(validateSetPvListBody, async ({ body, caller, app }) => {
  const { beamline, pv_list } = await setPvList(body.pv_list, caller, app);
  return { status: 'ok', message: `successfully set list of PVs of ${beamline} (${pv_list.length})`, pv_list };
});

/** POST /power_on_detector `{detector_name}`: through the detector control (the simulator locally; refused elsewhere). */
export const powerOn = httpHandler(validatePowerOnBody, async ({ body, caller, app }) => {
  const { message } = await powerOnDetector(body.detector_name, app.facility, caller, app.control);
  return { status: 'ok', message };
});
