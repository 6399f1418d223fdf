/**
 * Edit distance for "did you mean": optimal string alignment (Levenshtein
 * plus adjacent transpositions, each costing 1: `EvtSte` is one typo from
 * `EvtSet`), bounded so that a hopeless pair costs only a few rows.
 */

// Reused rows: one check runs at a time per process (no await inside).
let rowA = new Int32Array(64);
let rowB = new Int32Array(64);
let rowC = new Int32Array(64);

/**
 * The distance between a and b if it is at most `max`, else `max + 1`.
 *
 * @example
 *   boundedDistance('EvtSte', 'EvtSet', 2)   // 1
 *   boundedDistance('abc', 'xyz', 1)         // 2 (= max + 1: more than 1)
 */
export function boundedDistance(a: string, b: string, max: number): number {
  const n = a.length;
  const m = b.length;
  if (Math.abs(n - m) > max) return max + 1;
  if (n === 0 || m === 0) return Math.max(n, m) <= max ? Math.max(n, m) : max + 1;
  if (rowA.length <= m) {
    rowA = new Int32Array(m + 1);
    rowB = new Int32Array(m + 1);
    rowC = new Int32Array(m + 1);
  }
  // prev2 = row i-2, prev = row i-1, cur = row i.
  let prev2 = rowA;
  let prev = rowB;
  let cur = rowC;
  for (let j = 0; j <= m; j++) prev[j] = j;
  const big = max + 1;
  for (let i = 1; i <= n; i++) {
    const ai = a.charCodeAt(i - 1);
    // Only cells within the band |i - j| <= max can be <= max.
    const from = Math.max(1, i - max);
    const to = Math.min(m, i + max);
    cur[0] = i;
    if (from > 1) cur[from - 1] = big;
    let rowMin = from === 1 ? i : big;
    for (let j = from; j <= to; j++) {
      const bj = b.charCodeAt(j - 1);
      const cost = ai === bj ? 0 : 1;
      let d = prev[j - 1]! + cost;
      const del = prev[j]! + 1;
      if (del < d) d = del;
      const ins = cur[j - 1]! + 1;
      if (ins < d) d = ins;
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj) {
        const tr = prev2[j - 2]! + 1;
        if (tr < d) d = tr;
      }
      cur[j] = d > big ? big : d;
      if (d < rowMin) rowMin = d;
    }
    if (to < m) cur[to + 1] = big;
    if (rowMin > max) return big;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  const d = prev[m]!;
  return d > max ? big : d;
}

/**
 * The closest of a few candidates (a beamline's detectors, say): every
 * candidate within `max` edits (default: a third of the name's length), nearest first.
 *
 * @example
 *   closestOf('JF01T03V02', ['JF01T03V01', 'JF07T32V01']) // ['JF01T03V01']
 */
export function closestOf(name: string, candidates: Iterable<string>, options: { limit?: number; max?: number } = {}): string[] {
  const max = options.max ?? Math.max(1, Math.floor(name.length / 3));
  const lower = name.toLowerCase();
  const scored: Array<[number, string]> = [];
  for (const c of candidates) {
    const d = boundedDistance(lower, c.toLowerCase(), max);
    if (d <= max) scored.push([d, c]);
  }
  scored.sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : 1));
  return scored.slice(0, options.limit ?? 5).map(([, c]) => c);
}
