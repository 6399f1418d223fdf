/**
 * Quick-look plots of a run's files, made small on the server:
 *   series    a BS channel or PV against pulse id (<= `points` points, gaps, min/max envelope)
 *   presence  per channel of a source, which expected pulses are there (a strip of <= `points` cells)
 *   image     one camera image or detector frame, binned to <= `size` px a side, log (or linear) colour scale, PNG
 * Same caller rules as GET /runs/{pgroup}/{run_number} (runStatus refuses
 * another beamline); only files the run's status names, resolved inside the
 * pgroup's raw/ (PgroupReader.locate), are read.
 */
import { expectedPulses } from '../core/check';
import { RequestRefused } from '../core/errors';
import type { Caller } from '../core/facility';
import { runStatus } from '../core/pgroup-admin';
import type { RunDetailsDeps } from '../core/run-details';
import type { SourceResult } from '../core/run-status';
import { assemblerFor } from './assemble';
import { palette } from './colormap';
import { pulseIdPath, readFrame, readNumbers, readRowValues, withH5File } from './h5-read';
import { binRaster, colourScale, type Raster } from './image';
import { encodeIndexedPng } from './png';
import { presenceStrip } from './presence';
import type { PlotKind, QuicklookQuery } from './query';
import { downsampleSeries, type SeriesPlot } from './series';

export interface SeriesAnswer extends SeriesPlot {
  kind: 'series';
  source: string;
  channel: string;
  /** Values per row: a waveform channel is plotted as the mean of each row. */
  values_per_row: number;
}

export interface PresenceAnswer {
  kind: 'presence';
  source: string;
  range: { start: number; stop: number; rate: number; expected_pulses: string };
  channels: Array<{
    name: string;
    expected: number;
    found: number;
    missing: number;
    pulses_per_cell: number;
    /** base64 of one byte per cell: 255 = every expected pulse there, 0 = none. */
    cells: string;
    missing_ranges: Array<[number, number]>;
    missing_ranges_total: number;
  }>;
  channels_total: number;
}

export interface ImageAnswer {
  kind: 'image';
  source: string;
  channel: string;
  frame: number;
  frames: number;
  pulse_id: number | null;
  /** The image as stored (after assembly for a detector) and as sent. */
  source_width: number;
  source_height: number;
  width: number;
  height: number;
  bin: number;
  scale: 'log' | 'linear';
  min: number | null;
  max: number | null;
  /** Top of the colour scale (99.9th percentile). */
  high: number | null;
  /** base64 PNG, palette viridis; index 0 (dark grey) = no data. */
  png: string;
}

export type QuicklookAnswer = SeriesAnswer | PresenceAnswer | ImageAnswer;

/** Channels a presence answer covers at most (the page shows the first ones). */
const MAX_PRESENCE_CHANNELS = 200;

/**
 * @example
 *   const plot = await quicklook({ pgroup: 'p12345', run_number: 2, source: 'BSREAD', channel: 'SAR:CH1', frame: 0, points: 1000, size: 1024 }, caller, deps);
 *   plot.kind // 'series'
 */
export async function quicklook(query: QuicklookQuery, caller: Caller, deps: RunDetailsDeps): Promise<QuicklookAnswer> {
  const status = await runStatus(query.pgroup, query.run_number, caller, deps);
  const sources = status.sources ?? [];
  const result = sources.find((s) => s.source === query.source);
  if (!result) {
    throw new RequestRefused('source', `run ${query.run_number} has no source ${query.source}${sources.length ? ` (it has ${sources.map((s) => s.source).join(', ')})` : ' yet: its retrieval has not been planned'}`);
  }
  if (result.state === 'pending') throw new RequestRefused('source', `${result.source} of run ${query.run_number} is still being retrieved: its quick look comes once its file is written`);
  if (result.state === 'failed') throw new RequestRefused('source', `${result.source} of run ${query.run_number} failed (${result.reason ?? 'no reason recorded'}): it has no file to look at`);
  const file = await deps.files.locate(status.beamline, query.pgroup, result.file, { final: true });
  if (file.problem) throw new RequestRefused('source', `the file of ${result.source} can not be read: ${file.path}: ${file.problem}`);
  if (!file.real) throw new RequestRefused('source', `the file of ${result.source} (${file.path}) does not exist`);
  const record = (await deps.files.readRecord(status.beamline, query.pgroup, query.run_number)).record;
  const range = rangeOf(result, record);
  const kind: PlotKind = query.kind ?? (result.kind === 'data' || result.kind === 'archiver' ? 'series' : 'image');
  const real = file.real;

  switch (kind) {
    case 'series': {
      if (result.kind === 'image' || result.kind === 'detector') throw new RequestRefused('kind', `${result.source} holds images: ask for kind=image or kind=presence`);
      const channel = pickChannel(query, result);
      const read = await withH5File(real, (h5) => ({ ids: readNumbers(h5, pulseIdPath(result.kind, channel)), rows: readRowValues(h5, `/data/${channel}/data`) }));
      if (!read.ids || !read.rows) throw new RequestRefused('channel', `${channel} is not in ${file.path}: it has no data in this run`);
      const plot = downsampleSeries(read.ids, read.rows.values, { ...range, maxPoints: query.points, gaps: result.kind !== 'archiver' });
      return { kind: 'series', source: result.source, channel, values_per_row: read.rows.perRow, ...plot };
    }
    case 'presence': {
      if (result.kind === 'archiver') throw new RequestRefused('kind', 'PVs are archived when they change, not per pulse: they have no pulse presence');
      const names = channelsOf(result).slice(0, MAX_PRESENCE_CHANNELS);
      const selected = result.kind === 'detector' ? selectedPulses(record, result.source) : undefined;
      const expected = expectedPulses(range.start, range.stop, range.rate, selected);
      const channels = await withH5File(real, (h5) =>
        names.map((name) => {
          const strip = presenceStrip(readNumbers(h5, pulseIdPath(result.kind, name)) ?? [], expected, query.points);
          return { name, ...strip, cells: Buffer.from(strip.cells).toString('base64') };
        }),
      );
      return { kind: 'presence', source: result.source, range: { ...range, expected_pulses: expected.describe() }, channels, channels_total: channelsOf(result).length };
    }
    case 'image': {
      if (result.kind === 'data' || result.kind === 'archiver') throw new RequestRefused('kind', `${result.source} holds no images: ask for kind=series`);
      const channel = result.kind === 'detector' ? result.source : pickChannel(query, result);
      const base = result.kind === 'detector' ? `/data/${channel}` : `/${channel}`;
      const read = await withH5File(real, (h5) => ({ frame: readFrame(h5, `${base}/data`, query.frame), ids: readNumbers(h5, `${base}/pulse_id`) }));
      if (!read.frame) throw new RequestRefused('channel', `${channel} has no images in ${file.path}`);
      const raster: Raster = result.kind === 'detector'
        ? assemblerFor(channel)({ detector: channel, pixels: read.frame.pixels, height: read.frame.height, width: read.frame.width })
        : { data: read.frame.pixels, width: read.frame.width, height: read.frame.height };
      // Detector frames are mostly dark with a few bright pixels: keep them visible when binning.
      const binned = binRaster(raster, query.size, result.kind === 'detector' ? 'max' : 'mean');
      // Jungfrau frames span photons to noise: log by default; camera images are usually read linearly.
      const scale = query.scale ?? (result.kind === 'detector' ? 'log' : 'linear');
      const scaled = colourScale(binned.data, scale);
      const png = encodeIndexedPng(scaled.indices, binned.width, binned.height, palette());
      const pulse = read.ids?.[query.frame];
      return {
        kind: 'image', source: result.source, channel, frame: query.frame, frames: read.frame.frames,
        pulse_id: pulse === undefined ? null : pulse,
        source_width: raster.width, source_height: raster.height, width: binned.width, height: binned.height, bin: binned.bin,
        scale, min: nullable(scaled.min), max: nullable(scaled.max), high: nullable(scaled.high),
        png: png.toString('base64'),
      };
    }
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
}

/** The run's range and rate: the check's (what it judged), else the request's. */
function rangeOf(result: SourceResult, record: Record<string, unknown> | undefined): { start: number; stop: number; rate: number } {
  const check = result.check as { range?: { start?: unknown; stop?: unknown; rate?: unknown } } | undefined;
  const r = check?.range;
  if (r && typeof r.start === 'number' && typeof r.stop === 'number' && typeof r.rate === 'number') return { start: r.start, stop: r.stop, rate: r.rate };
  const start = Number(record?.start_pulseid);
  const stop = Number(record?.stop_pulseid);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(stop)) throw new RequestRefused('run_number', 'the run record names no pulse range');
  return { start, stop, rate: Number(record?.rate_multiplicator ?? 1) || 1 };
}

/** The channels a source holds, as the check (else the retriever) listed them: the request's names, in its order. */
function channelsOf(result: SourceResult): string[] {
  const check = result.check as { channels?: Record<string, unknown> } | undefined;
  const retrieved = (result as SourceResult & { channels?: Record<string, unknown> }).channels;
  if (result.kind === 'detector') return [result.source];
  return Object.keys(check?.channels ?? retrieved ?? {});
}

/** The channel asked for, if the source has it; by default its first. Only names the run asked for are ever looked up in the file. */
function pickChannel(query: QuicklookQuery, result: SourceResult): string {
  const names = channelsOf(result);
  if (query.channel === undefined) {
    if (names[0] === undefined) throw new RequestRefused('channel', `${result.source} lists no channels`);
    return names[0];
  }
  if (!names.includes(query.channel)) {
    throw new RequestRefused('channel', `${query.channel} is not a channel of ${result.source} in this run (it has ${names.slice(0, 5).join(', ')}${names.length > 5 ? `, and ${names.length - 5} more` : ''})`);
  }
  return query.channel;
}

function selectedPulses(record: Record<string, unknown> | undefined, detector: string): number[] | undefined {
  const options = (record?.detectors as Record<string, { selected_pulse_ids?: unknown }> | undefined)?.[detector];
  return Array.isArray(options?.selected_pulse_ids) ? options.selected_pulse_ids.map(Number) : undefined;
}

const nullable = (n: number) => (Number.isFinite(n) ? n : null);
