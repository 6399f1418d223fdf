/**
 * Group pulse ids into read batches: consecutive requested pulses that fall in
 * the same block of `blockSlots` slots (the facility's reader reads blocks of
 * 100 slots), so each module does one positional read per run of adjacent
 * slots instead of one per pulse.
 */
import { SLOTS_PER_FILE } from './layout';
import type { SlotRun } from './module-cursor';

export interface ReadBatch {
  /** First pulse id of the block (a block never spans two files). */
  blockStart: bigint;
  /** The requested pulse ids in request order (repeats allowed). */
  pulseIds: bigint[];
  /** Where each requested pulse's slot lands in the block buffer (in slots), parallel to pulseIds. */
  places: number[];
  /** The distinct slots to read, relative to blockStart, as runs packed one after another in the buffer. */
  runs: SlotRun[];
}

/**
 * @example [...readBatches([998n, 999n, 1000n], 100)].map((b) => b.blockStart) // [900n, 1000n]
 */
export function* readBatches(pulseIds: Iterable<bigint>, blockSlots: number): Generator<ReadBatch> {
  if (!Number.isInteger(blockSlots) || blockSlots < 1 || SLOTS_PER_FILE % blockSlots !== 0) {
    throw new RangeError(`blockSlots must divide ${SLOTS_PER_FILE}, got ${blockSlots}`);
  }
  const span = BigInt(blockSlots);
  let current: { blockStart: bigint; pulseIds: bigint[] } | undefined;
  for (const pulseId of pulseIds) {
    if (pulseId < 0n) throw new RangeError(`pulse id must not be negative, got ${pulseId}`);
    const blockStart = (pulseId / span) * span;
    // Cap a batch at blockSlots pulses so a long run of repeats cannot grow it without bound.
    if (current && (current.blockStart !== blockStart || current.pulseIds.length >= blockSlots)) {
      yield finish(current);
      current = undefined;
    }
    current ??= { blockStart, pulseIds: [] };
    current.pulseIds.push(pulseId);
  }
  if (current) yield finish(current);
}

/**
 * Packing the distinct slots (instead of leaving each at its block position)
 * means a stepped read touches only the memory of the slots it needs.
 */
function finish(batch: { blockStart: bigint; pulseIds: bigint[] }): ReadBatch {
  const slots = [...new Set(batch.pulseIds.map((p) => Number(p - batch.blockStart)))].sort((a, b) => a - b);
  const place = new Map(slots.map((slot, i) => [slot, i]));
  const runs: SlotRun[] = [];
  slots.forEach((slot, i) => {
    const last = runs[runs.length - 1];
    if (last && last.first + last.count === slot) last.count += 1;
    else runs.push({ first: slot, count: 1, place: i });
  });
  return { ...batch, places: batch.pulseIds.map((p) => place.get(Number(p - batch.blockStart))!), runs };
}
