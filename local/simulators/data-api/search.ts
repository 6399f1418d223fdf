/**
 * The Data API's channel-name searches, answered from the simulator's catalogue:
 *
 *   GET <host>/api/4/search/channel?backend=sf-databuffer&nameRegex=RE[&icase=true]
 *     `{"channels": [{"backend", "name", "seriesId", "source", "type", "shape", "unit", "description"}, ...]}`
 *     (daqbuffer's ChannelSearchResult / ChannelSearchSingleResult). The regex is
 *     a search, not anchored (PostgreSQL's `~`, as the server's SQL uses: the
 *     documented example `DBPM.*Q1$`); case-sensitive unless `icase=true`. No
 *     `backend`: every backend. An empty query (no nameRegex, sourceRegex or
 *     descriptionRegex) answers no channel, as the server does. Sorted by name.
 *   GET <base>/api/1/channels?regex=RE, POST <base>/api/1/channels {"regex", "backends"?}
 *     `[{"backend": "sf-databuffer", "channels": ["NAME", ...]}, ...]` (API 1's
 *     ChannelSearchResultV1: one entry per backend), the call data_api3's
 *     command-line `search` makes. No regex: every channel (*choice*).
 *
 * Choices: `seriesId` is a stable hash of backend and name; `source` names a
 * bsread stream of the channel's device; `unit` and `description` are empty
 * (the facility's data buffer fills them rarely).
 */
import type { Catalogue, ListedChannel } from './catalogue';

const BACKENDS = ['sf-databuffer', 'sf-imagebuffer'] as const;

export class BadSearch extends Error {}

function compile(pattern: string, flags: string): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    throw new BadSearch(`invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
}

/** Data API 4's answer to `search/channel` with these query parameters. */
export function channelSearchAnswer(catalogue: Catalogue, params: URLSearchParams): { channels: object[] } {
  const backend = params.get('backend') ?? undefined;
  const name = params.get('nameRegex') ?? '';
  const source = params.get('sourceRegex') ?? '';
  const description = params.get('descriptionRegex') ?? '';
  if (name === '' && source === '' && description === '') return { channels: [] };
  const flags = params.get('icase') === 'true' ? 'i' : '';
  const nameRe = compile(name, flags);
  const sourceRe = compile(source, flags);
  const descriptionRe = compile(description, flags);
  const channels = listedOf(catalogue, backend)
    .filter((c) => nameRe.test(c.name))
    .map(entry)
    .filter((c) => sourceRe.test(c.source) && descriptionRe.test(c.description));
  return { channels };
}

/** API 1's answer to `channels` (GET `regex=`, or a POST body `{regex, backends}`). */
export function api1ChannelsAnswer(catalogue: Catalogue, query: { regex?: string; backends?: string[] }): Array<{ backend: string; channels: string[] }> {
  const re = compile(query.regex ?? '', '');
  const backends = query.backends && query.backends.length > 0 ? query.backends : [...BACKENDS];
  return backends.map((backend) => ({ backend, channels: listedOf(catalogue, backend).filter((c) => re.test(c.name)).map((c) => c.name) }));
}

function listedOf(catalogue: Catalogue, backend: string | undefined): ListedChannel[] {
  if (backend === undefined) return catalogue.listed();
  return (BACKENDS as readonly string[]).includes(backend) ? catalogue.listed(backend as ListedChannel['backend']) : [];
}

function entry(c: ListedChannel) {
  const device = c.name.split(':')[0]!.toLowerCase();
  return {
    backend: c.backend,
    name: c.name,
    seriesId: seriesId(`${c.backend}/${c.name}`),
    source: `tcp://${device}:9999`,
    type: c.type,
    shape: c.shape,
    unit: '',
    description: '',
  };
}

/** A stable 52-bit id (two FNV-1a hashes), standing in for the database's series id. */
function seriesId(key: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    a = Math.imul(a ^ key.charCodeAt(i), 0x01000193);
    b = Math.imul(b ^ key.charCodeAt(i), 0x5bd1e995);
  }
  return (a >>> 0) * 2 ** 20 + ((b >>> 0) & 0xfffff);
}
