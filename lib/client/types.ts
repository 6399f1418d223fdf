import type { RunState, RunStatus, SourceResult } from '../core/run-status';
import type { RetrieveRequestBody } from '../schemas/retrieve-request';

/** The body of POST /retrieve_from_buffers (the one JSON Schema's type; unknown keys are kept in the bookkeeping). */
export type RetrieveRequest = RetrieveRequestBody;

/** An accepted request: `message` is the run number as a string (the 2020 contract), `run_number` the same as a number. */
export interface RetrieveReply {
  status: 'ok';
  message: string;
  run_number: number;
  files: string[];
}

/** get_current_run_number and advance_run_number. */
export interface RunNumberReply {
  status: 'ok';
  message: string;
  run_number: number;
}

export interface CloseReply {
  status: 'ok';
  message: string;
}

/** GET /runs/{pgroup}/{run_number}: `message` is the run's state. */
export interface RunStatusReply {
  status: 'ok';
  message: RunState;
  run: RunStatus;
}

/** GET /runs/{pgroup}: the pgroup's runs that have a status, in run order. */
export interface RunListReply {
  status: 'ok';
  message: string;
  runs: RunStatus[];
}

/** What a name is: a BS channel (data buffer), a camera (image buffer), an EPICS PV (archiver). */
export type NameKind = 'bs' | 'camera' | 'pv';

/**
 * GET /channels?search=PATTERN[&kind=bs,camera,pv][&limit=N]: the names that
 * match, sorted (case-insensitive), at most `limit` (default 100, max 1000).
 * `unavailable` lists the catalogues that did not answer: the list is then
 * incomplete (the message says so).
 */
export interface ChannelsReply {
  status: 'ok';
  message: string;
  channels: Array<{ name: string; kind: NameKind; backend: string }>;
  total?: number;
  truncated?: boolean;
  unavailable?: Array<{ kind: NameKind; backend: string; buffer: string; why: string }>;
}

/** The local stack's clock helper, GET /local/current_pulse_id. */
export interface PulseIdReply {
  pulse_id: number;
  time?: string;
}

export type { RunState, RunStatus, SourceResult };
