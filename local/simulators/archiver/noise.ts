/**
 * Deterministic noise: the same (seed, key) always gives the same number, so
 * every simulated PV value and change time is a pure function of its key and
 * any time range is reproducible across runs and processes.
 */

const TWO_32 = 2 ** 32;

/**
 * A number in [0, 1) from a seed and an integer key (keys up to 2^53: pulse ids fit).
 *
 * @example
 *   unitNoise(7, 18_940_426_916) === unitNoise(7, 18_940_426_916) // true
 */
export function unitNoise(seed: number, key: number): number {
  const lo = key >>> 0;
  const hi = Math.floor(key / TWO_32) >>> 0;
  let h = mix(seed ^ 0x9e3779b9);
  h = mix(h ^ lo);
  h = mix(h ^ hi);
  return h / TWO_32;
}

/** murmur3's 32-bit finalizer: spreads every input bit over the output. */
function mix(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
