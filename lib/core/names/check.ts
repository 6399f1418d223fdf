import { RequestRefused } from '../errors';
import type { CatalogueAnswer, NameCatalogue, NameKind } from './catalogue';

/** The request's name lists, as sent (the indexes in refusals are those of the body). */
export interface NameCheckRequest {
  channels_list?: readonly unknown[] | undefined;
  camera_list?: readonly unknown[] | undefined;
  pv_list?: readonly unknown[] | undefined;
  /** `true`: unknown names are retrieved anyway (noted in the run log, not refused). */
  allow_unknown_channels?: unknown;
}

/** The catalogue of each kind; a kind without one is not checked (and not noted). */
export type NameCatalogues = Partial<Record<NameKind, NameCatalogue>>;

export interface NameCheckOptions {
  /** Longest wait for the catalogues together, ms (default 300). Cached catalogues answer in microseconds. */
  budgetMs?: number;
  signal?: AbortSignal;
  /** Unknown names described in a refusal (default 5; the rest are counted). */
  listed?: number;
  /** Suggestions per unknown name (default 3). */
  suggestions?: number;
  /** For the budget (tests pass their own). */
  now?: () => number;
}

export interface UnknownName {
  /** The request field, e.g. `channels_list[3]`. */
  field: string;
  name: string;
  kind: NameKind;
  /** Names it probably meant (computed for the first `listed` unknown names only). */
  suggestions: string[];
  /** The kind of name it is instead (a PV in channels_list, a camera among the BS channels). */
  isKind?: NameKind;
}

export interface NameCheck {
  /** Throw it: names are unknown and the request does not allow them. */
  refusal?: RequestRefused;
  unknown: UnknownName[];
  /** For the run log: lists not checked (and why), unknown names retrieved anyway. */
  notes: string[];
}

const LISTS: ReadonlyArray<readonly [keyof NameCheckRequest & `${string}_list`, NameKind]> = [
  ['channels_list', 'bs'],
  ['camera_list', 'camera'],
  ['pv_list', 'pv'],
];

const LIST_OF: Record<NameKind, string> = { bs: 'channels_list', camera: 'camera_list', pv: 'pv_list' };
const WHAT: Record<NameKind, string> = { bs: 'a BS channel', camera: 'a camera', pv: 'an EPICS PV' };
const NOT_KNOWN: Record<NameKind, (buffer: string) => string> = {
  bs: (buffer) => `is not a channel of the ${buffer}`,
  camera: (buffer) => `is not a camera of the ${buffer}`,
  pv: (buffer) => `is not archived (the ${buffer} does not know it)`,
};

/**
 * Check the request's channel, camera and PV names against the buffers'
 * catalogues, fetched in parallel within one budget. An unknown name is
 * refused, naming its field (`channels_list[3]`) with "did you mean"
 * suggestions, or the list it belongs in when it is another kind of name;
 * with `allow_unknown_channels: true` it is only noted. A catalogue that did
 * not answer in time leaves its list unchecked, with a note
 * "names not checked against the <buffer>: <why>". Never throws.
 *
 * Cost: a Set lookup per name (10,000 names: ~1 ms); suggestions are
 * computed for at most `listed` names, from an index built on first use
 * (see NameIndex).
 *
 * @example
 *   const check = await checkNames(body, { bs: dataBufferChannels, camera: imageBufferChannels, pv: archiverPvs });
 *   if (check.refusal) throw check.refusal;
 *   runLog.push(...check.notes);
 */
export async function checkNames(request: NameCheckRequest, catalogues: NameCatalogues, options: NameCheckOptions = {}): Promise<NameCheck> {
  // The catalogues are asked at once, in parallel, so each gets the whole budget (and a refusal note names it).
  const budgetMs = options.budgetMs ?? 300;
  const ask = (kind: NameKind): Promise<CatalogueAnswer> | undefined =>
    catalogues[kind]?.names({ budgetMs, ...(options.signal ? { signal: options.signal } : {}) });

  const present = LISTS.filter(([field, kind]) => (request[field]?.length ?? 0) > 0 && catalogues[kind]);
  const answers: Partial<Record<NameKind, CatalogueAnswer>> = {};
  await Promise.all(present.map(async ([, kind]) => (answers[kind] = await ask(kind)!)));

  const notes: string[] = [];
  const unknown: UnknownName[] = [];
  for (const [field, kind] of present) {
    const answer = answers[kind]!;
    if (!answer.ok) {
      notes.push(`names not checked against the ${catalogues[kind]!.buffer}: ${answer.why}`);
      continue;
    }
    const seen = new Set<string>();
    request[field]!.forEach((name, i) => {
      if (typeof name !== 'string' || seen.has(name)) return;
      seen.add(name);
      if (!answer.list.index.has(name)) unknown.push({ field: `${field}[${i}]`, name, kind, suggestions: [] });
    });
  }
  if (unknown.length === 0) return { unknown, notes };

  // Another kind of name in the wrong list? Ask the other catalogues too (cached: free).
  const others = (Object.keys(catalogues) as NameKind[]).filter((k) => !(k in answers));
  await Promise.all(others.map(async (kind) => (answers[kind] = await ask(kind)!)));
  for (const u of unknown) {
    for (const kind of ['bs', 'camera', 'pv'] as const) {
      const answer = answers[kind];
      if (kind !== u.kind && answer?.ok && answer.list.index.has(u.name)) {
        u.isKind = kind;
        break;
      }
    }
  }
  const listed = options.listed ?? 5;
  for (const u of unknown.slice(0, listed)) {
    const answer = answers[u.kind];
    if (!u.isKind && answer?.ok) u.suggestions = answer.list.index.suggest(u.name, options.suggestions ?? 3);
  }

  if (request.allow_unknown_channels === true) {
    for (const [, kind] of present) {
      const names = unknown.filter((u) => u.kind === kind).map((u) => u.name);
      if (names.length === 0) continue;
      const shown = names.slice(0, 20).join(', ') + (names.length > 20 ? ` and ${names.length - 20} more` : '');
      notes.push(`${names.length} name${names.length === 1 ? '' : 's'} unknown to the ${catalogues[kind]!.buffer}, retrieved anyway (allow_unknown_channels): ${shown}`);
    }
    return { unknown, notes };
  }
  return { refusal: new RequestRefused(unknown[0]!.field, refusalMessage(unknown, catalogues, listed)), unknown, notes };
}

function describeUnknown(u: UnknownName, catalogues: NameCatalogues): string {
  const quoted = JSON.stringify(u.name);
  if (u.isKind) return `${u.field} ${quoted} is ${WHAT[u.isKind]}, not ${WHAT[u.kind]}: list it in ${LIST_OF[u.isKind]}`;
  const base = `${u.field} ${quoted} ${NOT_KNOWN[u.kind](catalogues[u.kind]!.buffer)}`;
  return u.suggestions.length > 0 ? `${base}; did you mean ${u.suggestions.map((s) => JSON.stringify(s)).join(', ')}?` : `${base} (no similar name)`;
}

function refusalMessage(unknown: UnknownName[], catalogues: NameCatalogues, listed: number): string {
  const anyway = 'To retrieve unknown names anyway (they will have no data), send "allow_unknown_channels": true.';
  const sentence = (text: string) => (/[.?]$/.test(text) ? text : `${text}.`);
  if (unknown.length === 1) return `${sentence(describeUnknown(unknown[0]!, catalogues))} ${anyway}`;
  const shown = unknown.slice(0, listed).map((u) => describeUnknown(u, catalogues));
  const more = unknown.length > listed ? `; and ${unknown.length - listed} more (${unknown.slice(listed, listed + 10).map((u) => u.field).join(', ')}${unknown.length > listed + 10 ? ', ...' : ''})` : '';
  return `${sentence(`${unknown.length} names are not known to the buffers: ${shown.join('; ')}${more}`)} ${anyway}`;
}
