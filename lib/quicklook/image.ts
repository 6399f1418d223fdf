/**
 * A camera image or detector frame made small enough to ship: binned to at
 * most `maxSide` x `maxSide` (a 16 Mpixel Jungfrau frame becomes 1024x1024 at
 * most), then mapped to 255 colour indices on a log scale. Pure.
 */

/** A 2-D image in row-major order. */
export interface Raster {
  data: ArrayLike<number>;
  width: number;
  height: number;
}

export type BinReduce = 'mean' | 'max';

export interface Binned {
  data: Float32Array;
  width: number;
  height: number;
  /** Source pixels per binned pixel along each axis. */
  bin: number;
}

/**
 * Block-reduce by the smallest whole factor that fits `maxSide`; edge blocks
 * reduce over the pixels they have. Non-finite pixels are left out.
 *
 * @example binRaster({ data: [1, 2, 3, 4], width: 2, height: 2 }, 1) // { data: [2.5], width: 1, height: 1, bin: 2 }
 */
export function binRaster(raster: Raster, maxSide = 1024, reduce: BinReduce = 'mean'): Binned {
  const { width, height, data } = raster;
  if (data.length < width * height) throw new RangeError(`image of ${width}x${height} has only ${data.length} pixels`);
  const bin = Math.max(1, Math.ceil(Math.max(width, height) / maxSide));
  const w = Math.ceil(width / bin);
  const h = Math.ceil(height / bin);
  const out = new Float32Array(w * h);
  if (bin === 1) {
    for (let i = 0; i < w * h; i++) out[i] = data[i]!;
    return { data: out, width: w, height: h, bin };
  }
  const acc = new Float64Array(w * h).fill(reduce === 'max' ? -Infinity : 0);
  const hits = new Uint32Array(w * h);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / bin) * w;
    for (let x = 0; x < width; x++) {
      const v = data[y * width + x]!;
      if (!Number.isFinite(v)) continue;
      const o = row + Math.floor(x / bin);
      if (reduce === 'max') {
        if (v > acc[o]!) acc[o] = v;
      } else acc[o] = acc[o]! + v;
      hits[o] = hits[o]! + 1;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = hits[i] === 0 ? NaN : reduce === 'max' ? acc[i]! : acc[i]! / hits[i]!;
  return { data: out, width: w, height: h, bin };
}

export interface Scaled {
  /** 0 = no data; 1..255 = low..high on the log scale. */
  indices: Uint8Array;
  /** Smallest and largest finite value; the scale runs from `min` to `high`. */
  min: number;
  max: number;
  /** The top of the scale: the 99.9th percentile, so a few hot pixels do not flatten the rest. */
  high: number;
}

export type ColourScale = 'log' | 'linear';

/**
 * Log colour scale: index = 1 + 254 * log1p(v - min) / log1p(high - min), clamped.
 *
 * @example logScale(Float32Array.of(0, 9, 99)).indices // [1, 128, 255] (approximately)
 */
export function logScale(values: Float32Array): Scaled {
  return colourScale(values, 'log');
}

/**
 * Values to colour indices on a log or linear scale from the smallest value to the 99.9th percentile.
 * @example colourScale(Float32Array.of(0, 50, 100), 'linear').indices // [1, 128, 255]
 */
export function colourScale(values: Float32Array, scale: ColourScale): Scaled {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const indices = new Uint8Array(values.length);
  if (min === Infinity) return { indices, min: NaN, max: NaN, high: NaN };
  const high = percentile(values, min, max, 0.999);
  const map = scale === 'log' ? (x: number) => Math.log1p(Math.max(0, x)) : (x: number) => Math.max(0, x);
  const top = map(high - min);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    const t = top > 0 ? map(v - min) / top : 0;
    indices[i] = 1 + Math.round(254 * Math.min(1, t));
  }
  return { indices, min, max, high };
}

/** The q-quantile of the finite values, from a 4096-bin histogram between min and max (exact enough for a colour scale). */
function percentile(values: Float32Array, min: number, max: number, q: number): number {
  if (max <= min) return max;
  const bins = 4096;
  const counts = new Uint32Array(bins);
  let n = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const b = Math.min(bins - 1, Math.floor(((v - min) / (max - min)) * bins));
    counts[b] = counts[b]! + 1;
    n += 1;
  }
  const target = q * n;
  let seen = 0;
  for (let b = 0; b < bins; b++) {
    seen += counts[b]!;
    if (seen >= target) return Math.max(min + ((b + 1) / bins) * (max - min), Math.min(max, min + 1));
  }
  return max;
}
