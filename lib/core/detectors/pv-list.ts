/**
 * The beamline's default PV list (the original's EPICS buffer config
 * `sf.<beamline>.epics_buffer.json`): read and replaced by get_pvlist /
 * set_pvlist, and, where the deployment says so, retrieved for a request
 * that carries no `pv_list`.
 */
import { beamlineOf } from '../accept';
import { pedestalStamp } from '../jungfrau/calibration-files';
import type { FacilityConfig, Caller } from '../facility';
import type { PvListStore, StoredPvList } from './ports';

/** The pulse-id PV the facility's EPICS buffer config names (kept in the stored list, as the original saved it). */
export const PULSE_ID_PV = 'SLAAR11-LTIM01-EVR0:RX-PULSEID';

export interface PvListDeps {
  facility: FacilityConfig;
  pvLists: PvListStore;
  now: () => Date;
}

/**
 * GET /get_pvlist: the caller's beamline's list (empty before the first set_pvlist).
 * @example await getPvList(caller, deps) // { beamline: 'alvra', pv_list: ['SARFE10-OPSH044:PRESSURE'], updated: '...' }
 */
export async function getPvList(caller: Caller, deps: PvListDeps): Promise<{ beamline: string; pv_list: string[]; updated?: string }> {
  const beamline = beamlineOf(deps.facility, caller);
  const stored = await deps.pvLists.get(beamline);
  return { beamline, pv_list: stored?.pv_list ?? [], ...(stored ? { updated: stored.updated } : {}) };
}

/**
 * POST /set_pvlist `{pv_list}`: replace the caller's beamline's list,
 * de-duplicated in order; the previous list is kept as a timestamped backup.
 * @example await setPvList(['A:B', 'A:B', 'C:D'], caller, deps) // { beamline: 'alvra', pv_list: ['A:B', 'C:D'] }
 */
export async function setPvList(pvList: readonly string[], caller: Caller, deps: PvListDeps): Promise<{ beamline: string; pv_list: string[] }> {
  const beamline = beamlineOf(deps.facility, caller);
  const now = deps.now();
  const list: StoredPvList = { pv_list: [...new Set(pvList)], pulse_id_pv: PULSE_ID_PV, updated: now.toISOString() };
  await deps.pvLists.put(beamline, list, pedestalStamp(now));
  return { beamline, pv_list: list.pv_list };
}

/** The deployment's choice: which beamlines' requests without `pv_list` get the default list. */
export interface DefaultPvList {
  store: PvListStore;
  appliesTo(beamline: string): boolean;
}

/**
 * The body a run records: as sent, plus the beamline's default `pv_list`
 * when the request has none and the deployment says so (a note says so too).
 * An explicit `"pv_list": []` is the scientist's choice and stays empty.
 *
 * @example await withDefaultPvList({ pgroup: 'p12345', ... }, 'alvra', defaults)
 *   // { body: { ..., pv_list: ['SARFE10-OPSH044:PRESSURE'] }, notes: ['pv_list: none sent, the beamline\'s default list (1 PV) retrieved'] }
 */
export async function withDefaultPvList<T extends Record<string, unknown>>(body: T, beamline: string, defaults: DefaultPvList | undefined): Promise<{ body: T; notes: string[] }> {
  if (!defaults || 'pv_list' in body || !defaults.appliesTo(beamline)) return { body, notes: [] };
  const stored = await defaults.store.get(beamline);
  if (!stored || stored.pv_list.length === 0) return { body, notes: [] };
  const n = stored.pv_list.length;
  return {
    body: { ...body, pv_list: [...stored.pv_list] },
    notes: [`pv_list: none sent, the beamline's default list (set_pvlist, ${n} PV${n === 1 ? '' : 's'}) retrieved; its names were not checked against the archiver`],
  };
}
