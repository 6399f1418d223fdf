/**
 * A run's life: accepted -> retrieving -> done | done_with_problems | failed.
 * Stored beside the bookkeeping in the object store; one record per run.
 */
export type SourceKind = 'data' | 'image' | 'archiver' | 'detector';

export interface SourceResult {
  source: string;
  kind: SourceKind;
  file: string;
  state: 'pending' | 'done' | 'done_with_problems' | 'failed';
  reason?: string;
  check?: unknown;
}

interface RunStatusBase {
  beamline: string;
  pgroup: string;
  run_number: number;
  updated: string;
  sources?: SourceResult[];
  /** Why a run failed, or what went wrong in a run done with problems. */
  reason?: string;
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
