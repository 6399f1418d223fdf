/**
 * The human-readable report of a check, as the seed's check printed it: the
 * range judged, one line per channel (ok, or its reasons), the verdict.
 */
import type { DetectorCheck, PulseChannelCheck, PvChannelCheck, SourceCheck } from './types';

/**
 * @example formatReport(check)
 *   // ['check BSREAD: pulses 1000..1999, rate_multiplicator 10, expected 100 (1000..1990 step 10)',
 *   //  '  SAR:CH1: ok, 100/100 pulses 1000..1990',
 *   //  'verdict BSREAD: ok (1 channel)']
 */
export function formatReport(check: SourceCheck): string[] {
  const { start, stop, rate, expected, expected_pulses } = check.range;
  const lines = [`check ${check.source}: pulses ${start}..${stop}, rate_multiplicator ${rate}, expected ${expected} (${expected_pulses})`];
  const names = Object.keys(check.channels);
  let bad = 0;
  for (const name of names) {
    const channel = check.channels[name]!;
    const what = check.kind === 'archiver' ? pvLine(channel as PvChannelCheck) : check.kind === 'detector' ? detectorLine(channel as DetectorCheck) : pulseLine(channel as PulseChannelCheck);
    if (channel.problems.length === 0) {
      lines.push(`  ${name}: ok, ${what}`);
    } else {
      bad += 1;
      lines.push(`  ${name}: PROBLEMS${channel.present ? `, ${what}` : ''}`);
      for (const problem of channel.problems) lines.push(`    - ${problem}`);
    }
  }
  const total = `${names.length} ${names.length === 1 ? 'channel' : 'channels'}`;
  lines.push(`verdict ${check.source}: ${check.verdict}${check.verdict === 'ok' ? ` (${total})` : ` (${bad} of ${total} with problems)`}`);
  return lines;
}

function pulseLine(c: PulseChannelCheck): string {
  const extra = [c.off_rate > 0 ? `${c.off_rate} off-rate rows ignored` : '', c.edge > 0 ? `${c.edge} edge rows tolerated` : ''].filter(Boolean);
  return `${c.found_unique}/${c.expected} pulses ${span(c.first, c.last)}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`;
}

function detectorLine(c: DetectorCheck): string {
  if (c.lengths.frame_index === null && c.notes !== undefined) return `${c.rows} frames kept ${span(c.first, c.last)} (converted)${c.notes.length > 0 ? `; ${c.notes.join('; ')}` : ''}`;
  return `${c.rows} frames ${span(c.first, c.last)}, ${c.bad_frames} bad, frame_index ${c.frame_index_per_pulse ?? '?'} per pulse`;
}

function pvLine(c: PvChannelCheck): string {
  return `${c.samples} samples (${c.before_start} before / ${c.in_range} in range / ${c.after_stop} after)`;
}

const span = (first: number | null, last: number | null) => (first === null ? '(none)' : `${first}..${last}`);
