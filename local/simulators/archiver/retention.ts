import type { ArchiverCatalogue, CatalogueSample } from './catalogue';

/**
 * The archive as a ring that has been running forever: what the appliance
 * would answer for [fromNs, toNs] when only recent history is kept.
 *
 * Our choice of ring semantics (documented, not the appliance's own policy):
 * - samples after `now` do not exist yet: a range partly or wholly in the
 *   future answers what exists (for a future range: the value in force now);
 * - samples older than cutoff = now - retention are gone, except the one in
 *   force at the cutoff (the archive always keeps a PV's current value, as
 *   the appliance keeps the last event of its previous partition), so every
 *   range starting after the cutoff still gets its before-sample;
 * - a range wholly older than the cutoff therefore answers no sample at all,
 *   unless the PV has not changed since before `from` (then its value in force,
 *   which is still true).
 *
 * @example
 *   [...retainedSamples(catalogue, PV.pressure, fromNs, toNs, nowNs, 3_600_000_000_000n)]
 */
export function* retainedSamples(
  catalogue: ArchiverCatalogue,
  pv: string,
  fromNs: bigint,
  toNs: bigint,
  nowNs: bigint,
  retentionNs: bigint,
): Generator<CatalogueSample> {
  const cutoff = nowNs - retentionNs;
  const from = fromNs < nowNs ? fromNs : nowNs;
  const to = toNs < nowNs ? toNs : nowNs;
  const edge = catalogue.sampleAt(pv, cutoff)?.timeNs;
  for (const sample of catalogue.samplesBetween(pv, from, to)) {
    if (sample.timeNs >= cutoff || sample.timeNs === edge) yield sample;
  }
}
