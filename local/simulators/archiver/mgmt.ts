import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ArchiverCatalogue } from './catalogue';
import { jsonSimpleEscape, tomcatErrorPage } from './answer';

/**
 * The appliance's management business-logic API (`/mgmt/bpl/...`), the two
 * calls a client uses to know which PVs are archived, answered as
 * epicsarchiverap's GetAllPVs, GetPVStatusAction and PVsMatchingParameter do:
 *
 *   GET /mgmt/bpl/getAllPVs?pv=GLOB[,GLOB...]&regex=RE&limit=N
 *     a JSON array of names (json-simple's compact `["A","B"]` and a newline).
 *     `pv`: comma-separated names or GLOBs (`*`, `?`, case-sensitive, matched
 *     as WildcardFileFilter does: against the name's last `/` part); a plain
 *     name is listed when archived. Else `regex` (Java regex, whole name).
 *     Neither: every PV. `limit` default 500, -1 = all.
 *   GET|POST /mgmt/bpl/getPVStatus?pv=A,B*     (POST: body `pv=A,B`, form-encoded)
 *     `[` + one object per name + `]`: archived PVs with the engine's status
 *     fields (`"status":"Being archived"`, connectionState, lastEvent, ...),
 *     unknown plain names `{ "pvName": "X", "status": "Not being archived" }`.
 *
 * Order of the listing: sorted by name (*choice*: the appliance lists in its
 * config store's order, which clients must not rely on).
 */
export async function handleMgmt(req: IncomingMessage, res: ServerResponse, url: URL, catalogue: ArchiverCatalogue, nowNs: bigint): Promise<void> {
  const action = /^\/mgmt\/bpl\/([^/]+)$/.exec(url.pathname)?.[1];
  const params = new URLSearchParams(url.search);
  if (req.method === 'POST') {
    // Servlet getParameter also reads a form-encoded POST body.
    for (const [k, v] of new URLSearchParams(await readBody(req))) if (!params.has(k)) params.set(k, v);
  }
  switch (action) {
    case 'getAllPVs': {
      if (req.method !== 'GET') return page(res, 405, `HTTP method ${req.method} is not supported by this URL`);
      const limit = parseLimit(params.get('limit'), 500);
      if (limit === undefined) return page(res, 500, `java.lang.NumberFormatException: For input string: "${params.get('limit')}"`);
      const names = matchingPvs(catalogue, params, limit, false);
      return send(res, `[${names.map((n) => `"${jsonSimpleEscape(n)}"`).join(',')}]\n`);
    }
    case 'getPVStatus': {
      const names = matchingPvs(catalogue, params, -1, true);
      const entries = names.map((name) => statusJson(catalogue, name, nowNs));
      return send(res, `[\n${entries.join(',\n')}${entries.length ? '\n' : ''}]\n`);
    }
    default:
      return page(res, 404, `The requested resource [${url.pathname}] is not available`);
  }
}

/** PVsMatchingParameter.getMatchingPVs. */
function matchingPvs(catalogue: ArchiverCatalogue, params: URLSearchParams, limit: number, includeUnknown: boolean): string[] {
  const all = catalogue.names().sort();
  const out: string[] = [];
  const full = () => limit !== -1 && out.length >= limit;
  const pv = params.get('pv');
  if (pv !== null && pv !== '') {
    for (const item of pv.split(',')) {
      if (/[*?]/.test(item)) {
        const match = globMatcher(item);
        for (const name of all) {
          if (match(lastPart(name))) out.push(name);
          if (full()) return out;
        }
      } else if (catalogue.get(stripVal(item)) || includeUnknown) {
        out.push(item);
        if (full()) return out;
      }
    }
    return out;
  }
  const regex = params.get('regex');
  const re = regex !== null ? new RegExp(`^(?:${regex})$`) : undefined; // a bad regex throws: a 500, as Java's PatternSyntaxException
  for (const name of all) {
    if (!re || re.test(name)) out.push(name);
    if (full()) return out;
  }
  return out;
}

/** WildcardFileFilter matches `new File(name).getName()`. */
const lastPart = (name: string) => name.slice(name.lastIndexOf('/') + 1);
const stripVal = (name: string) => (name.endsWith('.VAL') ? name.slice(0, -4) : name);

/** A GLOB (`*` any run, `?` one character; nothing else special) as a predicate. */
function globMatcher(glob: string): (name: string) => boolean {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const re = new RegExp(`^${source}$`, 's');
  return (name) => re.test(name);
}

function parseLimit(text: string | null, fallback: number): number | undefined {
  if (text === null) return fallback;
  return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

/** One entry of getPVStatus, as the engine and GetPVStatusAction write it. */
function statusJson(catalogue: ArchiverCatalogue, name: string, nowNs: bigint): string {
  const pv = stripVal(name);
  const definition = catalogue.get(pv);
  if (!definition) return `{ "pvName": "${jsonSimpleEscape(name)}", "status": "Not being archived" }`;
  const last = catalogue.sampleAt(pv, nowNs);
  const fields: Record<string, string> = {
    lastRotateLogs: 'Never',
    appliance: 'appliance0',
    pvName: name,
    pvNameOnly: pv,
    connectionState: 'true',
    lastEvent: last ? applianceDate(last.timeNs) : 'Never',
    samplingPeriod: '1.0',
    isMonitored: 'true',
    connectionLastRestablished: 'Never',
    connectionFirstEstablished: applianceDate(nowNs - 86_400_000_000_000n),
    connectionLossRegainCount: '0',
    status: 'Being archived',
  };
  return `{${Object.entries(fields).map(([k, v]) => `"${k}":"${jsonSimpleEscape(v)}"`).join(',')}}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The engine's `MMM/dd/yyyy HH:mm:ss xxx` (here always UTC: `+00:00`). */
function applianceDate(timeNs: bigint): string {
  const d = new Date(Number(timeNs / 1_000_000n));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]}/${two(d.getUTCDate())}/${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +00:00`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 4 * 1024 * 1024) throw new Error('request body over 4 MiB');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, body: string): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

function page(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/html;charset=utf-8' }).end(tomcatErrorPage(status, message));
}
