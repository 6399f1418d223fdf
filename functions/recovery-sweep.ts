import { sweepOpenRuns } from '../lib/core/recover';
import { lambdaApp } from '../lib/runtime/lambda';
import { log } from '../lib/runtime/logger';

/**
 * Scheduled (every 5 minutes): finish runs accepted but never handed to the
 * workflow, and record as failed those whose workflow ended without an
 * outcome (lib/core/recover.ts). The schedule's input may set `graceSeconds`
 * (the local stack sets 0 at start, when nothing else is being accepted).
 */
export const handler = async (event: { graceSeconds?: unknown } | undefined) => {
  const app = lambdaApp();
  const graceSeconds = typeof event?.graceSeconds === 'number' && event.graceSeconds >= 0 ? event.graceSeconds : app.config.recovery.graceSeconds;
  const report = await sweepOpenRuns(app, { graceSeconds });
  if (report.started.length || report.failed.length || report.skipped.length || report.closed.length) log.warn('recovery sweep', { ...report });
  return report;
};
