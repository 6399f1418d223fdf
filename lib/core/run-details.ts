/**
 * What the run monitor shows beyond GET /runs: per run its request as sent,
 * its output files with their sizes, its logs, the check's verdict per
 * channel with the missing pulses, and the progress inside each source; and
 * for the runs table a summary per run (time, duration, size on disk,
 * verdict). Same caller rules as GET /runs/{pgroup}/{run_number}: the run is
 * looked up through `runStatus`, which refuses another beamline's pgroup.
 * Files are read through a port (lib/quicklook/pgroup-reader.ts), which never
 * reads outside the pgroup's raw/ directory.
 */
import { beamlineOf, outputFiles, parseRequestTime } from './accept';
import { directoryParts, SUFFIX } from './paths';
import { runStatus } from './pgroup-admin';
import { listRuns } from './run-list';
import { isFinal, type RunState, type RunStatus, type SourceKind, type SourceProgress, type SourceResult } from './run-status';
import type { Caller } from './facility';

/** An output file as found below raw/: `path` relative to raw/; `real` the resolved path (never sent), null if absent or refused. */
export interface LocatedFile {
  path: string;
  real: string | null;
  size_bytes: number | null;
  modified: string | null;
  /** Why it can not be shown (outside raw/, a symlink leading out, not a file). */
  problem?: string;
}

export interface RunLogText {
  name: string;
  /** The log's suffix: BSREAD, CAMERAS, PVCHANNELS or a detector. */
  source: string;
  size_bytes: number | null;
  /** The whole log, or its last part when `truncated`. */
  text: string;
  truncated: boolean;
  problem?: string;
}

export interface RunRecordRead {
  record?: Record<string, unknown>;
  problem?: string;
}

export interface MissingPulses {
  /** Missing expected pulse ids as inclusive ranges, the first `maxRanges`. */
  ranges: Array<[number, number]>;
  /** How many ranges in all. */
  total: number;
  /** How many pulses. */
  missing: number;
}

/** The expected pulses of a source (lib/core/check/expected.ts) and how many missing ranges to list. */
export interface ExpectedSpec {
  start: number;
  stop: number;
  rate: number;
  selected?: number[];
  maxRanges: number;
}

/** The pgroup's files as the monitor reads them. */
export interface RunFilesPort {
  readRecord(beamline: string, pgroup: string, runNumber: number): Promise<RunRecordRead>;
  /** A recorded output path, resolved inside raw/ (never throws for a missing or refused file: see `problem`). `final`: it will not change any more. */
  locate(beamline: string, pgroup: string, recordedPath: string, options?: { final?: boolean }): Promise<LocatedFile>;
  readLogs(beamline: string, pgroup: string, runNumber: number, limits: { bytesPerLog: number; totalBytes: number }): Promise<RunLogText[]>;
  missingPulses(file: LocatedFile, kind: 'data' | 'image' | 'detector', channels: string[], expected: ExpectedSpec): Promise<Record<string, MissingPulses>>;
}

export type RunDetailsDeps = Parameters<typeof runStatus>[3] & { files: RunFilesPort; now: () => Date };

export type Verdict = 'ok' | 'problems';

export interface ChannelVerdict {
  name: string;
  verdict: Verdict;
  present: boolean;
  problems: string[];
  /** The check's numbers for this channel (expected, found_unique, missing, duplicates, ...), as the check wrote them. */
  counts: Record<string, number | boolean | null>;
  /** Missing expected pulses, read back from the file (channels with missing pulses only). */
  missing_pulses?: MissingPulses;
}

/** A file as the page sees it: below raw/, never the server's own path. */
export type ShownFile = Omit<LocatedFile, 'real'>;

export interface SourceDetails {
  source: string;
  kind: SourceKind;
  state: SourceResult['state'];
  reason?: string;
  file: ShownFile | null;
  progress?: SourceProgress;
  /** The check's verdict; null before the check ran. */
  verdict: Verdict | null;
  range?: { start: number; stop: number; rate: number; expected: number; expected_pulses: string };
  channels: ChannelVerdict[];
  /** Channels the check judged; `channels` lists at most MAX_CHANNELS_LISTED of them, those with problems first. */
  channels_total: number;
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
  /** From the request to the final state, seconds (null while running). */
  duration_s: number | null;
  size_bytes: number;
  /** raw/.daq/run_NNNNNN.json: the request as sent plus the broker's fields. */
  request: Record<string, unknown> | null;
  request_problem?: string;
  sources: SourceDetails[];
  logs: RunLogText[];
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
  /** Sum of the output files' sizes, bytes; null while the run is not finished. */
  size_bytes: number | null;
  verdict: Verdict | null;
  /** Pulses written/expected over the sources that report progress. */
  progress?: { pulses_written: number; pulses_expected: number };
}

export const LOG_LIMITS = { bytesPerLog: 64 * 1024, totalBytes: 512 * 1024 };
const MAX_CHANNELS_LISTED = 1000;
/** Channels per source whose missing pulses are read back from the file. */
const MAX_CHANNELS_WITH_RANGES = 64;
const MAX_RANGES = 50;

/**
 * One run for the monitor's run page.
 *
 * @example
 *   const details = await runDetails('p12345', 2, { sourceIp: '127.0.0.1' }, { ...deps(), files: new PgroupReader(dataRoot) });
 *   details.sources[0].channels[0] // { name: 'SAR-CVME-TIFALL5:EvtSet', verdict: 'ok', present: true, problems: [], counts: {...} }
 */
export async function runDetails(pgroup: string, runNumber: number, caller: Caller, deps: RunDetailsDeps): Promise<RunDetails> {
  const status = await runStatus(pgroup, runNumber, caller, deps);
  const { beamline } = status;
  const read = await deps.files.readRecord(beamline, pgroup, runNumber);
  const final = isFinal(status.state);
  const results = status.sources ?? plannedSources(read.record, runNumber);
  const sources = await Promise.all(results.map((result) => sourceDetails(beamline, pgroup, result, read.record, final, deps.files)));
  const times = timesOf(status, read.record);
  return {
    beamline,
    pgroup,
    run_number: runNumber,
    state: status.state,
    ...(status.reason !== undefined ? { reason: status.reason } : {}),
    updated: status.updated,
    ...times,
    size_bytes: sources.reduce((sum, s) => sum + (s.file?.size_bytes ?? 0), 0),
    request: read.record ?? null,
    ...(read.problem ? { request_problem: read.problem } : {}),
    sources,
    logs: await deps.files.readLogs(beamline, pgroup, runNumber, LOG_LIMITS),
  };
}

/**
 * The pgroup's latest runs for the monitor's table, newest first.
 *
 * @example (await runSummaries('p12345', caller, deps, 100)).runs[0] // { run_number: 7, state: 'retrieving', sources: { total: 4, done: 1, ... }, ... }
 */
export async function runSummaries(pgroup: string, caller: Caller, deps: RunDetailsDeps, limit: number): Promise<{ beamline: string; runs: RunSummary[] }> {
  const statuses = await listRuns(pgroup, caller, deps, limit);
  // listRuns refused a foreign caller already; an empty list still names the caller's beamline.
  const beamline = statuses[0]?.beamline ?? beamlineOf(deps.facility, caller);
  const runs = await mapLimited([...statuses].reverse(), 8, (status) => summaryOf(status, deps.files));
  return { beamline, runs };
}

async function summaryOf(status: RunStatus, files: RunFilesPort): Promise<RunSummary> {
  const record = (await files.readRecord(status.beamline, status.pgroup, status.run_number)).record;
  const final = isFinal(status.state);
  const sources = status.sources ?? [];
  let size: number | null = null;
  if (final) {
    const located = await Promise.all(sources.filter((s) => s.file).map((s) => files.locate(status.beamline, status.pgroup, s.file, { final: true })));
    size = located.some((f) => f.size_bytes !== null) ? located.reduce((sum, f) => sum + (f.size_bytes ?? 0), 0) : null;
  }
  const progress = sources.map(progressOf).filter((p): p is SourceProgress => p !== undefined);
  const planned = sources.length > 0 ? sources.map((s) => s.source) : plannedSources(record, status.run_number).map((s) => s.source);
  return {
    run_number: status.run_number,
    state: status.state,
    ...(status.reason !== undefined ? { reason: status.reason } : {}),
    updated: status.updated,
    ...timesOf(status, record),
    sources: {
      total: planned.length,
      done: sources.filter((s) => s.state === 'done' || s.state === 'done_with_problems').length,
      failed: sources.filter((s) => s.state === 'failed').length,
      pending: planned.length - sources.filter((s) => s.state !== 'pending').length,
      names: planned,
    },
    size_bytes: size,
    verdict: runVerdict(sources),
    ...(progress.length > 0
      ? { progress: { pulses_written: sum(progress.map((p) => p.pulses_written)), pulses_expected: sum(progress.map((p) => p.pulses_expected)) } }
      : {}),
  };
}

/** `problems` if any source's check found some, `ok` if every checked source is ok, null if nothing was checked. */
export function runVerdict(sources: SourceResult[]): Verdict | null {
  const verdicts = sources.map((s) => checkOf(s)?.verdict).filter((v): v is Verdict => v === 'ok' || v === 'problems');
  if (verdicts.length === 0) return null;
  return verdicts.includes('problems') ? 'problems' : 'ok';
}

/**
 * Request time and end of a run: the status's own (a later status carries them) or else the
 * record's request_time and, once final, the status's last update.
 */
export function timesOf(status: RunStatus, record: Record<string, unknown> | undefined): { request_time: string | null; finished: string | null; duration_s: number | null } {
  const extra = status as RunStatus & { request_time?: unknown; finished?: unknown };
  const requestMs = isoMs(extra.request_time) ?? (typeof record?.request_time === 'string' ? finite(parseRequestTime(record.request_time)) : undefined);
  const finishedMs = isoMs(extra.finished) ?? (isFinal(status.state) ? isoMs(status.updated) : undefined);
  return {
    request_time: requestMs === undefined ? null : new Date(requestMs).toISOString(),
    finished: finishedMs === undefined ? null : new Date(finishedMs).toISOString(),
    duration_s: requestMs !== undefined && finishedMs !== undefined ? Math.max(0, (finishedMs - requestMs) / 1000) : null,
  };
}

/** A source's progress if the status carries a well-formed one. */
export function progressOf(source: SourceResult): SourceProgress | undefined {
  const p = (source as SourceResult & { progress?: unknown }).progress;
  if (!isRecord(p)) return undefined;
  const num = (k: string) => (typeof p[k] === 'number' && Number.isFinite(p[k]) ? (p[k] as number) : undefined);
  const written = num('pulses_written');
  const expected = num('pulses_expected');
  if (written === undefined || expected === undefined) return undefined;
  const optional = (['rate_pulses_per_s', 'items_done', 'items_total'] as const).flatMap((k) => (num(k) === undefined ? [] : [[k, num(k)!] as const]));
  return {
    pulses_written: written,
    pulses_expected: expected,
    bytes_written: num('bytes_written') ?? 0,
    ...Object.fromEntries(optional),
    updated: typeof p.updated === 'string' ? p.updated : '',
  };
}

/** Before the plan ran, the sources a run will have, from its record (no files or states yet). */
export function plannedSources(record: Record<string, unknown> | undefined, runNumber: number): SourceResult[] {
  if (!record) return [];
  const list = (key: string) => (Array.isArray(record[key]) ? (record[key] as unknown[]).filter((x): x is string => typeof x === 'string') : []);
  const detectors = isRecord(record.detectors) ? record.detectors : {};
  let parts: string[];
  try {
    parts = directoryParts(typeof record.directory_name === 'string' ? record.directory_name : undefined);
  } catch {
    parts = [];
  }
  const files = outputFiles(parts.join('/'), runNumber, {
    channels_list: list('channels_list'),
    camera_list: list('camera_list'),
    pv_list: list('pv_list'),
    detectors,
  } as unknown as Parameters<typeof outputFiles>[2]);
  const kindOf = (source: string): SourceKind => (source === SUFFIX.data ? 'data' : source === SUFFIX.image ? 'image' : source === SUFFIX.archiver ? 'archiver' : 'detector');
  return Object.keys(files).map((source) => ({ source, kind: kindOf(source), file: '', state: 'pending' as const }));
}

async function sourceDetails(beamline: string, pgroup: string, result: SourceResult, record: Record<string, unknown> | undefined, final: boolean, files: RunFilesPort): Promise<SourceDetails> {
  const written = result.state === 'done' || result.state === 'done_with_problems';
  const file = result.file ? await files.locate(beamline, pgroup, result.file, { final }) : null;
  const check = checkOf(result);
  const progress = progressOf(result);
  const judged = check ? channelVerdicts(check) : [];
  const details: SourceDetails = {
    source: result.source,
    kind: result.kind,
    state: result.state,
    ...(result.reason !== undefined ? { reason: result.reason } : {}),
    file: file && !written && file.real === null && !file.problem ? null : file && shown(file),
    ...(progress ? { progress } : {}),
    verdict: check?.verdict ?? null,
    ...(check?.range ? { range: check.range } : {}),
    channels: judged.slice(0, MAX_CHANNELS_LISTED),
    channels_total: judged.length,
  };
  if (check?.range && file?.real && result.kind !== 'archiver') await addMissingPulses(details, result, check.range, record, file, files);
  return details;
}

/** Read back which pulses the channels with missing pulses lack (at most MAX_CHANNELS_WITH_RANGES of them). */
async function addMissingPulses(details: SourceDetails, result: SourceResult, range: CheckSummary['range'], record: Record<string, unknown> | undefined, file: LocatedFile, files: RunFilesPort): Promise<void> {
  const kind = result.kind as 'data' | 'image' | 'detector';
  const wanted = details.channels.filter((c) => c.present && typeof c.counts.missing === 'number' && c.counts.missing > 0).slice(0, MAX_CHANNELS_WITH_RANGES);
  if (wanted.length === 0 || !range) return;
  const detectorOptions = kind === 'detector' && isRecord(record?.detectors) ? record.detectors[result.source] : undefined;
  const selected = isRecord(detectorOptions) && Array.isArray(detectorOptions.selected_pulse_ids) ? (detectorOptions.selected_pulse_ids as unknown[]).map(Number) : undefined;
  try {
    const found = await files.missingPulses(file, kind, wanted.map((c) => c.name), { start: range.start, stop: range.stop, rate: range.rate, ...(selected ? { selected } : {}), maxRanges: MAX_RANGES });
    for (const channel of wanted) if (found[channel.name]) channel.missing_pulses = found[channel.name];
  } catch {
    // The verdict stands without the list; the quick-look endpoint says why the file can not be read.
  }
}

interface CheckSummary {
  verdict: Verdict;
  range?: SourceDetails['range'];
  channels: Record<string, unknown>;
}

/** The check a source result holds (lib/core/check/types.ts SourceCheck), read defensively: `check` is `unknown` in the status. */
function checkOf(result: SourceResult): CheckSummary | undefined {
  const check = result.check;
  if (!isRecord(check) || (check.verdict !== 'ok' && check.verdict !== 'problems')) return undefined;
  const range = isRecord(check.range) && typeof check.range.start === 'number' && typeof check.range.stop === 'number' ? (check.range as SourceDetails['range']) : undefined;
  return { verdict: check.verdict, ...(range ? { range } : {}), channels: isRecord(check.channels) ? check.channels : {} };
}

/** Per channel: ok or its problems, and its numbers; channels with problems first, then in the check's (the user's) order. */
function channelVerdicts(check: CheckSummary): ChannelVerdict[] {
  const out: ChannelVerdict[] = [];
  for (const [name, value] of Object.entries(check.channels)) {
    if (!isRecord(value)) continue;
    const problems = Array.isArray(value.problems) ? value.problems.map(String) : [];
    const counts: Record<string, number | boolean | null> = {};
    for (const [k, v] of Object.entries(value)) if (typeof v === 'number' || typeof v === 'boolean' || v === null) counts[k] = v;
    out.push({ name, verdict: problems.length > 0 ? 'problems' : 'ok', present: value.present !== false, problems, counts });
  }
  return out.sort((a, b) => Number(b.verdict === 'problems') - Number(a.verdict === 'problems'));
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

const shown = ({ real: _real, ...file }: LocatedFile): ShownFile => file;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const finite = (n: number) => (Number.isFinite(n) ? n : undefined);
const isoMs = (v: unknown) => (typeof v === 'string' ? finite(Date.parse(v)) : undefined);
