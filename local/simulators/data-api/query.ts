/**
 * POST /api/1/query of the simulator: validate the body, then stream each
 * channel's header and events for the pulses whose timestamps fall in
 * [startDate, endDate).
 *
 * What exists: the ring buffer holds pulses [now - retentionPulses, now],
 * `now` taken when the query starts; a range reaching past `now` answers only
 * the pulses already produced (the buffer cannot send the future, and does
 * not wait for it).
 */
import type { ServerResponse } from 'node:http';
import { parseIsoDateNs, type FacilityClock } from '../../../lib/core/clock';
import type { DataApiBackend } from '../../../lib/adapters/buffers/data-api/client';
import type { Catalogue } from './catalogue';
import type { ChannelSpec } from './channel';
import { FrameSink, type ByteCut } from './frame-sink';
import type { RequestStatusEntry } from './request-status';

export interface QueryPlan {
  /** Channel names as asked, with the backend they named (if any). */
  channels: Array<{ name: string; backend?: string }>;
  startNs: bigint;
  endNs: bigint;
}

/** A 400 with the reason. */
export class BadQuery extends Error {}

function parseDate(value: unknown, field: string): bigint {
  if (typeof value !== 'string' || !value.endsWith('Z')) throw new BadQuery(`range.${field} must be a UTC date ending in Z, got ${JSON.stringify(value)}`);
  try {
    return parseIsoDateNs(value);
  } catch (error) {
    throw new BadQuery(`range.${field}: ${(error as Error).message}`);
  }
}

/**
 * Validate a query body (already JSON-parsed).
 *
 * @example
 *   parseQuery({ channels: ['X'], range: { type: 'date', startDate: '2024-01-01T00:00:00.000000Z', endDate: '2024-01-01T00:00:01.000000Z' } })
 */
export function parseQuery(body: unknown): QueryPlan {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadQuery('the body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.channels) || b.channels.length === 0) throw new BadQuery('channels must be a non-empty list');
  const channels = b.channels.map((c, i) => {
    if (typeof c === 'string' && c !== '') {
      // Today's server: "NAME" or "BACKEND/NAME".
      const slash = c.indexOf('/');
      return slash >= 0 ? { backend: c.slice(0, slash), name: c.slice(slash + 1) } : { name: c };
    }
    if (c && typeof c === 'object' && typeof (c as { name?: unknown }).name === 'string') {
      // The older server's {"name", "backend"} objects.
      const o = c as { name: string; backend?: unknown };
      return typeof o.backend === 'string' ? { name: o.name, backend: o.backend } : { name: o.name };
    }
    throw new BadQuery(`channels[${i}] must be a channel name, got ${JSON.stringify(c)}`);
  });
  const range = b.range as Record<string, unknown> | undefined;
  if (!range || typeof range !== 'object') throw new BadQuery('range is missing');
  if (range.type !== 'date') throw new BadQuery(`range.type must be "date" (Data API 3 has no other range), got ${JSON.stringify(range.type)}`);
  const startNs = parseDate(range.startDate, 'startDate');
  const endNs = parseDate(range.endDate, 'endDate');
  if (endNs < startNs) throw new BadQuery('range.endDate is before range.startDate');
  return { channels, startNs, endNs };
}

export interface StreamContext {
  backend: DataApiBackend;
  clock: FacilityClock;
  retentionPulses: number;
  catalogue: Catalogue;
  /** 'older': headers with string compression, no scalar shape, and a type-less header for channels without data. */
  flavour: 'today' | 'older';
  status: RequestStatusEntry;
  cut?: ByteCut;
  missing: Set<bigint>;
  duplicated: Set<bigint>;
}

/** The header JSON the server sends for a channel. */
export function headerJson(spec: ChannelSpec, flavour: StreamContext['flavour']): Record<string, unknown> {
  const compressed = spec.compression === 'bitshuffle-lz4';
  const shape = spec.wireShape ?? (spec.shape.length === 2 ? [spec.shape[1]!, spec.shape[0]!] : spec.shape); // images: [width, height]
  const json: Record<string, unknown> = {
    name: spec.name,
    type: spec.dtype,
    byteOrder: spec.byteOrder === 'big' ? 'BIG_ENDIAN' : 'LITTLE_ENDIAN',
  };
  if (flavour === 'today') {
    json.shape = shape;
    if (compressed) json.compression = 1;
  } else {
    if (shape.length > 0) json.shape = shape;
    json.compression = compressed ? '1' : '0';
  }
  return json;
}

/** Pulses whose timestamps fall in [startNs, endNs), clipped to what the ring buffer holds now. */
export function pulseWindow(ctx: Pick<StreamContext, 'clock' | 'retentionPulses'>, startNs: bigint, endNs: bigint): [bigint, bigint] {
  const { clock } = ctx;
  let first = clock.pulseIdAtNs(startNs);
  if (clock.timestampNs(first) < startNs) first += 1n;
  let last = clock.pulseIdAtNs(endNs - 1n);
  const now = clock.currentPulseId();
  const oldest = now - BigInt(ctx.retentionPulses);
  if (first < oldest) first = oldest;
  if (last > now) last = now;
  return [first, last];
}

/** Stream the frames of a validated query (status 200 already decided). */
export async function streamQuery(res: ServerResponse, plan: QueryPlan, ctx: StreamContext): Promise<void> {
  const sink = new FrameSink(res, ctx.cut, (mode) =>
    ctx.status.errors.push(mode === 'truncate' ? 'simulated fault: response body ended early' : 'simulated fault: connection reset'),
  );
  const [first, last] = pulseWindow(ctx, plan.startNs, plan.endNs);
  for (const asked of plan.channels) {
    if (sink.stopped) break;
    const known = asked.backend === undefined || asked.backend === ctx.backend ? ctx.catalogue.lookup(asked.name) : undefined;
    const spec = known && known.backend === ctx.backend ? known : undefined;
    if (!spec) ctx.status.channelNotFound += 1;
    let headerSent = false;
    if (spec) {
      for (let p = first; p <= last && !sink.stopped; p++) {
        if (!spec.has(p) || ctx.missing.has(p)) continue;
        if (!headerSent) {
          const wait = sink.header(headerJson(spec, ctx.flavour));
          if (wait) await wait;
          headerSent = true;
        }
        const ts = ctx.clock.timestampNs(p);
        const value = spec.wire(p);
        const times = ctx.duplicated.has(p) ? 2 : 1;
        for (let k = 0; k < times; k++) {
          const wait = sink.event(ts, p, value);
          if (wait) await wait;
        }
      }
    }
    // Today's server sends nothing for unknown or empty channels; the older one a header without type.
    if (!headerSent && ctx.flavour === 'older' && !sink.stopped) {
      const wait = sink.header({ name: asked.name });
      if (wait) await wait;
    }
  }
  await sink.finish();
}
