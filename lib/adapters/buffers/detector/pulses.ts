/**
 * Which pulse ids a detector retrieval reads. The detector buffer behaves as a
 * closed interval: [start, stop], both ends included (original-system.md,
 * "Pulse ids and rate").
 */

/** Every `step`-th pulse id from start up to and including stop. */
export interface PulseRange {
  start: bigint;
  stop: bigint;
  step: bigint | number;
}

/**
 * The detector pulse ids at a rate multiplicator: the first and last ids in
 * [start, stop] divisible by `rate`, step `rate`; undefined when none is.
 * @example detectorPulseRange(1001n, 1095n, 10) // { start: 1010n, stop: 1090n, step: 10n }
 */
export function detectorPulseRange(start: bigint, stop: bigint, rate: bigint | number): PulseRange | undefined {
  const r = BigInt(rate);
  if (r <= 0n) throw new RangeError(`rate multiplicator must be positive, got ${rate}`);
  const first = ((start + r - 1n) / r) * r; // pulse ids are positive, so / rounds down
  const last = (stop / r) * r;
  return first <= last ? { start: first, stop: last, step: r } : undefined;
}

/**
 * The pulse ids of a selection, in order.
 * @example [...pulseIdsOf({ start: 10n, stop: 14n, step: 2 })] // [10n, 12n, 14n]
 */
export function* pulseIdsOf(selection: Iterable<bigint> | PulseRange): Generator<bigint> {
  if (!isPulseRange(selection)) {
    yield* selection;
    return;
  }
  const step = BigInt(selection.step);
  if (step <= 0n) throw new RangeError(`pulse step must be positive, got ${selection.step}`);
  for (let p = selection.start; p <= selection.stop; p += step) yield p;
}

function isPulseRange(selection: Iterable<bigint> | PulseRange): selection is PulseRange {
  return typeof (selection as Partial<PulseRange>).start === 'bigint' && !(Symbol.iterator in selection);
}
