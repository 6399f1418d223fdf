/**
 * The consistency check of one source (the seed's "Check"), pure: arrays in,
 * a JSON summary out. `formatReport` (report.ts) turns it into log lines.
 */
import { checkDetectorFrames } from './detector';
import { expectedPulses } from './expected';
import { checkPulseChannel } from './pulse-channel';
import { checkPvChannel } from './pv-channel';
import type { CheckRequest, DetectorData, PulseChannelData, PvChannelData, SourceCheck, Verdict } from './types';

/** What one source's file held, by source kind (SourceKind of run-status.ts). */
export type CheckInput =
  | { kind: 'data' | 'image'; source: string; channels: PulseChannelData[] }
  | { kind: 'archiver'; source: string; channels: PvChannelData[] }
  | { kind: 'detector'; source: string; detector: DetectorData };

/**
 * @example
 *   const check = checkSource({ start_pulseid: 1000, stop_pulseid: 1999, rate_multiplicator: 10 },
 *     { kind: 'data', source: 'BSREAD', channels: [{ name: 'SAR:CH1', pulseIds }] });
 *   check.verdict // 'ok' | 'problems'
 */
export function checkSource(request: CheckRequest, input: CheckInput): SourceCheck {
  const start = request.start_pulseid;
  const stop = request.stop_pulseid;
  const rate = request.rate_multiplicator;
  if (!(Number.isSafeInteger(start) && Number.isSafeInteger(stop) && start <= stop)) {
    throw new RangeError(`check: bad pulse range ${start}..${stop}`);
  }
  const selected = input.kind === 'detector' ? request.detectors?.[input.detector.name]?.selected_pulse_ids : undefined;
  const expected = expectedPulses(start, stop, rate, selected);
  const range = { start, stop, rate, expected: expected.count, expected_pulses: expected.describe() };
  const base = { source: input.source, range };
  switch (input.kind) {
    case 'data':
    case 'image': {
      const channels = Object.fromEntries(input.channels.map((c) => [c.name, checkPulseChannel(c, start, stop, expected)]));
      return { ...base, kind: input.kind, verdict: verdictOf(channels), channels };
    }
    case 'archiver': {
      const channels = Object.fromEntries(input.channels.map((c) => [c.name, checkPvChannel(c, start, stop)]));
      return { ...base, kind: 'archiver', verdict: verdictOf(channels), channels };
    }
    case 'detector': {
      const channels = { [input.detector.name]: checkDetectorFrames(input.detector, start, stop, expected) };
      return { ...base, kind: 'detector', verdict: verdictOf(channels), channels };
    }
    default: {
      const unreachable: never = input;
      return unreachable;
    }
  }
}

/**
 * A source with nothing to look at (its file cannot be read): every channel
 * asked for gets that one problem.
 * @example unreadableSource(request, 'data', 'BSREAD', ['CH1'], 'cannot open run_000001.BSREAD.h5: ...')
 */
export function unreadableSource(request: CheckRequest, kind: SourceCheck['kind'], source: string, names: readonly string[], problem: string): SourceCheck {
  const input: CheckInput =
    kind === 'detector' ? { kind, source, detector: { name: source } } : kind === 'archiver' ? { kind, source, channels: names.map((name) => ({ name })) } : { kind, source, channels: names.map((name) => ({ name })) };
  const check = checkSource(request, input);
  for (const channel of Object.values(check.channels)) channel.problems = [problem];
  return { ...check, verdict: 'problems' };
}

function verdictOf(channels: Record<string, { problems: string[] }>): Verdict {
  return Object.values(channels).some((c) => c.problems.length > 0) ? 'problems' : 'ok';
}
