import { BrokerProtocolError, BrokerRefused, BrokerUnavailable } from './errors';
import type { CloseReply, RetrieveReply, RetrieveRequest, RunListReply, RunNumberReply, RunStatusReply } from './types';

export interface BrokerClientOptions {
  /** The broker's address, e.g. `http://localhost:10002` (a trailing slash is fine). */
  broker: string;
  /** Sent as `x-api-key`: identifies the caller's beamline wherever it calls from. */
  apiKey?: string;
  /** Per request, ms (default 10,000: the original clients' TIMEOUT_DAQ of 10 s). */
  timeoutMs?: number;
  /** For tests or a custom agent; defaults to the global fetch. */
  fetch?: typeof fetch;
}

const PGROUP = /^p[0-9]{5}$/;

/**
 * The broker's HTTP API, typed. Every method resolves with the broker's
 * `{status: "ok", ...}` answer or throws one of BrokerRefused (the broker
 * said no: fix the request), BrokerUnavailable (unreachable, timed out, 5xx:
 * retry later) or BrokerProtocolError (something that is not the broker
 * answered).
 *
 * @example
 *   const broker = new BrokerClient({ broker: 'http://localhost:10002' });
 *   const { run_number } = await broker.retrieve({ pgroup: 'p12345', start_pulseid: 1000, stop_pulseid: 2000, channels_list: ['SAR-CVME-TIFALL5:EvtSet'] });
 *   const { run } = await broker.runStatus('p12345', run_number);   // run.state: 'accepted' | 'retrieving' | 'done' | ...
 */
export class BrokerClient {
  readonly broker: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: BrokerClientOptions) {
    let url: URL;
    try {
      url = new URL(options.broker);
    } catch {
      throw new TypeError(`broker address ${JSON.stringify(options.broker)} is not a URL (expected e.g. http://localhost:10002)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`broker address ${options.broker} must start with http:// or https://`);
    this.broker = options.broker.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchFn = options.fetch ?? fetch;
  }

  /** POST /retrieve_from_buffers: accept the request, answer the run number. */
  retrieve(request: RetrieveRequest): Promise<RetrieveReply> {
    return this.call('POST', '/retrieve_from_buffers', request);
  }

  /** GET /get_current_run_number: the pgroup's last run number (0 before the first). */
  currentRunNumber(pgroup: string): Promise<RunNumberReply> {
    return this.call('GET', `/get_current_run_number?pgroup=${encodeURIComponent(checkPgroup(pgroup))}`);
  }

  /** POST /advance_run_number: take the next run number without retrieving anything. */
  advanceRunNumber(pgroup: string): Promise<RunNumberReply> {
    return this.call('POST', '/advance_run_number', { pgroup: checkPgroup(pgroup) });
  }

  /** POST /close_pgroup_writing: close the pgroup for good; every later request for it is refused. */
  closePgroup(pgroup: string): Promise<CloseReply> {
    return this.call('POST', '/close_pgroup_writing', { pgroup: checkPgroup(pgroup) });
  }

  /** GET /runs/{pgroup}/{run_number}: the run's state, its sources and their check. */
  runStatus(pgroup: string, runNumber: number): Promise<RunStatusReply> {
    if (!Number.isInteger(runNumber) || runNumber < 1) throw new RangeError(`run number must be a positive integer, not ${runNumber}`);
    return this.call('GET', `/runs/${encodeURIComponent(checkPgroup(pgroup))}/${runNumber}`);
  }

  /** GET /runs/{pgroup}: the pgroup's latest runs (`limit`, default 100 on the broker), in run order. */
  listRuns(pgroup: string, options: { limit?: number } = {}): Promise<RunListReply> {
    const query = options.limit !== undefined ? `?limit=${options.limit}` : '';
    return this.call('GET', `/runs/${encodeURIComponent(checkPgroup(pgroup))}${query}`);
  }

  /** Any endpoint answering `{status, message, ...}`; refusals throw BrokerRefused. */
  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = `${this.broker}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.apiKey) headers['x-api-key'] = this.options.apiKey;
    let response: Response;
    try {
      response = await this.fetchFn(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw unreachable(this.broker, error, this.timeoutMs);
    }
    const text = await response.text().catch(() => '');
    let json: { status?: unknown; message?: unknown; field?: unknown; run_number?: unknown };
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      if (response.status >= 500) throw new BrokerUnavailable(`${method} ${url} answered HTTP ${response.status}: ${snippet(text)}`);
      throw new BrokerProtocolError(`${method} ${url} answered HTTP ${response.status} with something that is not JSON (${snippet(text)}); is ${this.broker} the broker?`);
    }
    if (json.status === 'ok' && response.ok) return json as T;
    if (json.status === 'failed' || json.status === 'error') {
      const message = typeof json.message === 'string' ? json.message : JSON.stringify(json);
      // 5xx: the broker itself is in trouble, the request may be fine (retry); 404/405: the address is not the API.
      if (response.status >= 500) throw new BrokerUnavailable(`the broker is unavailable (HTTP ${response.status}): ${message}`);
      if (response.status === 404 || response.status === 405) throw new BrokerProtocolError(`${method} ${url}: ${message} (HTTP ${response.status}); is ${this.broker} the broker, and is it recent enough?`);
      throw new BrokerRefused(message, typeof json.field === 'string' ? json.field : undefined, typeof json.run_number === 'number' ? json.run_number : undefined);
    }
    throw new BrokerProtocolError(`${method} ${url} answered HTTP ${response.status} without the broker's {status, message}: ${snippet(text)}`);
  }
}

function checkPgroup(pgroup: string): string {
  if (!PGROUP.test(pgroup)) throw new RangeError(`pgroup must be of the form p12345, not ${JSON.stringify(pgroup)}`);
  return pgroup;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}...` : flat || '(empty body)';
}

/** fetch's TypeError("fetch failed") hides the reason in `cause`: name it (ECONNREFUSED, ENOTFOUND, timeout). */
export function unreachable(url: string, error: unknown, timeoutMs: number, what = 'the broker'): BrokerUnavailable {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') {
    return new BrokerUnavailable(`no answer from ${url} within ${timeoutMs / 1000} s`, { cause: error });
  }
  const reason = err.cause?.code ?? err.cause?.message ?? err.message;
  return new BrokerUnavailable(`cannot reach ${what} at ${url} (${reason})`, { cause: error });
}
