import { NameIndex } from './name-index';

/** What a name is: a BS channel (data buffer), a camera (image buffer), an EPICS PV (archiver). */
export type NameKind = 'bs' | 'camera' | 'pv';

/** One snapshot of a buffer's names. */
export interface NameList {
  index: NameIndex;
  /** When it was fetched, ms since 1970 (the catalogue's clock). */
  fetchedAtMs: number;
}

/** A catalogue's answer: its names, or why it has none to give now (for the run log). */
export type CatalogueAnswer = { ok: true; list: NameList } | { ok: false; why: string };

/**
 * The port: which names a buffer knows. Implementations answer within a
 * short budget from a cache (lib/adapters/buffers/data-api/channel-search.ts,
 * lib/adapters/buffers/archiver/pv-list.ts, both through CachedCatalogue);
 * a catalogue that cannot answer in time says why instead of throwing.
 *
 * @example
 *   const answer = await catalogue.names({ budgetMs: 300 });
 *   if (answer.ok && !answer.list.index.has('SAR-CVME-TIFALL5:EvtSet')) ...
 */
export interface NameCatalogue {
  readonly kind: NameKind;
  /** The buffer, for messages: 'data buffer', 'image buffer', 'archiver'. */
  readonly buffer: string;
  /** The backend name the names belong to ('sf-databuffer', 'sf-imagebuffer', 'archiver'). */
  readonly backend: string;
  names(options?: { budgetMs?: number; signal?: AbortSignal }): Promise<CatalogueAnswer>;
}

export interface CachedCatalogueOptions {
  kind: NameKind;
  buffer: string;
  backend: string;
  /** Fetches every name (the adapter's HTTP call); `signal` ends it after `loadTimeoutMs`. */
  load: (signal: AbortSignal) => Promise<Iterable<string>>;
  /** How long to wait for names when the cache has none, ms (default 300). */
  budgetMs?: number;
  /** A snapshot younger than this is used without asking the buffer, ms (default 5 minutes). */
  ttlMs?: number;
  /** An older snapshot is still used, while a fresh one is fetched in the background, until this age (default 1 hour). */
  maxStaleMs?: number;
  /** After a failed fetch, answer "unavailable" at once for this long instead of asking again (default 10 s). */
  failureBackoffMs?: number;
  /** A fetch's own limit, ms (default 30 s): it may outlive the budget and fill the cache for the next request. */
  loadTimeoutMs?: number;
  /**
   * Build the suggestion index right after a new list arrived (in the background, ~0.2 s of
   * CPU for 100,000 names) instead of at the first unknown name, which then pays it. Default false.
   */
  prepareSuggestions?: boolean;
  /** The clock, ms since 1970 (tests pass their own). */
  now?: () => number;
}

/**
 * A NameCatalogue over a loader: a cache with a time budget. A fresh
 * snapshot answers at once (a hit costs a Map lookup); a stale one answers at
 * once and is refreshed in the background; with none, the caller waits for a
 * fetch at most the budget, after which the fetch goes on and fills the cache
 * for the next request. Concurrent callers share one fetch. Never throws.
 *
 * @example
 *   const bs = new CachedCatalogue({ kind: 'bs', buffer: 'data buffer', backend: 'sf-databuffer', load: (signal) => fetchAllNames(signal) });
 *   const answer = await bs.names();     // { ok: true, list } or { ok: false, why: 'no answer within 300 ms' }
 */
export class CachedCatalogue implements NameCatalogue {
  readonly kind: NameKind;
  readonly buffer: string;
  readonly backend: string;
  private readonly options: Required<Omit<CachedCatalogueOptions, 'kind' | 'buffer' | 'backend'>>;
  private snapshot: NameList | undefined;
  private inflight: Promise<void> | undefined;
  private failure: { why: string; atMs: number } | undefined;

  constructor(options: CachedCatalogueOptions) {
    this.kind = options.kind;
    this.buffer = options.buffer;
    this.backend = options.backend;
    this.options = {
      load: options.load,
      budgetMs: options.budgetMs ?? 300,
      ttlMs: options.ttlMs ?? 5 * 60_000,
      maxStaleMs: options.maxStaleMs ?? 60 * 60_000,
      failureBackoffMs: options.failureBackoffMs ?? 10_000,
      loadTimeoutMs: options.loadTimeoutMs ?? 30_000,
      prepareSuggestions: options.prepareSuggestions ?? false,
      now: options.now ?? Date.now,
    };
  }

  async names(options: { budgetMs?: number; signal?: AbortSignal } = {}): Promise<CatalogueAnswer> {
    const now = this.options.now();
    const snapshot = this.snapshot;
    if (snapshot) {
      const age = now - snapshot.fetchedAtMs;
      if (age < this.options.ttlMs) return { ok: true, list: snapshot };
      if (age < this.options.maxStaleMs) {
        if (!this.failure || now - this.failure.atMs >= this.options.failureBackoffMs) void this.refresh();
        return { ok: true, list: snapshot };
      }
    }
    if (!this.inflight && this.failure && now - this.failure.atMs < this.options.failureBackoffMs) {
      return { ok: false, why: this.failure.why };
    }
    const budgetMs = options.budgetMs ?? this.options.budgetMs;
    const outcome = await raceBudget(this.refresh(), budgetMs, options.signal);
    if (outcome === 'budget') return { ok: false, why: `no answer within ${formatMs(budgetMs)}` };
    if (outcome === 'aborted') return { ok: false, why: 'the check was cancelled' };
    if (this.snapshot) return { ok: true, list: this.snapshot };
    return { ok: false, why: this.failure?.why ?? 'no names' };
  }

  /** The snapshot held now, if any (no fetch). */
  cached(): NameList | undefined {
    return this.snapshot;
  }

  /** Fetch now (joining a fetch under way); resolves when it ended, never rejects. */
  refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const names = await this.options.load(AbortSignal.timeout(this.options.loadTimeoutMs));
        let index = new NameIndex(names);
        if (index.size === 0) throw new Error(`the ${this.buffer} listed no names at all`);
        // Usually nothing changed: keep the old index, and with it the suggestion index it may have built.
        const old = this.snapshot?.index;
        if (old && old.size === index.size && index.all().every((n) => old.has(n))) index = old;
        this.snapshot = { index, fetchedAtMs: this.options.now() };
        this.failure = undefined;
        if (this.options.prepareSuggestions) setImmediate(() => index.prepare()).unref();
      } catch (error) {
        this.failure = { why: describe(error, this.buffer), atMs: this.options.now() };
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}

/** A loader's error as a note says it (fetch hides the reason in `cause`). */
function describe(error: unknown, buffer: string): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `the ${buffer}'s name list took too long`;
  if (e?.cause?.code) return `cannot reach the ${buffer} (${e.cause.code})`;
  return e?.message ?? String(error);
}

const formatMs = (ms: number) => (ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/** Wait for `work` at most `ms`; says which came first. Clears its timer. */
async function raceBudget(work: Promise<void>, ms: number, signal?: AbortSignal): Promise<'done' | 'budget' | 'aborted'> {
  if (signal?.aborted) return 'aborted';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      work.then(() => 'done' as const),
      new Promise<'budget'>((resolve) => {
        timer = setTimeout(() => resolve('budget'), ms);
      }),
      new Promise<'aborted'>((resolve) => {
        onAbort = () => resolve('aborted');
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
