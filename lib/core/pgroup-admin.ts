import { beamlineOf, type AcceptDeps } from './accept';
import { PgroupClosed, RequestRefused } from './errors';
import type { RunRecordStore } from './ports';
import type { RunStatus } from './run-status';
import type { Caller } from './facility';

type AdminDeps = Pick<AcceptDeps, 'facility' | 'counter' | 'fs'>;

/** The pgroup's last run number (0 before the first run); only for the caller's own beamline. */
export async function currentRunNumber(pgroup: string, caller: Caller, deps: AdminDeps): Promise<number> {
  const beamline = beamlineOf(deps.facility, caller);
  await deps.fs.checkPgroupExists(beamline, pgroup);
  return deps.counter.current(beamline, pgroup);
}

/** Take the next run number without a retrieve (a run acquired outside the broker). Refused for a closed pgroup. */
export async function advanceRunNumber(pgroup: string, caller: Caller, deps: AdminDeps): Promise<number> {
  const beamline = beamlineOf(deps.facility, caller);
  await deps.fs.checkPgroupWritable(beamline, pgroup);
  if (await deps.fs.isClosed(beamline, pgroup)) throw new PgroupClosed(pgroup, `pgroup ${pgroup} of ${beamline}`);
  return deps.counter.next(beamline, pgroup);
}

/** Close the pgroup for writing: in the counter (atomic with allocation) and as raw/.daq/CLOSED. Nothing reopens it. */
export async function closePgroup(pgroup: string, caller: Caller, deps: AdminDeps): Promise<void> {
  const beamline = beamlineOf(deps.facility, caller);
  await deps.fs.checkPgroupWritable(beamline, pgroup);
  await deps.counter.close(beamline, pgroup);
  await deps.fs.markClosed(beamline, pgroup);
}

/** A run's status (accepted -> retrieving -> done | done_with_problems | failed), for the caller's own beamline only. */
export async function runStatus(pgroup: string, runNumber: number, caller: Caller, deps: AdminDeps & { store: RunRecordStore }): Promise<RunStatus> {
  const beamline = beamlineOf(deps.facility, caller);
  await deps.fs.checkPgroupExists(beamline, pgroup);
  const status = await deps.store.getStatus(beamline, pgroup, runNumber);
  if (!status) throw new RequestRefused('run_number', `run ${runNumber} of pgroup ${pgroup} does not exist`);
  return status;
}
