import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolveBeamline, type FacilityConfig } from '../lib/core/facility';
import { beamlineOfEventSource } from '../lib/core/scan-event';
import type { loadServerlessYml } from './serverless-config';

/**
 * The local stand-in for EventBridge: `POST /local/events` takes what the
 * scan software would hand to PutEvents and delivers each entry to the
 * functions whose `eventBridge` pattern in serverless.yml matches it, exactly
 * as the rule would, with the event shape Lambda receives.
 *
 *   curl -s localhost:10002/local/events -H 'content-type: application/json' -d '{"Entries": [{
 *     "Source": "ch.psi.sf.alvra.scan", "DetailType": "Scan Step Completed",
 *     "Detail": "{\"pgroup\": \"p12345\", \"start_pulseid\": 1000, \"stop_pulseid\": 2000, \"channels_list\": [\"SAR-CVME-TIFALL5:EvtSet\"]}"}]}'
 *
 * Answer: PutEvents' own `{FailedEntryCount, Entries: [{EventId} | {ErrorCode, ErrorMessage}]}`,
 * given before any target runs, as on AWS: each matching function gets the
 * event as an asynchronous invocation of the local Lambda service (2 retries
 * on a function error, then the on-failure destination: the dead-letter queue
 * file). So a script learns its run number as on AWS: from the run list, not
 * from this answer. An entry over 256 KB refuses the whole call
 * (ValidationException). `Detail` may also be an object (a local convenience;
 * PutEvents wants a JSON string).
 *
 * Who may put which source: on AWS an IAM condition on `events:source`; here
 * the poster is identified like any HTTP caller (its address or x-api-key)
 * and may only put sources of its own beamline (the facility's eventSources).
 */
export const LOCAL_EVENTS_PATH = '/local/events';

type Pattern = Record<string, unknown>;

interface Rule {
  functionName: string;
  pattern: Pattern;
}

/** Largest PutEvents entry, bytes (Source + DetailType + Detail + Resources, as EventBridge counts). */
export const MAX_ENTRY_BYTES = 262_144;

interface Entry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  Resources?: unknown;
  EventBusName?: unknown;
}

type ServerlessYml = ReturnType<typeof loadServerlessYml>;

/** The `eventBridge` events of serverless.yml's functions (params already resolved). */
export function eventRules(serverless: ServerlessYml): Rule[] {
  const rules: Rule[] = [];
  for (const [functionName, fn] of Object.entries(serverless.functions)) {
    for (const event of (fn.events ?? []) as Array<{ eventBridge?: { pattern?: Pattern } }>) {
      if (event.eventBridge) rules.push({ functionName, pattern: event.eventBridge.pattern ?? {} });
    }
  }
  return rules;
}

/** An entry's size as EventBridge counts it. */
function entrySize(entry: Entry): number {
  const text = (v: unknown) => (v === undefined ? 0 : Buffer.byteLength(typeof v === 'string' ? v : JSON.stringify(v), 'utf8'));
  return text(entry.Source) + text(entry.DetailType) + text(entry.Detail) + (Array.isArray(entry.Resources) ? entry.Resources.reduce((n: number, r) => n + text(r), 0) : 0);
}

/**
 * EventBridge's matching for the pattern forms we use: every pattern field
 * must match; a list matches if one of its values equals the event's
 * (strings) or a `{prefix}` object starts it; a nested object matches nested.
 *
 * @example matches({ 'detail-type': ['Scan Step Completed'] }, { 'detail-type': 'Scan Step Completed' }) // true
 */
export function matches(pattern: Pattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) {
      return expected.some((candidate) =>
        typeof candidate === 'object' && candidate !== null && 'prefix' in candidate
          ? typeof actual === 'string' && actual.startsWith(String((candidate as { prefix: unknown }).prefix))
          : candidate === actual);
    }
    if (typeof expected === 'object' && expected !== null) {
      return typeof actual === 'object' && actual !== null && matches(expected as Pattern, actual as Record<string, unknown>);
    }
    return false;
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`request body too large (more than ${limit} bytes)`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The local event bus as an `extra` route of the local HTTP API: returns
 * true if it took the request.
 *
 * @example const bus = localEventBus(await eventRules(serverless), () => deps().facility); if (bus(req, res)) return true;
 */
export function localEventBus(rules: Rule[], facility: () => FacilityConfig, invokeAsync: (functionName: string, event: unknown) => Promise<unknown>, region = 'eu-central-1') {
  const deliver = async (entry: Entry, poster: { sourceIp: string; apiKey?: string }) => {
    const source = typeof entry.Source === 'string' ? entry.Source : '';
    const detailType = typeof entry.DetailType === 'string' ? entry.DetailType : '';
    if (!source || !detailType || entry.Detail === undefined) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'an entry needs Source, DetailType and Detail' };
    }
    let detail: unknown = entry.Detail;
    if (typeof detail === 'string') {
      try {
        detail = JSON.parse(detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is not valid JSON' };
      }
    }
    // IAM's part: the poster's beamline must own the source it puts.
    const who = resolveBeamline(facility(), poster);
    let owner: string | undefined;
    try {
      owner = beamlineOfEventSource(facility(), source);
    } catch {
      owner = undefined;
    }
    if (!who.ok || owner !== who.beamline) {
      const as = who.ok ? `beamline ${who.beamline}` : 'an unidentified caller';
      return { ErrorCode: 'AccessDeniedException', ErrorMessage: `${as} may not put events with source ${JSON.stringify(source)}${owner ? ` (it belongs to ${owner})` : ' (no beamline lists it in eventSources)'}` };
    }
    const event = {
      version: '0', id: randomUUID(), 'detail-type': detailType, source, account: '000000000000', time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      region, resources: Array.isArray(entry.Resources) ? entry.Resources : [], detail,
    };
    // Delivered as AWS delivers: an asynchronous invoke per matching rule, after the answer is decided.
    for (const rule of rules.filter((r) => matches(r.pattern, event))) await invokeAsync(rule.functionName, event);
    return { EventId: event.id };
  };

  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (new URL(req.url ?? '/', 'http://local').pathname !== LOCAL_EVENTS_PATH) return false;
    void (async () => {
      if (req.method !== 'POST') return reply(res, 405, { status: 'failed', message: `method ${req.method} not allowed on ${LOCAL_EVENTS_PATH} (POST PutEvents entries)` });
      let body: { Entries?: unknown };
      try {
        body = JSON.parse(await readBody(req, 1024 * 1024)) as { Entries?: unknown };
      } catch (error) {
        return reply(res, 400, { status: 'failed', message: `the body must be PutEvents JSON {"Entries": [...]}: ${(error as Error).message}` });
      }
      if (!Array.isArray(body?.Entries) || body.Entries.length === 0 || body.Entries.length > 10) {
        return reply(res, 400, { status: 'failed', message: 'Entries must be a list of 1 to 10 events (as PutEvents takes)' });
      }
      const oversized = (body.Entries as Entry[]).find((entry) => entrySize(entry ?? {}) > MAX_ENTRY_BYTES);
      if (oversized) {
        return reply(res, 400, { __type: 'ValidationException', message: `an entry is ${entrySize(oversized)} bytes; EventBridge takes at most ${MAX_ENTRY_BYTES} per entry` });
      }
      const poster = { sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''), ...(typeof req.headers['x-api-key'] === 'string' ? { apiKey: req.headers['x-api-key'] } : {}) };
      const entries = [];
      for (const entry of body.Entries as Entry[]) entries.push(await deliver(entry ?? {}, poster));
      reply(res, 200, { FailedEntryCount: entries.filter((e) => 'ErrorCode' in e).length, Entries: entries });
    })().catch((error: Error) => {
      if (!res.headersSent) reply(res, 503, { status: 'failed', message: `local event bus error: ${error.message}` });
    });
    return true;
  };
}
