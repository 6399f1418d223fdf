import type { FacilityClock } from '../../../lib/core/clock';
import type { CatalogueSample } from './catalogue';

/**
 * The FaultPlan's pulse faults, read for an on-change archive: a sample
 * "falls at" pulse p when p is the pulse firing at its time
 * (clock.pulseIdAtNs). A missing pulse drops the samples falling at it (the
 * archive never stored that change: the previous value stays in force); a
 * duplicated pulse sends those samples twice, same time and value (an
 * archive that stored the change twice, which a conforming appliance's
 * merge-dedup would have removed).
 *
 * @example
 *   withPulseFaults(samples, clock, new Set([p]), new Set()) // samples without those at pulse p
 */
export function* withPulseFaults(
  samples: Iterable<CatalogueSample>,
  clock: FacilityClock,
  missing: ReadonlySet<bigint>,
  duplicated: ReadonlySet<bigint>,
): Generator<CatalogueSample> {
  if (missing.size === 0 && duplicated.size === 0) {
    yield* samples;
    return;
  }
  for (const sample of samples) {
    const pulse = clock.pulseIdAtNs(sample.timeNs);
    if (missing.has(pulse)) continue;
    yield sample;
    if (duplicated.has(pulse)) yield sample;
  }
}
