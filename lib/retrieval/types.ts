import type { FacilityClockConfig } from '../core/clock';
import type { WorkflowInput } from '../core/ports';
import type { SourceResult } from '../core/run-status';
import type { RetryPolicy } from '../adapters/buffers/retry';

/**
 * Where the buffers are, read once from configuration (lib/runtime/config.ts)
 * and handed to every retriever. The same retrievers run in Lambda, in the
 * local stack (against the simulators) and in tests.
 */
export interface BufferEndpoints {
  /** Data API 3 base URL of the data buffer (BS channels), e.g. http://127.0.0.1:8371 */
  dataBufferUrl: string;
  /** Data API 3 base URL of the image buffer (cameras, :FPICTURE). */
  imageBufferUrl: string;
  /** EPICS Archiver Appliance base URL (serves /retrieval/data/getData.json). */
  archiverUrl: string;
  /** Root of the detector buffer (holds <DET>/M00/...). */
  detectorBufferRoot: string;
  /** The facility clock (pulse id <-> time), used to give archiver samples their pulse id. */
  clock: FacilityClockConfig;
  /** Retries of transient buffer faults inside one retriever attempt. */
  retry: RetryPolicy;
  /** Longest a retriever may run before it gives up with a clear reason (ms). */
  deadlineMs: number;
}

/** One branch of the workflow: the run plus which source this branch retrieves. */
export interface RetrieverInput extends WorkflowInput {
  /** `BSREAD`, `CAMERAS`, `PVCHANNELS`, or a detector name (JFxxTyyVzz): the key in `files`. */
  source: string;
}

export type { SourceResult };

/** Where a retriever reports how far it has got (throttled and sent by the caller; never awaited). */
export type ProgressSink = (progress: { pulses_written: number; pulses_expected: number; bytes_written: number; items_done?: number; items_total?: number }) => void;
