import type { RunState, RunStatus, SourceResult } from '../core/run-status';
import type { RetrieveRequestBody } from '../schemas/retrieve-request';
import type { DetectorPedestal, PedestalStatus } from '../core/detectors/ports';

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

/** GET /get_allowed_detectors: the caller's beamline's detectors, aligned with their descriptions and live views. */
export interface AllowedDetectorsReply {
  status: 'ok';
  message: string;
  detectors: string[];
  descriptions: string[];
  visualisation_address: Array<string | null>;
}

/** GET /get_running_detectors: `detectors` is `running_detectors` (the original's field). */
export interface RunningDetectorsReply {
  status: 'ok';
  message: string;
  detectors: string[];
  running_detectors: string[];
  missing_detectors: string[];
  limping_detectors: Record<string, { running_modules: number[]; missing_modules: number[] }>;
}

/** GET /get_pvlist and POST /set_pvlist. */
export interface PvListReply {
  status: 'ok';
  message: string;
  pv_list: string[];
  updated?: string;
}

/** An answer with only a message (power_on_detector). */
export interface MessageReply {
  status: 'ok';
  message: string;
}

/** The body of POST /take_pedestal. */
export interface TakePedestalRequest {
  pgroup: string;
  detectors: string[];
  rate_multiplicator?: number;
  pedestalmode?: boolean;
}

/** POST /take_pedestal: the run retrieving the dark frames, and the pedestal's stamp. */
export interface TakePedestalReply {
  status: 'ok';
  message: string;
  run_number: number;
  stamp: string;
  start_pulseid: number;
  stop_pulseid: number;
  files: string[];
}

/** GET /pedestals/{pgroup}/{run_number}. */
export interface PedestalStatusReply {
  status: 'ok';
  message: PedestalStatus['state'];
  pedestal: PedestalStatus;
}

export type { PedestalStatus, DetectorPedestal };
