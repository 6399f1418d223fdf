import type { FacilityClock } from '../../../core/clock';

/**
 * The pulse id at an archived sample's time: the last pulse whose event
 * timestamp is at or before it. PVCHANNELS rows carry it so readers can pair
 * PVs with beam-synchronous channels by pulse id.
 *
 * @example
 *   pulseIdForSample(clock, 1693872000010426917n) // 18940426917n (with the default clock)
 */
export function pulseIdForSample(clock: FacilityClock, timestampNs: bigint): bigint {
  return clock.pulseIdAtNs(timestampNs);
}
