/**
 * The buffer's pulse map: `GET <base>/api/4/map/pulse/<backend>/<pulse_id>`
 * answers a bare JSON number (the pulse's timestamp, ns since 1970), HTTP 204
 * for a pulse not (yet) known, 500 on errors. Like the facility's broker we
 * ask again with growing sleeps, a bounded number of times.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BufferProtocolError, BufferUnavailable, isTransient } from '../../../core/errors';
import type { RetryPolicy } from '../retry';
import { errorReason, readText, send, type HttpCall } from './http';

export interface PulseMapAsk {
  /** The full pulse-map URL of the pulse. */
  url: string;
  pulseId: bigint;
  /** Attempts in all (204s and transient failures both count). */
  tries: number;
  /** Sleeps between attempts: baseDelayMs, doubling, capped at maxDelayMs. */
  delays: RetryPolicy;
  idleTimeoutMs: number;
  buffer: string;
  signal?: AbortSignal;
}

/** Statuses worth retrying: 5xx, request timeout, too many requests. */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

function parsePulseTime(ask: PulseMapAsk, body: string): bigint {
  // A bare JSON integer beyond 2^53: parse the text as BigInt, never through Number.
  const text = body.trim();
  if (!/^-?\d+$/.test(text)) {
    throw new BufferProtocolError(ask.buffer, `${ask.buffer} buffer pulse map for pulse ${ask.pulseId} answered ${JSON.stringify(text.slice(0, 100))}, not an integer`);
  }
  return BigInt(text);
}

/**
 * Ask the pulse map for a pulse's timestamp, retrying 204 and transient failures.
 *
 * @example
 *   await askPulseMap({ url: `${base}/api/4/map/pulse/sf-databuffer/${p}`, pulseId: p, tries: 15,
 *                       delays: DEFAULT_PULSE_MAP_RETRY, idleTimeoutMs: 30_000, buffer: 'data' })
 */
export async function askPulseMap(ask: PulseMapAsk): Promise<bigint> {
  const call: HttpCall = { method: 'GET', url: ask.url, headers: { Accept: 'application/json' }, signal: ask.signal, idleTimeoutMs: ask.idleTimeoutMs, buffer: ask.buffer };
  let delay = ask.delays.baseDelayMs;
  let lastError: unknown;
  let pending = false;
  for (let attempt = 1; attempt <= ask.tries; attempt++) {
    try {
      const res = await send(call);
      const body = await readText(res, call);
      const status = res.statusCode ?? 0;
      if (status === 200) return parsePulseTime(ask, body);
      pending = status === 204;
      if (!pending) {
        const message = `${ask.buffer} buffer pulse map for pulse ${ask.pulseId}: HTTP ${status}: ${errorReason(body).reason}`;
        if (!isTransientStatus(status)) throw new BufferProtocolError(ask.buffer, message);
        lastError = new BufferUnavailable(ask.buffer, message);
      }
    } catch (error) {
      if (!isTransient(error)) throw error;
      pending = false;
      lastError = error;
    }
    if (attempt < ask.tries) {
      await sleep(delay, undefined, { signal: ask.signal });
      delay = Math.min(delay * 2, ask.delays.maxDelayMs);
    }
  }
  if (pending) throw new BufferUnavailable(ask.buffer, `pulse ${ask.pulseId} not yet in the ${ask.buffer} buffer (asked ${ask.tries} times)`);
  throw lastError;
}
