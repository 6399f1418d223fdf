import type { GetDataAnswer } from './parse';
import type { PvHistory, PvSample } from './types';

/**
 * Turn a parsed answer into a PvHistory for [fromNs, toNs] (both inclusive,
 * as the appliance's `to` is).
 *
 * - A sample whose time is not after the previous one is dropped and counted,
 *   the rule the appliance's own merge-dedup applies between its stores.
 * - Of the samples before `from` only the last is kept: it is the value in
 *   force when the range starts (the appliance sends the last sample at or
 *   before `from`; the millisecond rounding of `from` can add a few more,
 *   which that last one supersedes).
 *
 * @example
 *   const h = toHistory('SARFE10-OPSH044:PRESSURE', parseGetDataAnswer(body), fromNs, toNs);
 *   log(`${h.pv}: ${h.counts.before} / ${h.counts.inRange} / ${h.counts.after}`);
 */
export function toHistory(pv: string, answer: GetDataAnswer, fromNs: bigint, toNs: bigint): PvHistory {
  let dropped = 0;
  let lastBefore: PvSample | undefined;
  const inRange: PvSample[] = [];
  const after: PvSample[] = [];
  let previous: bigint | undefined;
  for (const sample of answer.samples) {
    if (previous !== undefined && sample.timestampNs <= previous) {
      dropped++;
      continue;
    }
    previous = sample.timestampNs;
    if (sample.timestampNs < fromNs) lastBefore = sample;
    else if (sample.timestampNs <= toNs) inRange.push(sample);
    else after.push(sample);
  }
  const samples = lastBefore ? [lastBefore, ...inRange, ...after] : inRange.concat(after);
  return {
    pv,
    found: true,
    meta: answer.meta,
    samples,
    counts: { before: lastBefore ? 1 : 0, inRange: inRange.length, after: after.length, dropped },
  };
}

/** The history of a PV the archiver does not archive. */
export function notArchived(pv: string): PvHistory {
  return { pv, found: false, meta: {}, samples: [], counts: { before: 0, inRange: 0, after: 0, dropped: 0 } };
}

/**
 * An archived PV always has a value in force at `from` (the appliance sends
 * the last sample before it), so a found PV answering no sample at all has
 * lost its history for this range: it expired from the archiver's retention.
 *
 * @example
 *   if (isHistoryExpired(h)) log(`${h.pv}: range expired from the archiver buffer`);
 */
export function isHistoryExpired(history: PvHistory): boolean {
  return history.found && history.samples.length === 0;
}
