import type { SourceCheck } from './types';

/** Channels a status carries in full; beyond that, only those with problems (up to this many). */
export const SUMMARY_CHANNELS = 50;

/** A source's check as the run status carries it: bounded, whatever the number of channels. */
export type CheckSummary = Omit<SourceCheck, 'channels'> & {
  channels: SourceCheck['channels'];
  /** Channels checked, and how many of them have problems. */
  channels_total: number;
  channels_with_problems: number;
  /** Channels left out of `channels` (the full check is kept beside the status). */
  channels_omitted?: number;
};

/**
 * The check as the status shows it: every channel for a source of up to
 * SUMMARY_CHANNELS channels (a run status stays what it was for ordinary
 * runs), else the first SUMMARY_CHANNELS channels with problems, so a
 * 10,000-channel run's status stays small (the HTTP answer's 6 MB limit).
 *
 * @example summariseCheck(check).channels_with_problems // 2
 */
export function summariseCheck(check: SourceCheck): CheckSummary {
  const entries = Object.entries(check.channels) as Array<[string, { problems: string[] }]>;
  const withProblems = entries.filter(([, c]) => c.problems.length > 0);
  const kept = entries.length <= SUMMARY_CHANNELS ? entries : withProblems.slice(0, SUMMARY_CHANNELS);
  return {
    ...check,
    channels: Object.fromEntries(kept) as SourceCheck['channels'],
    channels_total: entries.length,
    channels_with_problems: withProblems.length,
    ...(kept.length < entries.length ? { channels_omitted: entries.length - kept.length } : {}),
  } as CheckSummary;
}
