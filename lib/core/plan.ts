import type { WorkflowInput } from './ports';
import type { SourceKind } from './run-status';
import { SUFFIX } from './paths';

/** One branch of the workflow's Map: the run, the source, and when its buffer may be read. */
export interface PlannedSource extends WorkflowInput {
  source: string;
  kind: SourceKind;
  file: string;
  /** ISO time before which the buffer is not read (the original's delays), consumed by a Wait state. */
  not_before: string;
}

const KIND_OF: Record<string, SourceKind> = { [SUFFIX.data]: 'data', [SUFFIX.image]: 'image', [SUFFIX.archiver]: 'archiver' };

/**
 * The run's branches, one per output file. Data, image and archiver sources
 * wait until `dataSeconds` after the request (the buffers need that long to
 * hold the pulses); detectors wait `detectorSeconds`.
 *
 * @example planSources(input, { dataSeconds: 60, detectorSeconds: 10 }).map((s) => s.source) // ['BSREAD', 'JF01T03V01']
 */
export function planSources(input: WorkflowInput, delays: { dataSeconds: number; detectorSeconds: number }): PlannedSource[] {
  return Object.entries(input.files).map(([source, file]) => {
    const kind = KIND_OF[source] ?? 'detector';
    const delay = kind === 'detector' ? delays.detectorSeconds : delays.dataSeconds;
    return { ...input, source, kind, file, not_before: new Date(input.request_time_ms + delay * 1000).toISOString() };
  });
}
