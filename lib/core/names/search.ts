import type { NameCatalogue, NameKind } from './catalogue';
import type { NameCatalogues } from './check';

/** One name found by `GET /channels?search=`. */
export interface NameHit {
  name: string;
  kind: NameKind;
  /** 'sf-databuffer', 'sf-imagebuffer' or 'archiver'. */
  backend: string;
}

/** A catalogue that could not be searched, and why. */
export interface NotSearched {
  kind: NameKind;
  backend: string;
  buffer: string;
  why: string;
}

/**
 * The answer of `GET /channels?search=PATTERN[&kind=bs,camera,pv][&limit=N]`
 * (the broker adds `status: "ok"`):
 *
 *   { "status": "ok", "message": "2 names match \"*TIFALL*\"",
 *     "channels": [ { "name": "SAR-CVME-TIFALL4:EvtSet", "kind": "bs", "backend": "sf-databuffer" }, ... ],
 *     "total": 2, "truncated": false, "unavailable": [] }
 *
 * `unavailable` lists the catalogues that did not answer (`{kind, backend, buffer, why}`):
 * the search is then incomplete, and the message says so.
 */
export interface NameSearchResult {
  message: string;
  channels: NameHit[];
  /** How many names matched (more than `channels` holds when truncated). */
  total: number;
  truncated: boolean;
  unavailable: NotSearched[];
}

export interface NameSearchQuery {
  /** `*` and `?` make it a GLOB over the whole name; otherwise a substring. Case-insensitive. */
  pattern: string;
  /** Default: BS channels and cameras. */
  kinds?: readonly NameKind[];
  /** Default 100, at most 1000. */
  limit?: number;
}

export const DEFAULT_SEARCH_KINDS: readonly NameKind[] = ['bs', 'camera'];
export const MAX_SEARCH_LIMIT = 1000;
const KIND_ORDER: Record<NameKind, number> = { bs: 0, camera: 1, pv: 2 };

/**
 * Find names for `sfdaq channels PATTERN` / `sfdaq pvs PATTERN`: search the
 * catalogues of the kinds asked (cached, in parallel, within `budgetMs`),
 * merge, sort by name (case-insensitive; kind breaks ties), cut at `limit`.
 *
 * @example
 *   await searchNames({ pattern: 'tifall' }, catalogues)
 *   // { channels: [{ name: 'SAR-CVME-TIFALL4:EvtSet', kind: 'bs', backend: 'sf-databuffer' }, ...], total: 2, ... }
 *   await searchNames({ pattern: 'SARFE10-*:PRESSURE', kinds: ['pv'] }, catalogues)
 */
export async function searchNames(query: NameSearchQuery, catalogues: NameCatalogues, options: { budgetMs?: number; signal?: AbortSignal } = {}): Promise<NameSearchResult> {
  const kinds = [...new Set(query.kinds && query.kinds.length > 0 ? query.kinds : DEFAULT_SEARCH_KINDS)];
  const limit = Math.min(MAX_SEARCH_LIMIT, Math.max(1, query.limit ?? 100));
  const matches = nameMatcher(query.pattern);
  const hits: Array<NameHit & { lower: string }> = [];
  const unavailable: NotSearched[] = [];
  await Promise.all(
    kinds.map(async (kind) => {
      const catalogue: NameCatalogue | undefined = catalogues[kind];
      if (!catalogue) {
        unavailable.push({ kind, backend: '', buffer: '', why: `no catalogue of ${kind} names is configured` });
        return;
      }
      const answer = await catalogue.names({ budgetMs: options.budgetMs ?? 2_000, ...(options.signal ? { signal: options.signal } : {}) });
      if (!answer.ok) {
        unavailable.push({ kind, backend: catalogue.backend, buffer: catalogue.buffer, why: answer.why });
        return;
      }
      for (const name of answer.list.index.all()) {
        const lower = name.toLowerCase();
        if (matches(lower)) hits.push({ name, kind, backend: catalogue.backend, lower });
      }
    }),
  );
  hits.sort((a, b) => (a.lower < b.lower ? -1 : a.lower > b.lower ? 1 : KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || (a.name < b.name ? -1 : 1)));
  unavailable.sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  const channels = hits.slice(0, limit).map(({ name, kind, backend }) => ({ name, kind, backend }));
  return { message: searchMessage(query.pattern, hits.length, channels.length, unavailable), channels, total: hits.length, truncated: hits.length > channels.length, unavailable };
}

function searchMessage(pattern: string, total: number, shown: number, unavailable: NotSearched[]): string {
  const what = total === 1 ? '1 name matches' : `${total.toLocaleString('en-US')} names match`;
  let message = `${what} ${JSON.stringify(pattern)}`;
  if (shown < total) message += ` (the first ${shown} shown: make the pattern longer, or raise the limit)`;
  if (unavailable.length > 0) message += `; not searched: ${unavailable.map((u) => `${u.buffer || u.kind} (${u.why})`).join(', ')}`;
  return message;
}

/**
 * The pattern as a predicate over lower-cased names (so: case-insensitive):
 * with `*` (any run) or `?` (one character) a GLOB over the whole name, else
 * a substring. No regular expression: a user's pattern cannot blow up.
 *
 * @example
 *   nameMatcher('TIFALL')('sar-cvme-tifall5:evtset')       // true
 *   nameMatcher('SAR*:EvtSet')('sar-cvme-tifall5:evtset')  // true
 */
export function nameMatcher(pattern: string): (lowerName: string) => boolean {
  const p = pattern.toLowerCase();
  if (!/[*?]/.test(p)) return (name) => name.includes(p);
  return (name) => globMatch(p, name);
}

/** Iterative GLOB matching with backtracking to the last `*` only: O(len(p) * len(s)) at worst. */
function globMatch(p: string, s: string): boolean {
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === s[si]))) {
      pi++;
      si++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = si;
    } else if (star >= 0) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}
