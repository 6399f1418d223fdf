import { BufferProtocolError } from '../../../core/errors';
import { parseLenientJson } from './lenient-json';
import type { PvSample, PvValue } from './types';

/**
 * The getData.json answer, checked and converted (samples in the order sent).
 *
 * Shape (epicsarchiverap's JSONResponse): `[ { "meta": {"name": ..., "EGU": ..., "PREC": ...},
 * "data": [ {"secs", "val", "nanos", "severity", "status", "fields"?}, ... ] } ]`.
 * A bare `[ ]` is also valid: the appliance writes it when no stream had data
 * (no PV header is ever written then).
 */
export interface GetDataAnswer {
  meta: Record<string, string>;
  samples: PvSample[];
}

const NS_PER_S = 1_000_000_000n;

/**
 * Parse the body of a 200 answer; anything off-protocol is a BufferProtocolError.
 *
 * @example
 *   parseGetDataAnswer('[{"meta":{"name":"X"},"data":[{"secs":1,"nanos":5,"val":2.5,"severity":0,"status":0}]}]')
 *   // { meta: { name: 'X' }, samples: [{ timestampNs: 1000000005n, value: 2.5, severity: 0, status: 0 }] }
 */
export function parseGetDataAnswer(text: string): GetDataAnswer {
  let body: unknown;
  try {
    body = parseLenientJson(text);
  } catch (error) {
    throw protocolError(`malformed JSON (${(error as Error).message}) in ${text.length} bytes`, error);
  }
  if (!Array.isArray(body)) throw protocolError('the answer is not a JSON array');
  if (body.length === 0) return { meta: {}, samples: [] };
  if (body.length > 1) throw protocolError(`expected one PV in the answer, got ${body.length}`);
  const pv = body[0] as { meta?: unknown; data?: unknown } | null;
  if (typeof pv !== 'object' || pv === null) throw protocolError('the PV entry is not an object');
  if (!Array.isArray(pv.data)) throw protocolError('the PV entry has no "data" array');
  return { meta: toMeta(pv.meta), samples: pv.data.map(toSample) };
}

function toMeta(meta: unknown): Record<string, string> {
  if (meta === undefined || meta === null) return {};
  if (typeof meta !== 'object' || Array.isArray(meta)) throw protocolError('"meta" is not an object');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta)) out[key] = String(value);
  return out;
}

function toSample(raw: unknown, index: number): PvSample {
  const s = raw as { secs?: unknown; nanos?: unknown; val?: unknown; severity?: unknown; status?: unknown } | null;
  if (typeof s !== 'object' || s === null) throw protocolError(`sample ${index} is not an object`);
  const { secs, nanos, severity, status } = s;
  if (!Number.isSafeInteger(secs)) throw protocolError(`sample ${index}: "secs" is not an integer`);
  if (!Number.isInteger(nanos) || (nanos as number) < 0 || (nanos as number) >= 1e9) {
    throw protocolError(`sample ${index}: "nanos" is not an integer in [0, 1e9)`);
  }
  if (!Number.isInteger(severity) || !Number.isInteger(status)) {
    throw protocolError(`sample ${index}: "severity"/"status" missing or not integers`);
  }
  return {
    timestampNs: BigInt(secs as number) * NS_PER_S + BigInt(nanos as number),
    value: toValue(s.val, index),
    severity: severity as number,
    status: status as number,
  };
}

function toValue(val: unknown, index: number): PvValue {
  if (typeof val === 'number' || typeof val === 'string') return val;
  if (Array.isArray(val)) {
    if (val.every((v) => typeof v === 'number')) return val as number[];
    if (val.every((v) => typeof v === 'string')) return val as string[];
  }
  throw protocolError(`sample ${index}: "val" is neither a number, a string nor an array of one of them`);
}

function protocolError(message: string, cause?: unknown): BufferProtocolError {
  return new BufferProtocolError('archiver', `archiver answer: ${message}`, cause === undefined ? undefined : { cause });
}
