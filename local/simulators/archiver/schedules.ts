import type { FacilityClock } from '../../../lib/core/clock';
import { unitNoise } from './noise';

/**
 * When a simulated PV changes. Change times are a pure function of wall time
 * (grids and slots anchored at 1970, or the pulse clock), never of when the
 * simulator started, so any range answers the same every time.
 */

/** One archived change: `key` (grid index, slot number or pulse id) seeds its value. */
export interface Change {
  key: number;
  timeNs: bigint;
}

export interface Schedule {
  /** The last change at or before t (the value in force at t). */
  lastAtOrBefore(tNs: bigint): Change | undefined;
  /** Changes with afterNs < time <= toNs, in time order. */
  changesIn(afterNs: bigint, toNs: bigint): Generator<Change>;
}

const NS_PER_MS = 1_000_000n;

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/**
 * A change every `periodNs`, at offsetNs + k * periodNs since 1970 (a scanned or periodic PV).
 *
 * @example
 *   gridSchedule(2_000_000_000n, 123_456_789n) // every 2 s, 0.123456789 s past even seconds
 */
export function gridSchedule(periodNs: bigint, offsetNs: bigint): Schedule {
  const at = (k: bigint): Change => ({ key: Number(k), timeNs: offsetNs + k * periodNs });
  return {
    lastAtOrBefore: (t) => at(floorDiv(t - offsetNs, periodNs)),
    *changesIn(after, to) {
      for (let k = floorDiv(after - offsetNs, periodNs) + 1n; offsetNs + k * periodNs <= to; k++) yield at(k);
    },
  };
}

/**
 * On-change at irregular moments: time is cut in slots of `slotNs`; a slot
 * holds one change, at a noise-chosen moment inside it, when its noise is
 * below `chance` or its number is a multiple of `forceEvery` (which bounds the
 * gap between changes, and so the search back for the value in force).
 *
 * @example
 *   slottedSchedule({ slotNs: 1_000_000_000n, chance: 0.3, forceEvery: 20, seed: 11 })
 */
export function slottedSchedule(o: { slotNs: bigint; chance: number; forceEvery: number; seed: number }): Schedule {
  const change = (slot: bigint): Change | undefined => {
    const s = Number(slot);
    if (s % o.forceEvery !== 0 && unitNoise(o.seed, s) >= o.chance) return undefined;
    const within = BigInt(Math.floor(unitNoise(o.seed + 1, s) * Number(o.slotNs)));
    return { key: s, timeNs: slot * o.slotNs + within };
  };
  return {
    lastAtOrBefore(t) {
      for (let slot = floorDiv(t, o.slotNs), n = 0; n <= o.forceEvery; slot--, n++) {
        const c = change(slot);
        if (c && c.timeNs <= t) return c;
      }
      return undefined;
    },
    *changesIn(after, to) {
      for (let slot = floorDiv(after, o.slotNs); slot <= floorDiv(to, o.slotNs); slot++) {
        const c = change(slot);
        if (c && c.timeNs > after && c.timeNs <= to) yield c;
      }
    },
  };
}

/**
 * A beam-synchronous PV: one change per pulse, stamped with the pulse's event
 * timestamp (its last six digits are the pulse id's, as the facility's timing
 * system stamps records processed on a pulse). `key` is the pulse id.
 *
 * @example
 *   pulseSchedule(clock).lastAtOrBefore(clock.timestampNs(p)) // { key: Number(p), timeNs: clock.timestampNs(p) }
 */
export function pulseSchedule(clock: FacilityClock): Schedule {
  const at = (p: bigint): Change => ({ key: Number(p), timeNs: clock.timestampNs(p) });
  return {
    lastAtOrBefore: (t) => at(clock.pulseIdAtNs(t)),
    *changesIn(after, to) {
      for (let p = clock.pulseIdAtNs(after) + 1n; clock.timestampNs(p) <= to; p++) yield at(p);
    },
  };
}

/** Milliseconds as ns, for readable schedule definitions. */
export const ms = (n: number): bigint => BigInt(n) * NS_PER_MS;
