/**
 * The check of one PV. PVs are archived on change, so counts mean nothing:
 * only that the PV is there, that its samples are in time order (pulse ids
 * and, when the file has them, timestamps never decrease; two samples within
 * one 10 ms pulse may share a pulse id), and that the run's starting value is
 * known: a sample before the start (the archiver's "last value before") or
 * at the start itself.
 */
import { toNumbers } from './expected';
import type { PvChannelCheck, PvChannelData } from './types';

/**
 * @example checkPvChannel({ name: 'X:PV', pulseIds: [990, 1500] }, 1000, 2000).value_at_start // true
 */
export function checkPvChannel(data: PvChannelData, start: number, stop: number): PvChannelCheck {
  if (data.pulseIds === undefined) {
    return { present: false, samples: 0, before_start: 0, in_range: 0, after_stop: 0, first: null, last: null, monotonic: true, value_at_start: false, problems: ['not present in the file'] };
  }
  const ids = toNumbers(data.pulseIds);
  const check: PvChannelCheck = {
    present: true, samples: ids.length, before_start: 0, in_range: 0, after_stop: 0,
    first: ids.length > 0 ? ids[0]! : null, last: ids.length > 0 ? ids[ids.length - 1]! : null,
    monotonic: true, value_at_start: ids.length > 0 && ids[0]! <= start, problems: [],
  };
  for (const p of ids) {
    if (p < start) check.before_start += 1;
    else if (p > stop) check.after_stop += 1;
    else check.in_range += 1;
  }
  const idsBack = firstDecrease(ids);
  const times = data.timestamps === undefined ? undefined : data.timestamps;
  const timesBack = times === undefined ? -1 : firstDecreaseBig(times);
  check.monotonic = idsBack < 0 && timesBack < 0;

  if (ids.length === 0) {
    check.problems.push('no samples: the archiver returned no value for the run');
    return check;
  }
  if (idsBack >= 0) check.problems.push(`pulse ids not monotonic: sample ${idsBack} goes back from ${ids[idsBack - 1]} to ${ids[idsBack]}`);
  if (timesBack >= 0) check.problems.push(`timestamps not monotonic: sample ${timesBack} goes back in time`);
  if (times !== undefined && times.length !== ids.length) check.problems.push(`${times.length} timestamps for ${ids.length} samples`);
  if (!check.value_at_start) check.problems.push(`no value at the start of the run: the first sample is at pulse ${check.first}, after the start ${start}`);
  return check;
}

/** Index of the first element smaller than its predecessor, or -1. */
function firstDecrease(values: Float64Array): number {
  for (let i = 1; i < values.length; i++) if (values[i]! < values[i - 1]!) return i;
  return -1;
}

/** The same for int64 timestamps, compared exactly (ns times exceed 2^53). */
function firstDecreaseBig(values: ArrayLike<number | bigint>): number {
  for (let i = 1; i < values.length; i++) if (BigInt(values[i]!) < BigInt(values[i - 1]!)) return i;
  return -1;
}
