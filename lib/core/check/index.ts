/** The consistency check (the seed's "Check"), pure: see check.ts. */
export { checkSource, unreadableSource, type CheckInput } from './check';
export { formatReport } from './report';
export { expectedPulses, type ExpectedPulses } from './expected';
export type * from './types';
export { summariseCheck, SUMMARY_CHANNELS, type CheckSummary } from './summary';
