import { beamlineOf, type AcceptDeps } from './accept';
import { RequestRefused } from './errors';
import type { Caller } from './facility';
import type { RunRecordStore } from './ports';
import type { RunStatus } from './run-status';

export const DEFAULT_RUN_LIST_LIMIT = 100;
export const MAX_RUN_LIST_LIMIT = 1000;

/**
 * `?limit=` of GET /runs/{pgroup}: absent = the default, else 1..1000.
 * @example runListLimit('20') // 20
 */
export function runListLimit(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_RUN_LIST_LIMIT;
  const text = String(value);
  const limit = /^[0-9]{1,6}$/.test(text) ? Number(text) : NaN;
  if (!(limit >= 1 && limit <= MAX_RUN_LIST_LIMIT)) throw new RequestRefused('limit', `limit must be a whole number from 1 to ${MAX_RUN_LIST_LIMIT}, not ${JSON.stringify(value)}`);
  return limit;
}

/**
 * The latest runs of a pgroup of the caller's own beamline, in run order
 * (runs whose number was taken by advance_run_number have no status and are
 * not listed).
 *
 * @example (await listRuns('p12345', caller, deps, 100)).map((r) => [r.run_number, r.state]) // [[1, 'done'], [2, 'retrieving']]
 */
export async function listRuns(pgroup: string, caller: Caller, deps: Pick<AcceptDeps, 'facility' | 'fs'> & { store: RunRecordStore }, limit: number): Promise<RunStatus[]> {
  const beamline = beamlineOf(deps.facility, caller);
  await deps.fs.checkPgroupExists(beamline, pgroup);
  return deps.store.listStatuses(beamline, pgroup, { limit });
}
