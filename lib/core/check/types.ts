/**
 * What the consistency check (the seed's "Check") takes and gives. Pure data:
 * the retrieval layer reads the files and hands the arrays over; the summary
 * is JSON-safe (numbers, no BigInt) so it can travel in the run's status.
 */
import type { RunRequest } from '../run-request';
import type { SourceKind } from '../run-status';

/** Integer arrays as a file reader or a test has them. */
export type IntArray = ArrayLike<number | bigint>;

/** The request fields the check needs. */
export type CheckRequest = Pick<RunRequest, 'start_pulseid' | 'stop_pulseid' | 'rate_multiplicator'> & Partial<Pick<RunRequest, 'detectors'>>;

/** A BS channel or a camera: its pulse ids in file order; absent = the channel is not in the file. */
export interface PulseChannelData {
  name: string;
  pulseIds?: IntArray;
}

/** A PV: one row per archived sample (its pulse id, and its time in ns when the file has it). */
export interface PvChannelData {
  name: string;
  pulseIds?: IntArray;
  timestamps?: IntArray;
}

/** A Jungfrau file's four per-frame datasets; an absent one is reported. */
export interface DetectorData {
  name: string;
  pulseIds?: IntArray;
  frameIndex?: IntArray;
  isGoodFrame?: IntArray;
  daqRec?: IntArray;
  /** Rows of `data` (undefined: not looked at). */
  dataRows?: number;
  /** A converted file (its image groups) instead of the raw layout (lib/core/check/converted.ts). */
  converted?: import('./converted').ConvertedData;
  /** What reading the whole file found wrong (a part of an assembled file missing or disagreeing). */
  fileProblems?: string[];
}

export type Verdict = 'ok' | 'problems';

/** One BS channel or camera. Pulse ids are numbers; null where there is none. */
/** What one pass over a channel's pulse ids counts (lib/core/check/pulse-scan.ts). */
export interface PulseCounts {
  /** Rows in the file. */
  rows: number;
  /** Distinct expected pulse ids found. */
  found_unique: number;
  /** First and last expected pulse id found, in file order. */
  first: number | null;
  last: number | null;
  /** Rows repeating a pulse id of an earlier row. */
  duplicates: number;
  /** Rows outside [start, stop], except tolerated edge rows. */
  out_of_range: number;
  /** Rows at start-1 or stop+1 that carry no beam at this rate: what the widened query brings; tolerated. */
  edge: number;
  /** Rows inside [start, stop] whose pulse carries no beam at this rate: not counted, not a problem. */
  off_rate: number;
  /** Pulse ids never decrease from row to row. */
  monotonic: boolean;
  /** Expected pulses not found. */
  missing: number;
}

export interface PulseChannelCheck extends PulseCounts {
  present: boolean;
  /** Pulses expected: every p in [start, stop] with p % rate == 0. */
  expected: number;
  expected_first: number | null;
  expected_last: number | null;
  problems: string[];
}

/** A detector: the pulse checks plus its frame checks. */
export interface DetectorCheck extends PulseChannelCheck {
  /** Lengths of pulse_id, frame_index, is_good_frame, daq_rec (null = dataset absent). */
  lengths: { pulse_id: number | null; frame_index: number | null; is_good_frame: number | null; daq_rec: number | null };
  /** Frames with is_good_frame != 1. */
  bad_frames: number;
  /** Consecutive good frames whose pulse ids are not one expected step apart. */
  pulse_id_jumps: number;
  /** Consecutive good frames whose frame_index does not advance with the pulse id at the run's usual pace. */
  frame_index_jumps: number;
  /** The run's usual pace: frame_index steps per pulse id step (1 = a 100 Hz frame counter), null if not measurable. */
  frame_index_per_pulse: number | null;
  /** Findings that are no problem (a converted file's frames not kept). */
  notes?: string[];
}

/** A PV (values archived on change): no counts, only order and a value at the run's start. */
export interface PvChannelCheck {
  present: boolean;
  samples: number;
  before_start: number;
  in_range: number;
  after_stop: number;
  /** First and last sample's pulse id. */
  first: number | null;
  last: number | null;
  /** Pulse ids (and timestamps, when given) never decrease. */
  monotonic: boolean;
  /** A sample before or at the run's start gives the value the run started with. */
  value_at_start: boolean;
  problems: string[];
}

interface SourceCheckBase {
  /** BSREAD, CAMERAS, PVCHANNELS or the detector name. */
  source: string;
  verdict: Verdict;
  /** The request the check judged against. */
  range: { start: number; stop: number; rate: number; expected: number; expected_pulses: string };
}

export type SourceCheck =
  | (SourceCheckBase & { kind: 'data' | 'image'; channels: Record<string, PulseChannelCheck> })
  | (SourceCheckBase & { kind: 'archiver'; channels: Record<string, PvChannelCheck> })
  | (SourceCheckBase & { kind: 'detector'; channels: Record<string, DetectorCheck> });

export type { SourceKind };
