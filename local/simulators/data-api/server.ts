/**
 * A Data API 3 simulator (data buffer or image buffer) on a real socket.
 *
 *   POST /api/1/query                         binary frames (405 other methods, 406 wrong Accept, 400 bad body)
 *   GET  /api/1/requestStatus/<id>            {"error_count", "warn_count", "channel_not_found", "errors"?}
 *   GET  /api/4/map/pulse/<backend>/<pulse>   bare JSON number (ns), 204 for pulses not produced yet
 *   GET  /api/4/search/channel?backend=&nameRegex=[&icase=true]   the channel search (search.ts)
 *   GET  /api/1/channels?regex=, POST /api/1/channels {regex, backends}   API 1's search (search.ts)
 *   PUT  /__faults, DELETE /__faults          set / clear the FaultPlan (tests)
 *   PUT  /__faults/search, DELETE ...         the searches' own plan (latencyMs, httpErrors)
 *
 * Faults: latencyMs and httpErrors apply to every API request (query, request
 * status, pulse map); resetAfterBytes and truncateAfterBytes to query bodies;
 * missingPulseIds and duplicatedPulseIds to the events of every channel.
 * The pulse map answers for any produced pulse, also one the ring buffer no
 * longer holds (the map outlives the data: that is how an expired range looks).
 * The map accepts both backend names (*choice*: one clock serves both buffers).
 * The searches answer for both backends too (as data-api.psi.ch does), from
 * the catalogue both simulators share, and have their own fault plan so that
 * a name check never consumes a fault meant for a retrieval.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FacilityClock } from '../../../lib/core/clock';
import type { DataApiBackend } from '../../../lib/adapters/buffers/data-api/client';
import { parseFaultPlan, takeCounted, takeFailure, type FaultPlan } from '../faults';
import { Catalogue, defaultCatalogue } from './catalogue';
import type { ByteCut } from './frame-sink';
import { BadQuery, parseQuery, streamQuery } from './query';
import { RequestStatusBoard } from './request-status';
import { api1ChannelsAnswer, BadSearch, channelSearchAnswer } from './search';

export interface DataApiSimulatorOptions {
  /** 0 (default) = a free port. */
  port?: number;
  host?: string;
  backend: DataApiBackend;
  clock: FacilityClock;
  /** The ring buffer keeps pulses [now - retentionPulses, now]. */
  retentionPulses: number;
  catalogue?: Catalogue;
  /** 'older' emulates the older server's headers (see query.ts); default 'today'. */
  flavour?: 'today' | 'older';
  /** The 2-digit node number at the end of request ids. */
  nodeNumber?: number;
}

export interface DataApiSimulator {
  /** e.g. `http://127.0.0.1:40123` (the client's baseUrl). */
  url: string;
  /** The live fault plan: mutate it, or PUT /__faults. */
  faults: FaultPlan;
  /** The channel searches' fault plan (latencyMs, httpErrors): mutate it, or PUT /__faults/search. */
  searchFaults: FaultPlan;
  close(): Promise<void>;
}

const BACKENDS = new Set<string>(['sf-databuffer', 'sf-imagebuffer']);
const MAX_BODY = 1024 * 1024;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new BadQuery(`request body over ${MAX_BODY} B`);
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

function acceptsOctets(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  // No Accept header means anything (HTTP semantics).
  return accept === undefined || accept.includes('application/octet-stream') || accept.includes('*/*');
}

/**
 * Start a simulator.
 *
 * @example
 *   const sim = await startDataApiSimulator({ backend: 'sf-databuffer', clock, retentionPulses: 360_000 });
 *   const client = new DataApiClient({ baseUrl: sim.url, backend: 'sf-databuffer', sendDefaultBackend: true });
 *   sim.faults.httpErrors = { status: 503, count: 1 };
 *   await sim.close();
 */
export async function startDataApiSimulator(options: DataApiSimulatorOptions): Promise<DataApiSimulator> {
  const faults: FaultPlan = {};
  const searchFaults: FaultPlan = {};
  const board = new RequestStatusBoard(options.nodeNumber ?? 0);
  const catalogue = options.catalogue ?? defaultCatalogue;
  const flavour = options.flavour ?? 'today';

  const replaceFaults = (plan: FaultPlan, target: FaultPlan = faults): void => {
    for (const key of Object.keys(target)) delete target[key as keyof FaultPlan];
    Object.assign(target, plan);
  };

  async function handleSearch(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (searchFaults.latencyMs) await sleep(searchFaults.latencyMs);
    const failure = takeCounted(searchFaults.httpErrors);
    if (failure) {
      req.resume();
      return sendJson(res, failure.status, { message: `simulated fault: HTTP ${failure.status}` });
    }
    try {
      if (url.pathname === '/api/4/search/channel') {
        if (req.method !== 'GET') return sendJson(res, 405, { message: 'use GET' }, { Allow: 'GET' });
        return sendJson(res, 200, channelSearchAnswer(catalogue, url.searchParams));
      }
      if (req.method === 'GET') {
        const regex = url.searchParams.get('regex');
        return sendJson(res, 200, api1ChannelsAnswer(catalogue, regex !== null ? { regex } : {}));
      }
      if (req.method !== 'POST') return sendJson(res, 405, { message: 'use GET or POST' }, { Allow: 'GET, POST' });
      let body: { regex?: unknown; backends?: unknown };
      try {
        body = JSON.parse((await readBody(req)) || '{}') as typeof body;
      } catch {
        throw new BadSearch('the body is not JSON');
      }
      const query: { regex?: string; backends?: string[] } = {};
      if (typeof body.regex === 'string') query.regex = body.regex;
      if (Array.isArray(body.backends)) query.backends = body.backends.filter((b): b is string => typeof b === 'string');
      return sendJson(res, 200, api1ChannelsAnswer(catalogue, query));
    } catch (error) {
      if (!(error instanceof BadSearch) && !(error instanceof BadQuery)) throw error;
      return sendJson(res, 400, { message: error.message });
    }
  }

  async function handleQuery(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return sendJson(res, 405, { message: `method ${req.method} not allowed, use POST` }, { Allow: 'POST' });
    if (!acceptsOctets(req)) return sendJson(res, 406, { message: `Unsupported Accept: ${req.headers.accept}` });
    const { id, entry } = board.open();
    let plan;
    try {
      const text = await readBody(req);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new BadQuery('the body is not JSON');
      }
      plan = parseQuery(body);
    } catch (error) {
      if (!(error instanceof BadQuery)) throw error;
      entry.errors.push(error.message);
      return sendJson(res, 400, { requestId: id, message: error.message });
    }
    const reset = takeCounted(faults.resetAfterBytes);
    const truncate = reset ? undefined : takeCounted(faults.truncateAfterBytes);
    const cut: ByteCut | undefined = reset ? { bytes: reset.bytes, mode: 'reset' } : truncate ? { bytes: truncate.bytes, mode: 'truncate' } : undefined;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'x-daqbuffer-request-id': id });
    await streamQuery(res, plan, {
      backend: options.backend,
      clock: options.clock,
      retentionPulses: options.retentionPulses,
      catalogue,
      flavour,
      status: entry,
      cut,
      missing: new Set(faults.missingPulseIds ?? []),
      duplicated: new Set(faults.duplicatedPulseIds ?? []),
    });
  }

  function handlePulseMap(res: ServerResponse, backend: string, pulseText: string): void {
    if (!BACKENDS.has(backend)) return sendJson(res, 400, { message: `unknown backend ${backend}` });
    if (!/^\d+$/.test(pulseText)) return sendJson(res, 400, { message: `bad pulse id ${pulseText}` });
    const pulse = BigInt(pulseText);
    if (pulse > options.clock.currentPulseId()) {
      res.writeHead(204);
      res.end();
      return;
    }
    const text = options.clock.timestampNs(pulse).toString(); // a bare JSON number beyond 2^53
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': text.length });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname;
    if (path === '/__faults' || path === '/__faults/search') {
      const target = path === '/__faults' ? faults : searchFaults;
      if (req.method === 'PUT') {
        replaceFaults(parseFaultPlan(JSON.parse((await readBody(req)) || '{}')), target);
        return sendJson(res, 200, target);
      }
      if (req.method === 'DELETE') {
        replaceFaults({}, target);
        return sendJson(res, 200, target);
      }
      if (req.method === 'GET') return sendJson(res, 200, target);
      return sendJson(res, 405, { message: 'use GET, PUT or DELETE' });
    }
    if (path === '/api/4/search/channel' || path === '/api/1/channels') return handleSearch(req, res, url);

    if (faults.latencyMs) await sleep(faults.latencyMs);
    const slow = path === '/api/1/query' ? takeCounted(faults.slowRequests) : undefined;
    if (slow) await sleep(slow.ms);
    const failure = takeFailure(faults);
    if (failure) {
      req.resume();
      return sendJson(res, failure.status, { requestId: 'simulated-fault', message: `simulated fault: HTTP ${failure.status}` });
    }

    if (path === '/api/1/query') return handleQuery(req, res);
    const status = /^\/api\/1\/requestStatus\/([^/]+)$/.exec(path);
    if (status) {
      if (req.method !== 'GET') return sendJson(res, 405, { message: 'use GET' }, { Allow: 'GET' });
      return sendJson(res, 200, board.json(decodeURIComponent(status[1]!)));
    }
    const map = /^\/api\/4\/map\/pulse\/([^/]+)\/([^/]+)$/.exec(path);
    if (map) {
      if (req.method !== 'GET') return sendJson(res, 405, { message: 'use GET' }, { Allow: 'GET' });
      return handlePulseMap(res, map[1]!, map[2]!);
    }
    sendJson(res, 404, { message: `no such endpoint: ${path}` });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { message: `simulator error: ${(error as Error).message}` });
      else res.destroy(error as Error);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    faults,
    searchFaults,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
