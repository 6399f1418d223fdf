/**
 * A run's life: accepted -> retrieving -> done | done_with_problems | failed.
 * Stored beside the bookkeeping in the object store; one record per run.
 */
export type SourceKind = 'data' | 'image' | 'archiver' | 'detector';

/** How far a source has got, reported by its retriever while it works (and its last report once it finished). */
export interface SourceProgress {
  /** Pulses (rows, frames or samples) written so far, and expected in all. */
  pulses_written: number;
  pulses_expected: number;
  bytes_written: number;
  /** Pulses per second over the source's work so far. */
  rate_pulses_per_s?: number;
  /** For a source split into work items: items finished and in all. */
  items_done?: number;
  items_total?: number;
  /** ISO time of the report. */
  updated: string;
}

export interface SourceResult {
  source: string;
  kind: SourceKind;
  file: string;
  state: 'pending' | 'retrieving' | 'done' | 'done_with_problems' | 'failed';
  reason?: string;
  /** The consistency check's summary (lib/core/check/summary.ts); the full check is kept beside the status. */
  check?: unknown;
  progress?: SourceProgress;
}

interface RunStatusBase {
  beamline: string;
  pgroup: string;
  run_number: number;
  updated: string;
  sources?: SourceResult[];
  /** Why a run failed, or what went wrong in a run done with problems. */
  reason?: string;
  /** When the request was accepted and, once final, when the run finished (ISO). */
  request_time?: string;
  finished?: string;
  /** What the broker noted at the door (names not checked, unknown names allowed, part of the range gone). */
  notes?: string[];
}

export type RunStatus =
  | (RunStatusBase & { state: 'accepted' })
  | (RunStatusBase & { state: 'retrieving' })
  | (RunStatusBase & { state: 'done' })
  | (RunStatusBase & { state: 'done_with_problems' })
  | (RunStatusBase & { state: 'failed'; reason: string });

export type RunState = RunStatus['state'];

export function isFinal(state: RunState): boolean {
  switch (state) {
    case 'accepted':
    case 'retrieving':
      return false;
    case 'done':
    case 'done_with_problems':
    case 'failed':
      return true;
    default: {
      const unreachable: never = state;
      return unreachable;
    }
  }
}
