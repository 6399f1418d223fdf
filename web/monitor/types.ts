/** The answers of the monitor's endpoints (lib/core/run-details.ts, lib/quicklook/quicklook.ts), as the page reads them. */
export type RunState = 'accepted' | 'retrieving' | 'done' | 'done_with_problems' | 'failed';
export type SourceState = 'pending' | 'retrieving' | 'done' | 'done_with_problems' | 'failed';
export type Verdict = 'ok' | 'problems';

export interface Progress {
  pulses_written: number;
  pulses_expected: number;
  bytes_written: number;
  rate_pulses_per_s?: number;
  items_done?: number;
  items_total?: number;
  updated: string;
}

export interface RunSummary {
  run_number: number;
  state: RunState;
  reason?: string;
  updated: string;
  request_time: string | null;
  finished: string | null;
  duration_s: number | null;
  sources: { total: number; done: number; failed: number; pending: number; names: string[] };
  size_bytes: number | null;
  verdict: Verdict | null;
  progress?: { pulses_written: number; pulses_expected: number };
}

export interface RunsAnswer {
  beamline: string;
  pgroup: string;
  runs: RunSummary[];
}

export interface LocatedFile {
  path: string;
  size_bytes: number | null;
  modified: string | null;
  problem?: string;
}

export interface MissingPulses {
  ranges: Array<[number, number]>;
  total: number;
  missing: number;
}

export interface ChannelVerdict {
  name: string;
  verdict: Verdict;
  present: boolean;
  problems: string[];
  counts: Record<string, number | boolean | null>;
  missing_pulses?: MissingPulses;
}

export type SourceKind = 'data' | 'image' | 'archiver' | 'detector';

export interface SourceDetails {
  source: string;
  kind: SourceKind;
  state: SourceState;
  reason?: string;
  file: LocatedFile | null;
  progress?: Progress;
  verdict: Verdict | null;
  range?: { start: number; stop: number; rate: number; expected: number; expected_pulses: string };
  channels: ChannelVerdict[];
  channels_total: number;
}

export interface RunLog {
  name: string;
  source: string;
  size_bytes: number | null;
  text: string;
  truncated: boolean;
  problem?: string;
}

export interface RunDetails {
  beamline: string;
  pgroup: string;
  run_number: number;
  state: RunState;
  reason?: string;
  updated: string;
  request_time: string | null;
  finished: string | null;
  duration_s: number | null;
  size_bytes: number;
  request: Record<string, unknown> | null;
  request_problem?: string;
  sources: SourceDetails[];
  logs: RunLog[];
}

export interface SeriesPlot {
  kind: 'series';
  source: string;
  channel: string;
  x: number[];
  y: Array<number | null>;
  min: Array<number | null> | null;
  max: Array<number | null> | null;
  rows: number;
  downsampled: boolean;
  pulses_per_point: number;
  gaps: number;
  values_per_row: number;
}

export interface PresencePlot {
  kind: 'presence';
  source: string;
  range: { start: number; stop: number; rate: number; expected_pulses: string };
  channels: Array<{ name: string; expected: number; found: number; missing: number; pulses_per_cell: number; cells: string; missing_ranges: Array<[number, number]>; missing_ranges_total: number }>;
  channels_total: number;
}

export interface ImagePlot {
  kind: 'image';
  source: string;
  channel: string;
  frame: number;
  frames: number;
  pulse_id: number | null;
  source_width: number;
  source_height: number;
  width: number;
  height: number;
  bin: number;
  scale: 'log';
  min: number | null;
  max: number | null;
  high: number | null;
  png: string;
}

export type PlotAnswer = SeriesPlot | PresencePlot | ImagePlot;

export const FINAL: readonly RunState[] = ['done', 'done_with_problems', 'failed'];
export const isFinal = (state: RunState) => FINAL.includes(state);
