import { randomUUID } from 'node:crypto';
import { BrokerProtocolError, BrokerRefused, BrokerUnavailable, RunWithoutRetrieval } from './errors';
import type {
  AllowedDetectorsReply, ChannelsReply, CloseReply, MessageReply, NameKind, PedestalStatusReply, PvListReply, RetrieveReply, RetrieveRequest, RunListReply,
  RunNumberReply, RunningDetectorsReply, RunStatusReply, TakePedestalReply, TakePedestalRequest,
} from './types';

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

  /**
   * POST /retrieve_from_buffers: accept the request, answer the run number.
   * Sends an `Idempotency-Key` (a new UUID unless given) and, when the answer
   * is lost (a timeout, a connection reset), sends the request once more with
   * the same key: the broker answers the first run again, never a second run.
   */
  retrieve(request: RetrieveRequest, options: { idempotencyKey?: string } = {}): Promise<RetrieveReply> {
    const key = options.idempotencyKey ?? randomUUID();
    return this.call('POST', '/retrieve_from_buffers', request, { headers: { 'idempotency-key': key }, retryLostAnswer: true });
  }

  /**
   * GET /channels?search=PATTERN: the names the buffers know matching PATTERN
   * (`*`, `?`: a GLOB over the whole name; otherwise a substring; case-insensitive),
   * by default BS channels and cameras; `kinds: ['pv']` for EPICS PVs.
   *
   * @example (await broker.channels('TIFALL')).channels // [{ name: 'SAR-CVME-TIFALL4:EvtSet', kind: 'bs', backend: 'sf-databuffer' }, ...]
   */
  channels(pattern: string, options: { kinds?: readonly NameKind[]; limit?: number } = {}): Promise<ChannelsReply> {
    if (pattern.trim() === '') throw new RangeError('the search pattern is empty');
    const params = new URLSearchParams({ search: pattern });
    if (options.kinds && options.kinds.length > 0) params.set('kind', options.kinds.join(','));
    if (options.limit !== undefined) params.set('limit', String(options.limit));
    return this.call('GET', `/channels?${params.toString()}`);
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

  /**
   * GET /runs/{pgroup}/{run_number}: the run's state, its sources and their check.
   * A run number with no run behind it is refused; the refusal then says
   * whether the number was taken without a retrieval (RunWithoutRetrieval:
   * advance_run_number) or is not taken yet (the pgroup's last run named).
   */
  runStatus(pgroup: string, runNumber: number): Promise<RunStatusReply> {
    if (!Number.isInteger(runNumber) || runNumber < 1) throw new RangeError(`run number must be a positive integer, not ${runNumber}`);
    return this.statusOf(checkPgroup(pgroup), runNumber);
  }

  private async statusOf(pgroup: string, runNumber: number): Promise<RunStatusReply> {
    try {
      return await this.call<RunStatusReply>('GET', `/runs/${encodeURIComponent(pgroup)}/${runNumber}`);
    } catch (error) {
      if (!(error instanceof BrokerRefused) || error.field !== 'run_number' || error instanceof RunWithoutRetrieval) throw error;
      const last = await this.currentRunNumber(pgroup).then((r) => r.run_number, () => undefined);
      if (last === undefined) throw error;
      if (runNumber <= last) {
        throw new RunWithoutRetrieval(`run ${runNumber} of pgroup ${pgroup} was taken by advance_run_number and has no retrieval (the pgroup's last run is ${last})`, runNumber);
      }
      throw new BrokerRefused(`run ${runNumber} of pgroup ${pgroup} does not exist (yet: the pgroup's last run is ${last})`, 'run_number');
    }
  }

  /** GET /runs/{pgroup}: the pgroup's latest runs (`limit`, default 100 on the broker), in run order. */
  listRuns(pgroup: string, options: { limit?: number } = {}): Promise<RunListReply> {
    const query = options.limit !== undefined ? `?limit=${options.limit}` : '';
    return this.call('GET', `/runs/${encodeURIComponent(checkPgroup(pgroup))}${query}`);
  }

  /** GET /get_allowed_detectors: your beamline's detectors, their descriptions and live views. */
  allowedDetectors(): Promise<AllowedDetectorsReply> {
    return this.call('GET', '/get_allowed_detectors');
  }

  /** GET /get_running_detectors: which of them write frames now (running, missing, limping). */
  runningDetectors(): Promise<RunningDetectorsReply> {
    return this.call('GET', '/get_running_detectors');
  }

  /** GET /get_pvlist: your beamline's default PV list. */
  getPvList(): Promise<PvListReply> {
    return this.call('GET', '/get_pvlist');
  }

  /** POST /set_pvlist: replace your beamline's default PV list (answered as stored: de-duplicated in order). */
  setPvList(pvList: readonly string[]): Promise<PvListReply> {
    return this.call('POST', '/set_pvlist', { pv_list: pvList });
  }

  /** POST /power_on_detector: power a detector of your beamline on (simulated detectors only). */
  powerOnDetector(detector: string): Promise<MessageReply> {
    return this.call('POST', '/power_on_detector', { detector_name: detector });
  }

  /**
   * POST /take_pedestal: the detectors take dark frames, retrieved as a run
   * into raw/JF_pedestals/; the pedestal is then computed (pedestalStatus).
   * Never re-sent after a lost answer: a second request would be a second
   * pedestal run (the detector refuses it while it takes the first).
   *
   * @example const { run_number } = await broker.takePedestal({ pgroup: 'p12345', detectors: ['JF01T03V01'] });
   */
  takePedestal(request: TakePedestalRequest): Promise<TakePedestalReply> {
    checkPgroup(request.pgroup);
    if (request.detectors.length === 0) throw new RangeError('takePedestal needs at least one detector');
    return this.call('POST', '/take_pedestal', request);
  }

  /** GET /pedestals/{pgroup}/{run_number}: a pedestal run's state, per detector its pedestal file and statistics. */
  pedestalStatus(pgroup: string, runNumber: number): Promise<PedestalStatusReply> {
    if (!Number.isInteger(runNumber) || runNumber < 1) throw new RangeError(`run number must be a positive integer, not ${runNumber}`);
    return this.call('GET', `/pedestals/${encodeURIComponent(checkPgroup(pgroup))}/${runNumber}`);
  }

  /**
   * Any endpoint answering `{status, message, ...}`; refusals throw BrokerRefused.
   * `retryLostAnswer`: after a timeout or a connection reset (the request may
   * have arrived), send it once more, as is (safe with an Idempotency-Key).
   */
  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, options: { headers?: Record<string, string>; retryLostAnswer?: boolean } = {}): Promise<T> {
    const url = `${this.broker}${path}`;
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.apiKey) headers['x-api-key'] = this.options.apiKey;
    const send = async (): Promise<{ response: Response; text: string }> => {
      const response = await this.fetchFn(url, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // A reset while the body arrives is a lost answer too.
      return { response, text: await response.text() };
    };
    let response: Response;
    let text: string;
    try {
      ({ response, text } = await send());
    } catch (error) {
      if (!options.retryLostAnswer || !isLostAnswer(error)) throw unreachable(this.broker, error, this.timeoutMs);
      try {
        ({ response, text } = await send());
      } catch (again) {
        throw unreachable(this.broker, again, this.timeoutMs, 'the broker (tried twice)');
      }
    }
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

/** A timeout or a connection reset: the request may have arrived and only its answer was lost. */
export function isLostAnswer(error: unknown): boolean {
  const e = error as Error & { cause?: { code?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return true;
  const code = e?.cause?.code ?? (e as { code?: string })?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED';
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
