/**
 * Which pulse ids a check expects (original-system.md, "Pulse ids and rate"):
 * every p in [start, stop] with p % rate == 0, or, for a detector with
 * `selected_pulse_ids`, those of the selection that are divisible by rate.
 *
 * Built on lib/core/rate.ts, the one statement of the rule that the retrievers use too.
 * Pulse ids are plain numbers here: they stay far below 2^53.
 */
import { expectedPulseIds } from '../rate';

export interface ExpectedPulses {
  /** How many pulses are expected. */
  count: number;
  /** First and last expected pulse id, null when none is expected. */
  first: number | null;
  last: number | null;
  /** The rate multiplicator (step between beam pulses). */
  rate: number;
  /** Is `p` an expected pulse id? */
  has(p: number): boolean;
  /** The i-th expected pulse id (0 <= i < count). */
  at(i: number): number;
  /** Human-readable: `1000..2000 step 10` or `5 selected pulse ids (1000..1090)`. */
  describe(): string;
}

/**
 * @example expectedPulses(1001, 1095, 10) // { count: 9, first: 1010, last: 1090, ... }
 * @example expectedPulses(1000, 2000, 10, [1000, 1005, 1010]).count // 2 (1005 carries no beam at rate 10)
 */
export function expectedPulses(start: number, stop: number, rate: number, selected?: readonly number[]): ExpectedPulses {
  if (!Number.isInteger(rate) || rate < 1) throw new RangeError(`rate multiplicator must be a positive integer, got ${rate}`);
  return selected === undefined ? inRange(start, stop, rate) : inSelection([...selected], rate);
}

function inRange(start: number, stop: number, rate: number): ExpectedPulses {
  const { first, last, count, isExpected } = expectedPulseIds(start, stop, rate);
  return {
    count,
    first: count > 0 ? first : null,
    last: count > 0 ? last : null,
    rate,
    has: (p) => isExpected(p),
    at: (i) => first + i * rate,
    describe: () => (count > 0 ? `${first}..${last}${rate > 1 ? ` step ${rate}` : ''}` : `none (no pulse id in ${start}..${stop} is divisible by ${rate})`),
  };
}

function inSelection(selected: number[], rate: number): ExpectedPulses {
  const ids = [...new Set(selected.filter((p) => p % rate === 0))].sort((a, b) => a - b);
  const set = new Set(ids);
  return {
    count: ids.length,
    first: ids[0] ?? null,
    last: ids[ids.length - 1] ?? null,
    rate,
    has: (p) => set.has(p),
    at: (i) => ids[i]!,
    describe: () => (ids.length > 0 ? `${ids.length} selected pulse ids (${ids[0]}..${ids[ids.length - 1]})` : 'none (no selected pulse id is divisible by the rate)'),
  };
}

/**
 * Pulse ids as numbers, whatever array type a file or a test hands over.
 * @example toNumbers(BigInt64Array.of(1n, 2n)) // [1, 2]
 */
export function toNumbers(values: ArrayLike<number | bigint>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Number(values[i]);
  return out;
}

/**
 * Short list of pulse ids for a message: at most `limit`, then how many more.
 * @example listIds([1, 2, 3, 4], 2) // '1, 2 and 2 more'
 */
export function listIds(ids: readonly number[], total = ids.length, limit = 5): string {
  const shown = ids.slice(0, limit).join(', ');
  return total > limit ? `${shown} and ${total - limit} more` : shown;
}
