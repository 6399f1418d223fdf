/**
 * Which PVs the EPICS Archiver Appliance archives: its management API
 * (`/mgmt/bpl`, epicsarchiverap's GetAllPVs and GetPVStatusAction), and the
 * archiver's name catalogue built on it (the NameCatalogue port of lib/core/names).
 *
 *   GET <mgmt>/mgmt/bpl/getAllPVs?pv=<GLOB>&limit=<N>   -> ["NAME", ...]   (limit default 500, -1 = all)
 *   POST <mgmt>/mgmt/bpl/getPVStatus  body pv=A,B,C     -> [{"pvName", "status": "Being archived" | "Not being archived" | ...}, ...]
 *
 * The appliance serves the management API on its own port (17665 by
 * default, retrieval on 17668): `mgmtUrl` when it differs from the
 * retrieval base URL.
 */
import { CachedCatalogue, type CachedCatalogueOptions } from '../../../core/names/catalogue';

export interface HttpOptions {
  signal?: AbortSignal;
  /** For tests; default the global fetch. */
  fetch?: typeof fetch;
}

export interface PvStatus {
  pvName: string;
  /** 'Being archived', 'Not being archived', 'Paused', 'Initial sampling', 'Appliance assigned', ... */
  status: string;
  /** The engine's fields when archived (connectionState, lastEvent, samplingPeriod, ...), all strings. */
  [field: string]: string;
}

const mgmt = (baseUrl: string, action: string) => `${baseUrl.replace(/\/+$/, '')}/mgmt/bpl/${action}`;

async function json(response: Response, url: string): Promise<unknown> {
  const text = await response.text();
  if (!response.ok) throw new Error(`the archiver's management API answered HTTP ${response.status} (${url})`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`the archiver's management API answered something that is not JSON (${url})`);
  }
}

/**
 * getAllPVs: the archived names matching a GLOB (`*`, `?`; default every
 * PV), at most `limit` (default here -1: all; the appliance's own default is 500).
 *
 * @example
 *   await getAllPvs('http://archiver:17665', { pv: 'SARFE10-*' }) // ['SARFE10-OPSH044:PRESSURE', ...]
 */
export async function getAllPvs(baseUrl: string, query: { pv?: string; regex?: string; limit?: number } = {}, options: HttpOptions = {}): Promise<string[]> {
  const params = new URLSearchParams();
  if (query.pv !== undefined) params.set('pv', query.pv);
  if (query.regex !== undefined) params.set('regex', query.regex);
  params.set('limit', String(query.limit ?? -1));
  const url = `${mgmt(baseUrl, 'getAllPVs')}?${params.toString()}`;
  const body = await json(await (options.fetch ?? fetch)(url, { headers: { accept: 'application/json' }, ...(options.signal ? { signal: options.signal } : {}) }), url);
  if (!Array.isArray(body)) throw new Error(`the archiver's getAllPVs did not answer a list (${url})`);
  return body.filter((n): n is string => typeof n === 'string');
}

/**
 * getPVStatus of several PVs in one call (POSTed as `pv=A,B,C`, as the
 * appliance asks for lists too long for a URL).
 *
 * @example
 *   await getPvStatus('http://archiver:17665', ['SARFE10-OPSH044:PRESSURE', 'NOPE'])
 *   // [{ pvName: 'SARFE10-OPSH044:PRESSURE', status: 'Being archived', ... }, { pvName: 'NOPE', status: 'Not being archived' }]
 */
export async function getPvStatus(baseUrl: string, pvs: readonly string[], options: HttpOptions = {}): Promise<PvStatus[]> {
  const url = mgmt(baseUrl, 'getPVStatus');
  const response = await (options.fetch ?? fetch)(url, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ pv: pvs.join(',') }).toString(),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const body = await json(response, url);
  if (!Array.isArray(body)) throw new Error(`the archiver's getPVStatus did not answer a list (${url})`);
  return body.filter((s): s is PvStatus => typeof s === 'object' && s !== null && typeof (s as { pvName?: unknown }).pvName === 'string');
}

export interface ArchiverCatalogueOptions extends Omit<CachedCatalogueOptions, 'kind' | 'buffer' | 'backend' | 'load'> {
  /** Where `/mgmt/bpl` lives (SFDAQ_ARCHIVER_MGMT_URL; the simulator serves it beside the retrieval API). */
  mgmtUrl: string;
  fetch?: typeof fetch;
}

/**
 * The archived PV names ('pv', "archiver"), cached (default 5 minutes;
 * answers within 300 ms or says why not), from `getAllPVs?limit=-1`.
 *
 * @example
 *   const pvs = archiverPvCatalogue({ mgmtUrl: config.archiverMgmtUrl });
 *   const answer = await pvs.names();
 */
export function archiverPvCatalogue(options: ArchiverCatalogueOptions): CachedCatalogue {
  const { mgmtUrl, fetch: fetchFn, ...cache } = options;
  return new CachedCatalogue({
    ...cache,
    kind: 'pv',
    buffer: 'archiver',
    backend: 'archiver',
    load: (signal) => getAllPvs(mgmtUrl, { limit: -1 }, { signal, ...(fetchFn ? { fetch: fetchFn } : {}) }),
  });
}
