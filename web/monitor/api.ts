/**
 * The broker's API as the page calls it: same origin, relative to the page
 * (so a stage prefix such as /dev/ works), `x-api-key` on every call when a
 * key is set. Every failure becomes an ApiError whose message a person can
 * act on.
 */
import { getKey } from './session';
import type { PlotAnswer, RunDetails, RunsAnswer } from './types';

export type ErrorKind = 'unreachable' | 'unavailable' | 'key' | 'forbidden' | 'no-run' | 'refused' | 'not-broker';

export class ApiError extends Error {
  constructor(readonly kind: ErrorKind, message: string, readonly field?: string) {
    super(message);
  }
}

/** The API's base: the page is served at <base>monitor. */
export const apiBase = (): string => new URL('.', location.href).href;

async function call<T>(path: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = getKey();
  if (key) headers['x-api-key'] = key;
  let res: Response;
  try {
    res = await fetch(new URL(path, apiBase()), { headers, cache: 'no-store', referrerPolicy: 'no-referrer' });
  } catch {
    throw new ApiError('unreachable', `The broker at ${apiBase()} cannot be reached (no answer from the network). Check that it is running and that this computer can reach it; the page keeps trying.`);
  }
  const text = await res.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  if (!body || typeof body.status !== 'string') {
    if (res.status >= 500) throw new ApiError('unavailable', `The broker answered HTTP ${res.status}: it is there but cannot answer now. The page keeps trying.`);
    throw new ApiError('not-broker', `${apiBase()} answered HTTP ${res.status} with something that is not the broker's answer${res.status === 404 ? ' (this broker may be an older version without the run monitor endpoints)' : ''}.`);
  }
  const message = typeof body.message === 'string' ? body.message : 'no reason given';
  if (res.status >= 500) throw new ApiError('unavailable', `The broker could not answer (HTTP ${res.status}): ${message}`);
  if (body.status !== 'ok') throw refusal(message, typeof body.field === 'string' ? body.field : undefined);
  return body as T;
}

/** The broker's refusal, with what the person can do about it. */
function refusal(message: string, field: string | undefined): ApiError {
  if (/API key/i.test(message)) return new ApiError('key', `Your API key was refused: ${message}. Enter your beamline's key above (or clear it to be recognised by your console's network).`, field);
  if (/console|no beamline's network|identify from which machine/i.test(message)) return new ApiError('key', `The broker does not know which beamline you are: ${message}. Enter your beamline's API key above.`, field);
  if (field === 'pgroup') return new ApiError('forbidden', `This pgroup cannot be shown to you: ${message}. A beamline sees only its own pgroups: check the pgroup, or use that beamline's key.`, field);
  if (field === 'run_number') return new ApiError('no-run', `${message[0]?.toUpperCase() ?? ''}${message.slice(1)}.`, field);
  return new ApiError('refused', `The broker refused: ${message}`, field);
}

export const api = {
  runs: (pgroup: string, limit = 200) => call<RunsAnswer>(`monitor/runs/${encodeURIComponent(pgroup)}?limit=${limit}`),
  details: (pgroup: string, run: number) => call<{ run: RunDetails }>(`runs/${encodeURIComponent(pgroup)}/${run}/details`).then((a) => a.run),
  plot: (pgroup: string, run: number, params: Record<string, string | number | undefined>) => {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, String(v));
    return call<{ plot: PlotAnswer }>(`runs/${encodeURIComponent(pgroup)}/${run}/quicklook?${query}`).then((a) => a.plot);
  },
};
