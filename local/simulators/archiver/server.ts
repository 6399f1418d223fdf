import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FacilityClock, parseIsoDateNs } from '../../../lib/core/clock';
import { type FaultPlan, takeCounted, takeFailure } from '../faults';
import { answerChunks, tomcatErrorPage } from './answer';
import { handleFaultRoute } from './fault-route';
import { handleMgmt } from './mgmt';
import { type ArchiverCatalogue, createCatalogue, latestMetadata } from './catalogue';
import { withPulseFaults } from './pulse-faults';
import { retainedSamples } from './retention';
import { type BodyCut, streamBody } from './stream-body';

export interface ArchiverSimulatorOptions {
  port?: number;
  host?: string;
  clock: FacilityClock;
  /** Ring length: samples older than now - retention are gone (see retention.ts). */
  retentionMs: number;
  catalogue?: ArchiverCatalogue;
}

export interface ArchiverSimulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`; the retrieval API lives under `/retrieval/data/`. */
  url: string;
  /** The live fault plan of the retrieval API; set it in process or with `PUT /__faults`. */
  faults: FaultPlan;
  /**
   * The fault plan of the management API (`/mgmt/bpl/...`: latencyMs, httpErrors),
   * apart so that name checks never consume faults meant for a retrieval;
   * set it in process or with `PUT /__faults/mgmt`.
   */
  mgmtFaults: FaultPlan;
  /** Raw request targets (path + query, as sent) of the last 1000 requests, oldest first. */
  requests: string[];
  close(): Promise<void>;
}

const NS_PER_MS = 1_000_000n;
const HOUR_NS = 3_600_000n * NS_PER_MS;
const MAX_LOGGED = 1000;

/**
 * An EPICS Archiver Appliance retrieval endpoint over a simulated archive:
 * `GET /retrieval/data/getData.json?pv=&from=&to=` answered as the appliance
 * does (unknown PV: 404 "Unable to find typeinfo for pv X"; bad times: 400;
 * missing `to`: now + 1 h, missing `from`: `to` - 1 day; a `.VAL` suffix
 * names the record itself; numbers as Java's Double.toString prints them;
 * `fetchLatestMetadata=true` adds the PV's metadata as the first sample's
 * `fields`), the management API's `getAllPVs` and `getPVStatus` (mgmt.ts),
 * plus `PUT /__faults` (JSON FaultPlan) and `DELETE /__faults` (and
 * `/__faults/mgmt` for the management API). Its "now" is the clock's
 * current pulse's timestamp.
 *
 * Faults: latencyMs delays every retrieval answer; httpErrors answers the
 * next N retrieval requests with that status; resetAfterBytes destroys the
 * socket mid-body; truncateAfterBytes ends the (chunked) body cleanly early,
 * leaving truncated JSON; missingPulseIds / duplicatedPulseIds drop / repeat
 * the samples falling at those pulses (pulse-faults.ts).
 *
 * @example
 *   const sim = await startArchiverSimulator({ clock, retentionMs: 3_600_000 });
 *   const client = new ArchiverClient({ baseUrl: sim.url });
 *   sim.faults.httpErrors = { status: 503, count: 2 };
 *   await sim.close();
 */
export async function startArchiverSimulator(options: ArchiverSimulatorOptions): Promise<ArchiverSimulator> {
  const catalogue = options.catalogue ?? createCatalogue(options.clock);
  const faults: FaultPlan = {};
  const mgmtFaults: FaultPlan = {};
  const requests: string[] = [];
  const retentionNs = BigInt(Math.round(options.retentionMs)) * NS_PER_MS;
  const context: Context = { clock: options.clock, catalogue, faults, mgmtFaults, retentionNs };

  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (requests.length > MAX_LOGGED) requests.shift();
    handle(req, res, context).catch((error: unknown) => {
      if (!res.headersSent) sendPage(res, 500, `simulator error: ${(error as Error).message}`);
      else res.destroy();
    });
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;

  return {
    url: `http://${address}:${port}`,
    faults,
    mgmtFaults,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

interface Context {
  clock: FacilityClock;
  catalogue: ArchiverCatalogue;
  faults: FaultPlan;
  mgmtFaults: FaultPlan;
  retentionNs: bigint;
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: Context): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator');
  if (url.pathname === '/__faults') return handleFaultRoute(req, res, ctx.faults);
  if (url.pathname === '/__faults/mgmt') return handleFaultRoute(req, res, ctx.mgmtFaults);
  if (url.pathname.startsWith('/mgmt/bpl/')) {
    if (ctx.mgmtFaults.latencyMs) await new Promise((resolve) => setTimeout(resolve, ctx.mgmtFaults.latencyMs));
    const failure = takeCounted(ctx.mgmtFaults.httpErrors);
    if (failure) return sendPage(res, failure.status, 'simulated fault');
    return handleMgmt(req, res, url, ctx.catalogue, ctx.clock.timestampNs(ctx.clock.currentPulseId()));
  }

  const route = /^\/retrieval\/data\/([^/.]+)\.([^/]+)$/.exec(url.pathname);
  if (!route) return sendPage(res, 404, `The requested resource [${url.pathname}] is not available`);
  if (ctx.faults.latencyMs) await new Promise((resolve) => setTimeout(resolve, ctx.faults.latencyMs));
  const failure = takeFailure(ctx.faults);
  if (failure) return sendPage(res, failure.status, 'simulated fault');

  const [, method, extension] = route;
  if (method !== 'getData' || req.method !== 'GET') return sendPage(res, 400, `"${method}" is not a valid API method.`);
  if (extension !== 'json') return sendPage(res, 400, `the simulator answers only getData.json, not .${extension}`);
  const requested = url.searchParams.get('pv');
  if (!requested) return sendPage(res, 400, 'PV name is null.');

  const nowNs = ctx.clock.timestampNs(ctx.clock.currentPulseId());
  const to = parseTime(url.searchParams.get('to'), nowNs + HOUR_NS);
  if (to === undefined) return sendPage(res, 400, `Cannot parse time${url.searchParams.get('to')}`);
  const from = parseTime(url.searchParams.get('from'), to - 24n * HOUR_NS);
  if (from === undefined) return sendPage(res, 400, `Cannot parse time${url.searchParams.get('from')}`);
  if (to < from) return sendPage(res, 400, `For request, end ${url.searchParams.get('to')} is before start ${url.searchParams.get('from')}`);

  const pv = requested.endsWith('.VAL') ? requested.slice(0, -4) : requested;
  const definition = ctx.catalogue.get(pv);
  if (!definition) return sendPage(res, 404, `Unable to find typeinfo for pv ${pv}`);

  const samples = withPulseFaults(
    retainedSamples(ctx.catalogue, pv, from, to, nowNs, ctx.retentionNs),
    ctx.clock,
    new Set(ctx.faults.missingPulseIds ?? []),
    new Set(ctx.faults.duplicatedPulseIds ?? []),
  );
  const reset = takeCounted(ctx.faults.resetAfterBytes);
  const truncate = reset ? undefined : takeCounted(ctx.faults.truncateAfterBytes);
  const cut: BodyCut | undefined = reset ? { bytes: reset.bytes, mode: 'reset' } : truncate && { bytes: truncate.bytes, mode: 'truncate' };
  // fetchLatestMetadata=true: the engine's latest metadata rides on the first sample as "fields".
  const fields = url.searchParams.get('fetchLatestMetadata') === 'true' ? latestMetadata(definition) : undefined;
  res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
  await streamBody(res, answerChunks(pv, definition.meta, samples, undefined, fields), cut);
}

function parseTime(text: string | null, fallback: bigint): bigint | undefined {
  if (text === null) return fallback;
  try {
    return parseIsoDateNs(text);
  } catch {
    return undefined;
  }
}

function sendPage(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/html;charset=utf-8' }).end(tomcatErrorPage(status, message));
}
