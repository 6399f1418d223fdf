import { boundedDistance } from './distance';

/**
 * One catalogue snapshot (up to a few hundred thousand names) made quick to
 * ask: membership, "did you mean" suggestions, and the list for searches.
 *
 * Membership is a Set. Suggestions need an inverted index of trigrams
 * (case-folded, in two typed arrays), built on first use and kept with the
 * snapshot, so the accept path of a good request never pays for it:
 * - edit-distance candidates by count filtering: an edit or a transposition
 *   touches at most 4 trigram positions, so a name within k edits shares at
 *   least (the query's distinct trigrams - 4k) of them; only names sharing
 *   that many are compared (bounded distance, see distance.ts);
 * - prefix matches (a truncated name, the other signals of a device) are the
 *   names holding every trigram of the prefix that also start with it.
 *
 * Measured on 100,000 SwissFEL-like names (test/unit/core/names/name-index.test.ts):
 * see the README's figures; the index costs ~12 MB.
 *
 * @example
 *   const index = new NameIndex(['SAR-CVME-TIFALL5:EvtSet', 'SAR-CVME-TIFALL4:EvtSet']);
 *   index.has('SAR-CVME-TIFALL5:EvtSet')     // true
 *   index.suggest('SAR-CVME-TIFALL7:EvtSet') // ['SAR-CVME-TIFALL4:EvtSet', 'SAR-CVME-TIFALL5:EvtSet']
 */
export class NameIndex {
  readonly size: number;
  private readonly set: ReadonlySet<string>;
  private readonly names: readonly string[];
  private grams: Trigrams | undefined;

  constructor(names: Iterable<string>) {
    this.set = names instanceof Set ? (names as Set<string>) : new Set(names);
    this.names = [...this.set];
    this.size = this.names.length;
  }

  has(name: string): boolean {
    return this.set.has(name);
  }

  /** Every name, in the catalogue's order. */
  all(): readonly string[] {
    return this.names;
  }

  /** Build the suggestion index now (else the first suggest() does). */
  prepare(): this {
    this.grams ??= new Trigrams(this.names);
    return this;
  }

  /**
   * Up to `limit` names a mistyped `name` probably meant, best first: the
   * same name in another case, then names within a few edits (1 for names
   * up to 10 characters, 2 beyond; nearest first), then names that start
   * with it (a truncated name, shortest first), then other names of its
   * device (the part up to `:`, for a wrong signal name; closest first).
   * Empty when nothing is close. One pass over the postings of the name's
   * trigrams finds all three kinds of candidates.
   */
  suggest(name: string, limit = 5): string[] {
    const lower = name.toLowerCase();
    const k = lower.length <= 4 ? 0 : lower.length <= 10 ? 1 : 2;
    const colon = lower.indexOf(':');
    const device = colon > 0 ? lower.slice(0, colon + 1) : '';
    const grams = gramsOf(lower);
    const deviceGrams = gramsOf(device);
    const found = grams.size - 4 * k >= 1 && k > 0
      ? this.prepare().grams!.scan(grams, deviceGrams, grams.size - 4 * k)
      : this.scanAll(lower, k);

    const picked = new Map<number, number>(); // name index -> score (lower is better)
    const consider = (i: number, score: number) => {
      const known = picked.get(i);
      if (known === undefined || score < known) picked.set(i, score);
    };
    const startsWith = (i: number, prefix: string) => this.names[i]!.length >= prefix.length && this.names[i]!.slice(0, prefix.length).toLowerCase() === prefix;
    for (const i of found.near) {
      if (Math.abs(this.names[i]!.length - lower.length) > k) continue;
      const d = boundedDistance(lower, this.names[i]!.toLowerCase(), k);
      // Same distance: the one closer in exact case first.
      if (d <= k) consider(i, d + boundedDistance(name, this.names[i]!, k + 2) * 0.01);
    }
    let prefixed = 0;
    for (const i of found.all) {
      if (prefixed < 50 && startsWith(i, lower)) {
        consider(i, k + 1 + (this.names[i]!.length - name.length) * 0.001);
        prefixed++;
      }
    }
    if (picked.size < limit && device) {
      let same = 0;
      for (const i of found.device) {
        if (same >= 2_000) break;
        if (!startsWith(i, device)) continue;
        consider(i, k + 2 + boundedDistance(lower, this.names[i]!.toLowerCase(), 255) * 0.001);
        same++;
      }
    }
    return [...picked.entries()]
      .sort((x, y) => x[1] - y[1] || (this.names[x[0]]! < this.names[y[0]]! ? -1 : 1))
      .slice(0, limit)
      .map(([i]) => this.names[i]!);
  }

  /** Without a usable trigram filter (short names, k = 0): every name is a candidate of each kind. */
  private scanAll(lower: string, k: number): Scan {
    const near: number[] = [];
    for (let i = 0; i < this.names.length; i++) if (Math.abs(this.names[i]!.length - lower.length) <= k) near.push(i);
    const every = [...this.names.keys()];
    return { near, all: every, device: every };
  }
}

interface Scan {
  /** Names that may be within k edits. */
  near: Iterable<number>;
  /** Names holding every trigram of the query (those starting with it among them). */
  all: Iterable<number>;
  /** Names holding every trigram of the query's device part. */
  device: Iterable<number>;
}

/** The distinct trigram codes of a (case-folded) text. */
function gramsOf(text: string): Set<number> {
  const grams = new Set<number>();
  for (let p = 0; p + 2 < text.length; p++) grams.add(gramAt(text, p));
  return grams;
}

/** The trigram code of text[p..p+2]: 6 bits per character, case-folded. */
function gramAt(text: string, p: number): number {
  return (symbol(text.charCodeAt(p)) << 12) | (symbol(text.charCodeAt(p + 1)) << 6) | symbol(text.charCodeAt(p + 2));
}

/** 64 symbols: letters (either case), digits, the usual punctuation of channel names, the rest folded (folding only adds candidates). */
function symbol(c: number): number {
  if (c >= 97 && c <= 122) return c - 96; // a-z: 1..26
  if (c >= 65 && c <= 90) return c - 64; // A-Z: as a-z
  if (c >= 48 && c <= 57) return c - 21; // 0-9: 27..36
  switch (c) {
    case 45: return 37; // -
    case 58: return 38; // :
    case 95: return 39; // _
    case 46: return 40; // .
    case 47: return 41; // /
    case 32: return 42; // space
    default: return 43 + (c % 21);
  }
}

const GRAMS = 1 << 18;

/** Trigram -> the names holding it, as one postings array with offsets. */
class Trigrams {
  private readonly offsets: Int32Array;
  private readonly list: Int32Array;
  private readonly counts: Uint16Array;

  constructor(names: readonly string[]) {
    // Two passes: count each name's distinct trigrams, then fill.
    const last = new Int32Array(GRAMS).fill(-1);
    const offsets = new Int32Array(GRAMS + 1);
    for (let i = 0; i < names.length; i++) {
      const s = names[i]!;
      for (let p = 0; p + 2 < s.length; p++) {
        const g = gramAt(s, p);
        if (last[g] !== i) {
          last[g] = i;
          offsets[g + 1]! += 1;
        }
      }
    }
    for (let g = 0; g < GRAMS; g++) offsets[g + 1]! += offsets[g]!;
    const list = new Int32Array(offsets[GRAMS]!);
    const fill = offsets.slice(0, GRAMS);
    last.fill(-1);
    for (let i = 0; i < names.length; i++) {
      const s = names[i]!;
      for (let p = 0; p + 2 < s.length; p++) {
        const g = gramAt(s, p);
        if (last[g] !== i) {
          last[g] = i;
          list[fill[g]!++] = i;
        }
      }
    }
    this.offsets = offsets;
    this.list = list;
    this.counts = new Uint16Array(names.length);
  }

  /**
   * One pass over the postings of `grams`: the names holding at least
   * `threshold` of them, those holding all of them, and those holding all
   * of `sub` (a subset of `grams`), in no particular order.
   */
  scan(grams: Set<number>, sub: Set<number>, threshold: number): Scan {
    const counts = this.counts;
    const subCounts = (this.subCounts ??= new Uint16Array(counts.length));
    const touched: number[] = [];
    for (const g of grams) {
      const inSub = sub.has(g);
      for (let at = this.offsets[g]!, end = this.offsets[g + 1]!; at < end; at++) {
        const i = this.list[at]!;
        const seen = counts[i]!;
        counts[i] = seen + 1;
        if (seen === 0) touched.push(i);
        if (inSub) subCounts[i] = subCounts[i]! + 1;
      }
    }
    const near: number[] = [];
    const all: number[] = [];
    const device: number[] = [];
    for (const i of touched) {
      const c = counts[i]!;
      if (c >= threshold) near.push(i);
      if (c === grams.size) all.push(i);
      if (subCounts[i] === sub.size) device.push(i);
      counts[i] = 0;
      subCounts[i] = 0;
    }
    return { near, all, device };
  }

  private subCounts: Uint16Array | undefined;
}
