/**
 * The check of one BS channel or camera (the seed's rules, honouring
 * rate_multiplicator, which the original ignored): present; every expected
 * pulse found once; first/last equal the expected first/last; no duplicates;
 * nothing outside [start, stop] (see pulse-scan.ts for the tolerated edges);
 * monotonic. Rows in range that carry no beam at this rate are reported as
 * `off_rate` but are not a problem: BS channels run at 100 Hz whatever the
 * beam rate, and the original check skipped such rows too.
 */
import { listIds, toNumbers, type ExpectedPulses } from './expected';
import { scanPulseIds, type PulseScan } from './pulse-scan';
import type { PulseChannelCheck, PulseChannelData } from './types';

/**
 * @example checkPulseChannel({ name: 'CH', pulseIds: BigInt64Array.of(1000n, 1001n) }, 1000, 1001, expectedPulses(1000, 1001, 1)).problems // []
 */
export function checkPulseChannel(data: PulseChannelData, start: number, stop: number, expected: ExpectedPulses): PulseChannelCheck {
  if (data.pulseIds === undefined) return absentChannel(expected, 'not present in the file');
  const scan = scanPulseIds(toNumbers(data.pulseIds), start, stop, expected);
  return { present: true, ...pulseFields(scan, expected), problems: pulseProblems(scan, expected, start, stop) };
}

/** The summary of a channel the file does not hold. */
export function absentChannel(expected: ExpectedPulses, problem: string): PulseChannelCheck {
  return {
    present: false, rows: 0, expected: expected.count, found_unique: 0, first: null, last: null,
    expected_first: expected.first, expected_last: expected.last, duplicates: 0, out_of_range: 0,
    edge: 0, off_rate: 0, monotonic: true, missing: expected.count, problems: [problem],
  };
}

/** The JSON fields of a scan. */
export function pulseFields(scan: PulseScan, expected: ExpectedPulses): Omit<PulseChannelCheck, 'present' | 'problems'> {
  const { examples: _examples, ...counts } = scan;
  return { ...counts, expected: expected.count, expected_first: expected.first, expected_last: expected.last };
}

/** The problems a scan shows, as sentences a scientist reads in the log. */
export function pulseProblems(scan: PulseScan, expected: ExpectedPulses, start: number, stop: number): string[] {
  const problems: string[] = [];
  if (scan.rows === 0) {
    if (expected.count > 0) problems.push(`no data: the file holds no row (expected ${expected.count} pulses)`);
    return problems;
  }
  if (scan.missing > 0) {
    problems.push(`missing ${scan.missing} of ${expected.count} expected pulses (${listIds(scan.examples.missing, scan.missing)})`);
  }
  if (scan.found_unique > 0 && (scan.first !== expected.first || scan.last !== expected.last)) {
    problems.push(`first/last pulse id ${scan.first}/${scan.last}, expected ${expected.first}/${expected.last}`);
  }
  if (scan.duplicates > 0) problems.push(`${scan.duplicates} rows repeat an earlier pulse id (e.g. ${scan.examples.duplicate})`);
  if (scan.out_of_range > 0) problems.push(`${scan.out_of_range} rows outside the requested pulses ${start}..${stop} (e.g. ${scan.examples.outOfRange})`);
  const d = scan.examples.decreaseAt;
  if (d) problems.push(`pulse ids not monotonic: row ${d.row} goes back from ${d.from} to ${d.to}`);
  return problems;
}
