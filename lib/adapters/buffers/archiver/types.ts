/**
 * What the archiver adapter hands to the rest of the broker: one PV's
 * archived history over a requested time range, wire details already gone.
 */

/** A sample's value as the appliance stores it: scalar number or string, or a waveform of either. */
export type PvValue = number | string | number[] | string[];

export interface PvSample {
  /** EPICS timestamp in ns since 1970: secs * 1e9 + nanos. */
  timestampNs: bigint;
  value: PvValue;
  /** EPICS alarm severity (0 NO_ALARM, 1 MINOR, 2 MAJOR, 3 INVALID). */
  severity: number;
  /** EPICS alarm status (0 NO_ALARM, 1 READ, 3 HIHI, 4 HIGH, ...). */
  status: number;
}

export interface PvCounts {
  /** Samples before `from`: at most 1, the value in force when the range starts. */
  before: number;
  /** Samples with from <= t <= to (the appliance's `to` is inclusive). */
  inRange: number;
  /**
   * Samples after `to` still in the answer: `to` is sent rounded up to the ms,
   * so these are the ones in that last sub-millisecond. Queried up to
   * ts(stop + 1) - 1, a beam-synchronous PV always has one: pulse stop + 1's.
   * The appliance has no "first sample after `to`" (the facility's own PV
   * service had), so slow PVs almost always show 0.
   */
  after: number;
  /** Samples dropped because their time was not after the previous one (the appliance's own merge-dedup rule). */
  dropped: number;
}

/**
 * One PV's history for [from, to].
 *
 * `found: false` means the archiver does not archive the PV ("PV not archived");
 * then `samples` is empty. A found PV with no sample at all has lost its
 * history for this range (see `isHistoryExpired`).
 */
export interface PvHistory {
  pv: string;
  found: boolean;
  /** The appliance's `meta` (name, EGU, PREC, ...), all strings. */
  meta: Record<string, string>;
  /** Sorted by time: the before-sample (if any), the samples in range, then any after `to`. */
  samples: PvSample[];
  counts: PvCounts;
}
