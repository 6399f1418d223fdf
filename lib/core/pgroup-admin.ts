import { beamlineOf, type AcceptDeps } from './accept';
import { aggregateProgress } from './detector-progress';
import { PgroupClosed, RequestRefused } from './errors';
import type { ProgressStore, RunRecordStore } from './ports';
import { isFinal, type RunStatus } from './run-status';
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

/**
 * A run's status (accepted -> retrieving -> done | done_with_problems | failed),
 * for the caller's own beamline only. While the run retrieves, each source
 * carries its retriever's last progress report.
 */
export async function runStatus(pgroup: string, runNumber: number, caller: Caller, deps: AdminDeps & { store: RunRecordStore; progress: ProgressStore }): Promise<RunStatus> {
  const beamline = beamlineOf(deps.facility, caller);
  await deps.fs.checkPgroupExists(beamline, pgroup);
  const status = await deps.store.getStatus(beamline, pgroup, runNumber);
  if (!status) {
    const last = await deps.counter.current(beamline, pgroup);
    if (runNumber >= 1 && runNumber <= last) {
      throw new RequestRefused('run_number', `run ${runNumber} of pgroup ${pgroup} was taken by advance_run_number (or its request was lost before it was recorded) and has no retrieval`);
    }
    throw new RequestRefused('run_number', `run ${runNumber} of pgroup ${pgroup} does not exist (the last run is ${last})`);
  }
  if (isFinal(status.state) || !status.sources) return status;
  // Detectors split into parts report per part (`<DET>#<part>`): one entry per detector here.
  const progress = aggregateProgress(await deps.progress.read({ beamline, pgroup, run_number: runNumber }));
  return {
    ...status,
    sources: status.sources.map((source) => {
      const last = progress[source.source];
      return last ? { ...source, state: source.state === 'pending' ? 'retrieving' : source.state, progress: last } : source;
    }),
  };
}
