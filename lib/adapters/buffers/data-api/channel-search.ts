/**
 * The Data API's channel search, and the data and image buffers' name
 * catalogues built on it (the NameCatalogue port of lib/core/names).
 *
 *   GET <base>/api/4/search/channel?backend=sf-databuffer&nameRegex=<REGEX>[&icase=true]
 *   -> {"channels": [{"backend", "name", "seriesId", "source", "type", "shape", "unit", "description"}, ...]}
 *
 * (daqbuffer's ChannelSearchResult; the regex is a search, not anchored; an
 * empty regex finds nothing, so the catalogue asks for `.*`.) `base` is the
 * buffer's base URL, as for the pulse map of the same API 4; at PSI the
 * search host can differ: pass `searchUrl`.
 */
import { CachedCatalogue, type CachedCatalogueOptions } from '../../../core/names/catalogue';
import type { DataApiBackend } from './client';

/** One entry of the search's answer (the fields a client may rely on). */
export interface ChannelSearchEntry {
  backend: string;
  name: string;
  /** The dtype name (float64, uint16, ...); may be empty. */
  type: string;
  /** [] scalar, [n] waveform, [width, height] image. */
  shape: number[];
  seriesId?: number;
  source?: string;
  unit?: string;
  description?: string;
}

export interface ChannelSearchQuery {
  backend?: DataApiBackend | string;
  nameRegex: string;
  /** Case-insensitive (default false, as the server). */
  icase?: boolean;
}

export interface HttpOptions {
  signal?: AbortSignal;
  /** For tests; default the global fetch. */
  fetch?: typeof fetch;
}

/**
 * One search.
 *
 * @example
 *   await searchChannels('https://data-api.psi.ch', { backend: 'sf-databuffer', nameRegex: 'DBPM.*Q1$' })
 *   // [{ backend: 'sf-databuffer', name: 'SARBD01-DBPM040:Q1', type: 'float32', shape: [] , ... }, ...]
 */
export async function searchChannels(baseUrl: string, query: ChannelSearchQuery, options: HttpOptions = {}): Promise<ChannelSearchEntry[]> {
  const params = new URLSearchParams();
  if (query.backend !== undefined) params.set('backend', query.backend);
  params.set('nameRegex', query.nameRegex);
  if (query.icase) params.set('icase', 'true');
  const url = `${baseUrl.replace(/\/+$/, '')}/api/4/search/channel?${params.toString()}`;
  const response = await (options.fetch ?? fetch)(url, { headers: { accept: 'application/json' }, ...(options.signal ? { signal: options.signal } : {}) });
  const text = await response.text();
  if (!response.ok) throw new Error(`the channel search answered HTTP ${response.status} (${url})`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`the channel search answered something that is not JSON (${url})`);
  }
  const channels = (body as { channels?: unknown } | null)?.channels;
  if (!Array.isArray(channels)) throw new Error(`the channel search's answer has no "channels" list (${url})`);
  return channels.filter((c): c is ChannelSearchEntry => typeof c === 'object' && c !== null && typeof (c as { name?: unknown }).name === 'string');
}

export interface DataApiCatalogueOptions extends Omit<CachedCatalogueOptions, 'kind' | 'buffer' | 'backend' | 'load'> {
  /** The buffer's base URL (SFDAQ_DATA_BUFFER_URL / SFDAQ_IMAGE_BUFFER_URL). */
  baseUrl: string;
  /** Where the search lives, if not at `baseUrl`. */
  searchUrl?: string;
  backend: DataApiBackend;
  fetch?: typeof fetch;
}

/**
 * The names of one buffer, cached (default 5 minutes; answers within 300 ms
 * or says why not): `sf-databuffer` gives the BS channels ('bs', "data
 * buffer"), `sf-imagebuffer` the cameras ('camera', "image buffer").
 *
 * @example
 *   const bs = dataApiChannelCatalogue({ baseUrl: config.dataBufferUrl, backend: 'sf-databuffer' });
 *   const answer = await bs.names();   // { ok: true, list } | { ok: false, why }
 */
export function dataApiChannelCatalogue(options: DataApiCatalogueOptions): CachedCatalogue {
  const { baseUrl, searchUrl, backend, fetch: fetchFn, ...cache } = options;
  const image = backend === 'sf-imagebuffer';
  return new CachedCatalogue({
    ...cache,
    kind: image ? 'camera' : 'bs',
    buffer: image ? 'image buffer' : 'data buffer',
    backend,
    load: async (signal) => {
      const entries = await searchChannels(searchUrl ?? baseUrl, { backend, nameRegex: '.*' }, { signal, ...(fetchFn ? { fetch: fetchFn } : {}) });
      return entries.filter((c) => c.backend === undefined || c.backend === backend).map((c) => c.name);
    },
  });
}
