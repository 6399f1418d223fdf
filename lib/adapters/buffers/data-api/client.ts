/**
 * Data API 3 client for the data buffer (`sf-databuffer`) and the image
 * buffer (`sf-imagebuffer`): pulse map, streamed binary query, request status.
 *
 * Errors: network faults, 5xx/408/429, idle timeouts and bodies cut inside a
 * frame are BufferUnavailable (transient: the caller retries the whole query
 * with withRetry, the client never resumes mid-stream); other non-200 answers
 * and protocol breakage are BufferProtocolError (permanent) carrying the
 * server's reason; an abort through the caller's signal passes through as is.
 */
import { formatDataApiDate } from '../../../core/clock';
import { BufferProtocolError, BufferUnavailable, RangeExpired } from '../../../core/errors';
import type { RetryPolicy } from '../retry';
import { EventBatcher, toEvents, type DataApiBatch, type DataApiEvent } from './events';
import { FrameDecoder } from './frames';
import type { ChannelHeader } from './header';
import { chunks, errorReason, readText, send, type HttpCall } from './http';
import { askPulseMap, isTransientStatus } from './pulse-map';
import { parseRequestStatus } from './request-status';

export type DataApiBackend = 'sf-databuffer' | 'sf-imagebuffer';

export type DataApiItem = { kind: 'header'; header: ChannelHeader } | DataApiEvent;

export interface QueryReport {
  /** The server's x-daqbuffer-request-id. */
  requestId: string;
  /** Channels the server did not know (exact when it names them or the count leaves no doubt; see notFoundCount). */
  channelsNotFound: string[];
  /** Errors of the request status (a report is only returned when this is empty). */
  errors: string[];
  warnCount: number;
  /** Requested channels that delivered no event (unknown, empty, or out of range). */
  channelsWithoutData: string[];
  /** How many channels the server counted as not found. */
  notFoundCount: number;
  /** Events received, over all channels. */
  events: number;
}

export interface DataApiClientOptions {
  /** e.g. `https://data-api.psi.ch` (no trailing `/api/1`). */
  baseUrl: string;
  backend: DataApiBackend;
  /** Add `defaultBackend` to the query body (the facility does so for the data buffer only). */
  sendDefaultBackend: boolean;
  /** Delays between pulse-map tries (base, doubling, cap); `attempts` is ignored, see pulseMapTries. */
  retry?: RetryPolicy;
  /** Pulse-map tries before giving up on a pulse not yet known (204) or a failing map (default 15, as the facility's broker). */
  pulseMapTries?: number;
  /** Longest wait for the server's next byte, ms (default 30 s). Not a bound on the whole query. */
  requestTimeoutMs?: number;
  /** Where the pulse map lives, when not at baseUrl (default baseUrl). */
  pulseMapBaseUrl?: string;
  /** Backend named in the pulse-map path (default `backend`). */
  pulseMapBackend?: DataApiBackend;
}

export const DEFAULT_PULSE_MAP_RETRY: RetryPolicy = { attempts: 15, baseDelayMs: 100, maxDelayMs: 5_000 };
const DEFAULT_TIMEOUT_MS = 30_000;

/** `BACKEND/NAME` -> `NAME`: headers name channels without their backend. */
function plainName(channel: string): string {
  const slash = channel.indexOf('/');
  return slash >= 0 ? channel.slice(slash + 1) : channel;
}

/**
 * @example
 *   const client = new DataApiClient({ baseUrl: 'https://data-api.psi.ch', backend: 'sf-databuffer', sendDefaultBackend: true });
 *   const query = client.retrievePulses(['SARFE10-PBPG050:HAMP-INTENSITY-CAL'], 18_940_426_916n, 18_940_427_915n);
 *   let next = await query.next();
 *   for (; !next.done; next = await query.next()) write(next.value);
 *   const report = next.value; // channelsWithoutData, channelsNotFound, ...
 */
export class DataApiClient {
  /** 'data' or 'image': the buffer's name in errors and logs. */
  readonly buffer: 'data' | 'image';
  private readonly base: string;
  private readonly mapBase: string;
  private readonly mapBackend: DataApiBackend;
  private readonly retry: RetryPolicy;
  private readonly pulseMapTries: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: DataApiClientOptions) {
    this.buffer = options.backend === 'sf-imagebuffer' ? 'image' : 'data';
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.mapBase = (options.pulseMapBaseUrl ?? options.baseUrl).replace(/\/+$/, '');
    this.mapBackend = options.pulseMapBackend ?? options.backend;
    this.retry = options.retry ?? DEFAULT_PULSE_MAP_RETRY;
    this.pulseMapTries = Math.max(1, options.pulseMapTries ?? DEFAULT_PULSE_MAP_RETRY.attempts);
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private call(method: 'GET' | 'POST', url: string, extra: Partial<HttpCall> = {}): HttpCall {
    return { method, url, idleTimeoutMs: this.timeoutMs, buffer: this.buffer, ...extra };
  }

  /**
   * A pulse's timestamp (ns since 1970) from the buffer's pulse map. A pulse
   * not yet known (HTTP 204) and transient failures are retried with growing
   * sleeps, `pulseMapTries` times in all.
   *
   * @example
   *   await client.pulseTimestampNs(18_940_426_916n) // 1693872000000426916n
   */
  pulseTimestampNs(pulseId: bigint, signal?: AbortSignal): Promise<bigint> {
    return askPulseMap({
      url: `${this.mapBase}/api/4/map/pulse/${this.mapBackend}/${pulseId}`,
      pulseId,
      tries: this.pulseMapTries,
      delays: this.retry,
      idleTimeoutMs: this.timeoutMs,
      buffer: this.buffer,
      signal,
    });
  }

  /**
   * Stream the events of `channels` in the half-open time range [startNs, endNs), one batch per network
   * chunk: the channel headers and runs of events (columns, no object per event) that chunk completed.
   * A batch is valid until the next one is asked for. Returns the request's report once the body ended
   * and the request status was read.
   *
   * @example
   *   const q = client.queryBatches(['SAR-CVME-TIFALL5:EvtSet'], startNs, endNs);
   *   for (let r = await q.next(); !r.done; r = await q.next()) for (const item of r.value.items) if (item.kind === 'events') write(item);
   */
  async *queryBatches(channels: string[], startNs: bigint, endNs: bigint, signal?: AbortSignal): AsyncGenerator<DataApiBatch, QueryReport> {
    const body: Record<string, unknown> = {
      channels,
      range: { type: 'date', startDate: formatDataApiDate(startNs), endDate: formatDataApiDate(endNs) },
    };
    if (this.options.sendDefaultBackend) body.defaultBackend = this.options.backend;
    const call = this.call('POST', `${this.base}/api/1/query`, {
      headers: { 'Content-Type': 'application/json', Accept: 'application/octet-stream' },
      body: JSON.stringify(body),
      signal,
    });
    const res = await send(call);
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      const { requestId, reason } = errorReason(await readText(res, call));
      const message = `${this.buffer} buffer query failed: HTTP ${status}: ${reason}${requestId ? ` (request ${requestId})` : ''}`;
      throw isTransientStatus(status) ? new BufferUnavailable(this.buffer, message) : new BufferProtocolError(this.buffer, message);
    }
    const requestId = res.headers['x-daqbuffer-request-id'];
    if (typeof requestId !== 'string' || requestId === '') {
      res.destroy();
      throw new BufferProtocolError(this.buffer, `${this.buffer} buffer answered the query without an x-daqbuffer-request-id header`);
    }

    // Frame buffers are reused from one batch to the next: a batch is valid until the next is asked for.
    const decoder = new FrameDecoder(this.buffer, undefined, true);
    const batcher = new EventBatcher(this.buffer);
    const withHeader = new Set<string>();
    for await (const chunk of chunks(res, call)) {
      decoder.visit(chunk, batcher);
      const items = batcher.take();
      for (const item of items) if (item.kind === 'header') withHeader.add(item.header.name);
      if (items.length > 0) yield { items, bytes: chunk.length };
    }
    decoder.end();

    const requestStatus = await this.requestStatus(requestId, signal);
    if (requestStatus.errors.length > 0) {
      throw new BufferUnavailable(this.buffer, `${this.buffer} buffer request ${requestId} failed: ${requestStatus.errors.join('; ')}`);
    }
    const requested = [...new Set(channels.map(plainName))];
    const frameless = requested.filter((name) => !withHeader.has(name));
    // Today's server only counts unknown channels and sends no frames for them nor for empty
    // ones: the names are certain only when the count equals the number of frameless channels.
    const channelsNotFound = requestStatus.notFoundNames ?? (requestStatus.notFoundCount > 0 && requestStatus.notFoundCount === frameless.length ? frameless : []);
    return {
      requestId,
      channelsNotFound,
      errors: requestStatus.errors,
      warnCount: requestStatus.warnCount,
      channelsWithoutData: requested.filter((name) => !batcher.counts.get(name)),
      notFoundCount: requestStatus.notFoundCount,
      events: [...batcher.counts.values()].reduce((a, b) => a + b, 0),
    };
  }

  /**
   * `queryBatches` one item at a time: each channel's header, then its events as objects (each with a
   * copy of its value). Convenient for small queries and tests; writers use the batches.
   *
   * @example
   *   const q = client.query(['SAR-CVME-TIFALL5:EvtSet'], startNs, endNs);
   *   for (let r = await q.next(); !r.done; r = await q.next()) if (r.value.kind === 'event') use(r.value.value);
   */
  query(channels: string[], startNs: bigint, endNs: bigint, signal?: AbortSignal): AsyncGenerator<DataApiItem, QueryReport> {
    return this.itemsOf(this.queryBatches(channels, startNs, endNs, signal));
  }

  /** `GET <base>/api/1/requestStatus/<id>`, parsed. */
  async requestStatus(requestId: string, signal?: AbortSignal): Promise<ReturnType<typeof parseRequestStatus>> {
    const call = this.call('GET', `${this.base}/api/1/requestStatus/${encodeURIComponent(requestId)}`, {
      headers: { Accept: 'application/json' },
      signal,
    });
    const res = await send(call);
    const body = await readText(res, call);
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      const message = `${this.buffer} buffer request status of ${requestId}: HTTP ${status}: ${errorReason(body).reason}`;
      throw isTransientStatus(status) ? new BufferUnavailable(this.buffer, message) : new BufferProtocolError(this.buffer, message);
    }
    return parseRequestStatus(body, this.buffer);
  }

  /**
   * Pulses [startPulse, stopPulse] of `channels`: maps startPulse and
   * stopPulse + 1 through the pulse map and queries [ts(start), ts(stop + 1)).
   * (Widening the range for a rate multiplicator is the caller's business.)
   *
   * Expiry heuristic: the pulse map outlives the data (it still answers for
   * pulses whose data the ring buffer dropped), so an expired range shows as a
   * successful query in which no channel has any event. When that happens and
   * at least one requested channel is known to the server (not all of them
   * counted in channel_not_found), we throw RangeExpired. A request whose
   * every channel is legitimately empty over the range looks the same and is
   * reported as expired too: with 100 Hz beam-synchronous channels in every
   * real request this is rare, and the message says what was seen.
   *
   * @example
   *   const q = client.retrievePulseBatches(chs, 100n, 199n);
   *   for (let r = await q.next(); !r.done; r = await q.next()) for (const item of r.value.items) ...
   */
  async *retrievePulseBatches(
    channels: string[],
    startPulse: bigint,
    stopPulse: bigint,
    signal?: AbortSignal,
  ): AsyncGenerator<DataApiBatch, QueryReport> {
    const [startNs, endNs] = await Promise.all([this.pulseTimestampNs(startPulse, signal), this.pulseTimestampNs(stopPulse + 1n, signal)]);
    const report = yield* this.queryBatches(channels, startNs, endNs, signal);
    const requested = new Set(channels.map(plainName)).size;
    if (report.events === 0 && requested > 0 && report.notFoundCount < requested) {
      throw new RangeExpired(
        this.buffer,
        `range expired from the ${this.buffer} buffer: pulses ${startPulse}..${stopPulse} map to times but no channel has any event there`,
      );
    }
    return report;
  }

  /** `retrievePulseBatches` one item at a time (see `query`). */
  retrievePulses(channels: string[], startPulse: bigint, stopPulse: bigint, signal?: AbortSignal): AsyncGenerator<DataApiItem, QueryReport> {
    return this.itemsOf(this.retrievePulseBatches(channels, startPulse, stopPulse, signal));
  }

  /** Batches -> headers and per-event objects. */
  private async *itemsOf(batches: AsyncGenerator<DataApiBatch, QueryReport>): AsyncGenerator<DataApiItem, QueryReport> {
    let done = false;
    try {
      let next = await batches.next();
      for (; !next.done; next = await batches.next()) {
        for (const item of next.value.items) {
          if (item.kind === 'header') yield item;
          else yield* toEvents(item, this.buffer);
        }
      }
      done = true;
      return next.value;
    } finally {
      if (!done) await batches.return(undefined as never);
    }
  }
}
