/**
 * A BS channel against pulse id, downsampled on the server: at most
 * `maxPoints` points whatever the run's length, with gaps (null) where pulses
 * are missing and, when downsampled, the min/max envelope of each bucket.
 * Pure: the file reader hands over the two columns.
 */

/** What the page plots with uPlot: x = pulse id; y, min, max aligned with x; null = no data (a gap). */
export interface SeriesPlot {
  x: number[];
  y: Array<number | null>;
  /** Per point the smallest/largest value of its bucket; null when not downsampled. */
  min: Array<number | null> | null;
  max: Array<number | null> | null;
  /** Rows read from the file (with a finite value). */
  rows: number;
  downsampled: boolean;
  /** Pulse ids per point (the rate when not downsampled). */
  pulses_per_point: number;
  /** Stretches without data inside the plotted range. */
  gaps: number;
}

export interface SeriesOptions {
  /** The run's range and rate: the axis spans [start, stop] (widened to any row outside it). */
  start: number;
  stop: number;
  rate: number;
  /** At most this many points (default 1000). */
  maxPoints?: number;
  /** Break the line where pulses are missing (default true; false for PVs, archived on change). */
  gaps?: boolean;
}

/**
 * @example downsampleSeries(Float64Array.of(10, 11, 13), Float64Array.of(1, 2, 3), { start: 10, stop: 13, rate: 1 })
 *   // { x: [10, 11, 12, 13], y: [1, 2, null, 3], downsampled: false, gaps: 1, ... }
 */
export function downsampleSeries(pulseIds: ArrayLike<number>, values: ArrayLike<number>, options: SeriesOptions): SeriesPlot {
  const maxPoints = Math.max(2, Math.floor(options.maxPoints ?? 1000));
  const rate = Math.max(1, options.rate);
  const rows = sortedRows(pulseIds, values);
  const n = rows.ids.length;
  const lo = Math.min(options.start, n > 0 ? rows.ids[0]! : options.start);
  const hi = Math.max(options.stop, n > 0 ? rows.ids[n - 1]! : options.stop);
  const span = Math.floor((hi - lo) / rate) + 1; // pulse slots on the axis at this rate
  if (n <= maxPoints && (span <= maxPoints * 4 || options.gaps === false)) return withGaps(rows, options.gaps === false ? Infinity : rate);
  return buckets(rows, lo, hi, rate, maxPoints);
}

interface Rows {
  ids: Float64Array;
  values: Float64Array;
}

/** Rows with a finite value, in pulse id order (files are in order; a stable sort keeps a repeated id's rows in file order). */
function sortedRows(pulseIds: ArrayLike<number>, values: ArrayLike<number>): Rows {
  const n = Math.min(pulseIds.length, values.length);
  const keep: number[] = [];
  let ordered = true;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i]!) || !Number.isFinite(pulseIds[i]!)) continue;
    if (keep.length > 0 && pulseIds[i]! < pulseIds[keep[keep.length - 1]!]!) ordered = false;
    keep.push(i);
  }
  if (!ordered) keep.sort((a, b) => pulseIds[a]! - pulseIds[b]! || a - b);
  return { ids: Float64Array.from(keep, (i) => pulseIds[i]!), values: Float64Array.from(keep, (i) => values[i]!) };
}

/** Every row as a point, a null point after each row followed by a missing pulse (uPlot breaks the line there). */
function withGaps(rows: Rows, rate: number): SeriesPlot {
  const x: number[] = [];
  const y: Array<number | null> = [];
  let gaps = 0;
  for (let i = 0; i < rows.ids.length; i++) {
    const p = rows.ids[i]!;
    if (i > 0 && p - rows.ids[i - 1]! > rate) {
      x.push(rows.ids[i - 1]! + rate);
      y.push(null);
      gaps += 1;
    }
    x.push(p);
    y.push(rows.values[i]!);
  }
  return { x, y, min: null, max: null, rows: rows.ids.length, downsampled: false, pulses_per_point: Number.isFinite(rate) ? rate : 0, gaps };
}

/** Fixed-width buckets over [lo, hi] (a whole number of rate steps each): mean, min and max of the rows in each; null if none. */
function buckets(rows: Rows, lo: number, hi: number, rate: number, maxPoints: number): SeriesPlot {
  const slots = Math.floor((hi - lo) / rate) + 1;
  const width = Math.ceil(slots / maxPoints) * rate;
  const count = Math.ceil((hi - lo + 1) / width);
  const sum = new Float64Array(count);
  const hits = new Uint32Array(count);
  const min = new Float64Array(count).fill(Infinity);
  const max = new Float64Array(count).fill(-Infinity);
  for (let i = 0; i < rows.ids.length; i++) {
    const b = Math.min(count - 1, Math.floor((rows.ids[i]! - lo) / width));
    const v = rows.values[i]!;
    sum[b] = sum[b]! + v;
    hits[b] = hits[b]! + 1;
    if (v < min[b]!) min[b] = v;
    if (v > max[b]!) max[b] = v;
  }
  const plot: SeriesPlot = { x: [], y: [], min: [], max: [], rows: rows.ids.length, downsampled: true, pulses_per_point: width, gaps: 0 };
  for (let b = 0; b < count; b++) {
    const empty = hits[b] === 0;
    if (empty && (b === 0 || hits[b - 1] !== 0)) plot.gaps += 1;
    plot.x.push(lo + b * width);
    plot.y.push(empty ? null : sum[b]! / hits[b]!);
    plot.min!.push(empty ? null : min[b]!);
    plot.max!.push(empty ? null : max[b]!);
  }
  return plot;
}
