/**
 * The parameters of GET /runs/{pgroup}/{run_number}/quicklook, checked by
 * hand (each a short string from the query): refusals name the field.
 */
import { RequestRefused } from '../core/errors';
import { validateRunPath } from '../schemas/validate';

export type PlotKind = 'series' | 'presence' | 'image';

export interface QuicklookQuery {
  pgroup: string;
  run_number: number;
  /** BSREAD, CAMERAS, PVCHANNELS or a detector name. */
  source: string;
  /** Default: series for BS channels and PVs, image for cameras and detectors. */
  kind?: PlotKind;
  /** The BS channel, PV or camera (a detector's channel is the detector). */
  channel?: string;
  /** Which image (row of the file), default 0. */
  frame: number;
  /** Points of a series / cells of a presence strip (default 1000, 10..4000). */
  points: number;
  /** Longest side of an image, pixels (default 1024, 64..1024). */
  size: number;
  /** Colour scale of an image: default log for detectors, linear for cameras. */
  scale?: 'log' | 'linear';
}

const KINDS: readonly PlotKind[] = ['series', 'presence', 'image'];

/**
 * @example validateQuicklookQuery({ pgroup: 'p12345', run_number: '2', source: 'BSREAD', channel: 'SAR:CH1' })
 *   // { pgroup: 'p12345', run_number: 2, source: 'BSREAD', channel: 'SAR:CH1', frame: 0, points: 1000, size: 1024 }
 */
export function validateQuicklookQuery(body: unknown): QuicklookQuery {
  const path = validateRunPath(body);
  const q = body as Record<string, unknown>;
  const text = (field: string, max: number): string | undefined => {
    const v = q[field];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string' || v.length > max) throw new RequestRefused(field, `${field} must be a text of at most ${max} characters`);
    return v;
  };
  const whole = (field: string, fallback: number, min: number, max: number): number => {
    const v = text(field, 12);
    if (v === undefined) return fallback;
    const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) throw new RequestRefused(field, `${field} must be a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`);
    return n;
  };
  const source = text('source', 64);
  if (source === undefined) throw new RequestRefused('source', 'source is missing: one of the run\'s sources (BSREAD, CAMERAS, PVCHANNELS or a detector)');
  const kind = text('kind', 16);
  if (kind !== undefined && !KINDS.includes(kind as PlotKind)) throw new RequestRefused('kind', `kind must be one of ${KINDS.join(', ')}`);
  const channel = text('channel', 256);
  const scale = text('scale', 8);
  if (scale !== undefined && scale !== 'log' && scale !== 'linear') throw new RequestRefused('scale', 'scale must be log or linear');
  return {
    pgroup: path.pgroup,
    run_number: Number(path.run_number),
    source,
    ...(kind !== undefined ? { kind: kind as PlotKind } : {}),
    ...(channel !== undefined ? { channel } : {}),
    ...(scale !== undefined ? { scale } : {}),
    frame: whole('frame', 0, 0, 1_000_000_000),
    points: whole('points', 1000, 10, 4000),
    size: whole('size', 1024, 64, 1024),
  };
}
