import type { FacilityClock } from './clock';
import { RequestRefused } from './errors';
import { detectorRange, queryRange } from './rate';
import { MAX_PULSES_PER_REQUEST } from '../schemas/retrieve-request';

/** The kinds of buffer a run reads. */
export type BufferKind = 'data' | 'image' | 'archiver' | 'detector';

/** One buffer a request reads: `data`, `image`, `archiver`, or `detector:<NAME>` (each detector on its own). */
export interface SourceBuffer {
  id: string;
  kind: BufferKind;
}

/** What a buffer keeps. */
export interface BufferRetention {
  /** How long it keeps data, ms (configured); absent: forever (the archiver, usually). */
  keepsMs?: number;
  /**
   * The oldest pulse it holds now, when known better than from keepsMs (the
   * detector buffer's listing: lib/adapters/buffers/detector/oldest-pulse.ts).
   */
  oldestPulseId?: number;
}

export interface RangeCheckInput {
  start: number;
  stop: number;
  /** rate_multiplicator: the pulses actually read (queryRange, detectorRange). Default 1. */
  rate?: number;
  /** The buffers the request reads (sourceBuffersOf). */
  buffers: readonly SourceBuffer[];
  /** By buffer id (`detector:JF01T03V01`) or, for all of a kind, by kind (`detector`). */
  retention: Readonly<Record<string, BufferRetention | undefined>>;
  /** The usual wait after the stop pulse before reading, ms, by kind (facility: 60 s data/image/archiver, 10 s detector). */
  delaysMs: Partial<Record<BufferKind, number>>;
  clock: Pick<FacilityClock, 'timeMs' | 'pulseIdAt'>;
  nowMs: number;
  /** The latest stop accepted, in pulses after the pulse firing now (default 60,001: the longest request, ~10 minutes). */
  horizonPulses?: number;
}

export type RangeCheck =
  | {
      ok: true;
      /** When every buffer will hold the stop pulse for its usual delay: the workflow waits until then, ms since 1970. */
      notBeforeMs: number;
      /** The same per buffer id (each branch may wait for its own). */
      notBefore: Record<string, number>;
      /** For the run log: buffers that lost part or all of the range. */
      notes: string[];
    }
  | { ok: false; refusal: RequestRefused };

const LABEL: Record<BufferKind, string> = { data: 'data buffer', image: 'image buffer', archiver: 'archiver', detector: 'detector buffer' };
const labelOf = (b: SourceBuffer) => (b.kind === 'detector' ? `detector buffer (${b.id.slice('detector:'.length)})` : LABEL[b.kind]);

/**
 * The buffers a request reads.
 *
 * @example sourceBuffersOf({ channels_list: ['A'], detectors: { JF01T03V01: {} } }) // [{id:'data',kind:'data'}, {id:'detector:JF01T03V01',kind:'detector'}]
 */
export function sourceBuffersOf(request: { channels_list?: readonly unknown[]; camera_list?: readonly unknown[]; pv_list?: readonly unknown[]; detectors?: Readonly<Record<string, unknown>> }): SourceBuffer[] {
  const out: SourceBuffer[] = [];
  if ((request.channels_list?.length ?? 0) > 0) out.push({ id: 'data', kind: 'data' });
  if ((request.camera_list?.length ?? 0) > 0) out.push({ id: 'image', kind: 'image' });
  if ((request.pv_list?.length ?? 0) > 0) out.push({ id: 'archiver', kind: 'archiver' });
  for (const name of Object.keys(request.detectors ?? {})) out.push({ id: `detector:${name}`, kind: 'detector' });
  return out;
}

/**
 * Is the range still (or soon) in the buffers? Pure: the caller passes the
 * clock, now, retentions and delays.
 *
 * - Beyond the horizon (stop more than `horizonPulses` after the pulse
 *   firing now): refused on `stop_pulseid`, with the numbers.
 * - Gone from every buffer asked (its last pulse read older than the
 *   buffer's oldest pulse when the retrieval will read, i.e. at
 *   max(now, stop's time + delay)): refused on `start_pulseid`, naming each
 *   buffer, what it keeps and its oldest pulse, and which pulses to ask for.
 * - Otherwise accepted with `notBeforeMs`: stop's time + the delay (the
 *   latest over the buffers), which the workflow's Wait uses; a buffer that
 *   lost part or all of the range (while another still has it) is noted.
 *
 * @example
 *   checkRange({ start, stop, buffers: sourceBuffersOf(body), retention: { data: { keepsMs: 360_000 } },
 *                delaysMs: { data: 60_000, detector: 10_000 }, clock, nowMs: Date.now() })
 */
export function checkRange(input: RangeCheckInput): RangeCheck {
  const { start, stop, clock, nowMs } = input;
  const rate = input.rate ?? 1;
  const now = Number(clock.pulseIdAt(nowMs));
  const horizon = input.horizonPulses ?? MAX_PULSES_PER_REQUEST;
  if (stop > now + horizon) {
    return refuse(
      'stop_pulseid',
      `stop_pulseid ${stop} is ${(stop - now).toLocaleString('en-US')} pulses (${duration((stop - now) * 10)}) after the pulse firing now (${now}); ` +
        `the broker takes requests for pulses at most ${horizon.toLocaleString('en-US')} pulses (${duration(horizon * 10)}) ahead: check the pulse ids, or ask closer to the time`,
    );
  }

  const notBefore: Record<string, number> = {};
  const gone: Array<{ buffer: SourceBuffer; oldestNow: number; oldestAtRead: number; retention: BufferRetention }> = [];
  const notes: string[] = [];
  for (const buffer of input.buffers) {
    const delay = input.delaysMs[buffer.kind] ?? 0;
    notBefore[buffer.id] = clock.timeMs(BigInt(stop)) + delay;
    const retention = input.retention[buffer.id] ?? input.retention[buffer.kind] ?? {};
    const oldestNow = oldestPulse(retention, clock, nowMs);
    if (oldestNow === undefined) continue; // keeps everything
    const readAtMs = Math.max(nowMs, notBefore[buffer.id]!);
    const oldestAtRead = oldestNow + Math.max(0, Math.floor((readAtMs - nowMs) / 10));
    const [first, last] = pulsesRead(buffer.kind, start, stop, rate);
    if (last < oldestAtRead) gone.push({ buffer, oldestNow, oldestAtRead, retention });
    else if (first < oldestAtRead) {
      notes.push(`pulses ${first}..${oldestAtRead - 1} are gone from the ${labelOf(buffer)}${keeps(retention, '')}: its data starts at pulse ${oldestAtRead}`);
    }
  }
  if (gone.length > 0 && gone.length === input.buffers.length) {
    const parts = gone.map((g) => `the ${labelOf(g.buffer)}${keeps(g.retention, `its oldest pulse is now ${g.oldestNow}`)}`);
    const after = Math.max(...gone.map((g) => g.oldestAtRead));
    return refuse(
      'start_pulseid',
      `pulses ${start}..${stop} are gone from ${parts.join(' and ')}; the pulse firing now is ${now}: ask for pulses after ${after}`,
    );
  }
  for (const g of gone) {
    notes.push(`pulses ${start}..${stop} are gone from the ${labelOf(g.buffer)}${keeps(g.retention, `its oldest pulse is now ${g.oldestNow}`)}: its file will have no data`);
  }
  const times = Object.values(notBefore);
  return { ok: true, notBeforeMs: times.length > 0 ? Math.max(...times) : clock.timeMs(BigInt(stop)), notBefore, notes };
}

function refuse(field: string, message: string): RangeCheck {
  return { ok: false, refusal: new RequestRefused(field, message) };
}

/** The oldest pulse a buffer holds now, or undefined when it keeps everything. */
function oldestPulse(retention: BufferRetention, clock: RangeCheckInput['clock'], nowMs: number): number | undefined {
  if (retention.oldestPulseId !== undefined) return retention.oldestPulseId;
  // The ring holds the pulses of [now - keeps, now].
  if (retention.keepsMs !== undefined && Number.isFinite(retention.keepsMs)) return Number(clock.pulseIdAt(nowMs - retention.keepsMs));
  return undefined;
}

/** The first and last pulse a retriever of this kind reads (rate-adjusted as the retrievers do). */
function pulsesRead(kind: BufferKind, start: number, stop: number, rate: number): [number, number] {
  if (kind === 'detector') {
    const d = detectorRange(start, stop, rate);
    return d.count > 0 ? [d.first, d.last] : [start, stop];
  }
  const q = queryRange(start, stop, rate);
  return [q.start, q.stop];
}

/** ` (it keeps 6 minutes; <more>)`, or ` (<more>)`, or nothing. */
function keeps(retention: BufferRetention, more: string): string {
  const parts = [...(retention.keepsMs !== undefined ? [`it keeps ${duration(retention.keepsMs)}`] : []), ...(more ? [more] : [])];
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

/** 6 minutes, 10 s, 2 hours, 3 days: a span as people say it. */
export function duration(ms: number): string {
  const s = ms / 1000;
  const round = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
  if (s < 120) return `${round(Math.round(s * 10) / 10)} s`;
  if (s < 120 * 60) return `${round(Math.round(s / 6) / 10)} minutes`;
  if (s < 48 * 3600) return `${round(Math.round(s / 360) / 10)} hours`;
  return `${round(Math.round(s / 8640) / 10)} days`;
}
