import type { RunRef, WorkflowInput } from './ports';
import type { SourceKind } from './run-status';
import { SUFFIX } from './paths';
import type { FacilityClock } from './clock';

/** One item of the workflow's Map: which source, and when its buffer may be read. Small: the run record has the rest. */
export interface PlannedItem {
  source: string;
  kind: SourceKind;
  /** ISO time before which the buffer is not read (the original's delays), consumed by a Wait state. */
  not_before: string;
  /** A detector's work item: which part of its pulses (lib/core/detector-work.ts); the Map runs every part in its own worker. */
  part?: number;
}

/** What a Map iteration receives: the run reference and its item (the state machine's ItemSelector builds it). */
export interface WorkItem extends RunRef {
  item: PlannedItem;
}

const KIND_OF: Record<string, SourceKind> = { [SUFFIX.data]: 'data', [SUFFIX.image]: 'image', [SUFFIX.archiver]: 'archiver' };

/** The kind of a source key (`BSREAD`, `CAMERAS`, `PVCHANNELS`, else a detector). */
export const kindOf = (source: string): SourceKind => KIND_OF[source] ?? 'detector';

/**
 * The run's items, one per output file. Data, image and archiver sources
 * wait until `dataSeconds` after the later of the request and the stop
 * pulse (the buffers need that long to hold the pulses: a range reaching
 * into the future waits for it); detectors wait `detectorSeconds`.
 *
 * @example planSources(input, { dataSeconds: 60, detectorSeconds: 10 }, clock).map((s) => s.source) // ['BSREAD', 'JF01T03V01']
 */
export function planSources(input: WorkflowInput, delays: { dataSeconds: number; detectorSeconds: number }, clock: Pick<FacilityClock, 'timeMs'>): PlannedItem[] {
  const from = Math.max(input.request_time_ms, clock.timeMs(BigInt(input.request.stop_pulseid)));
  return Object.keys(input.files).map((source) => {
    const kind = kindOf(source);
    const delay = kind === 'detector' ? delays.detectorSeconds : delays.dataSeconds;
    return { source, kind, not_before: new Date(from + delay * 1000).toISOString() };
  });
}
