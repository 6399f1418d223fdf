import { followRun, WaitTimeout, type RunStatus } from '../../lib/client';
import type { Context } from '../context';
import { EXIT, exitForState, type ExitCode } from '../exit-codes';
import { formatRun, runProgress, sourcesFinished } from '../format';
import { secondsOption } from '../options';
import { bar, clock, ProgressLine } from '../progress';

function show(ctx: Context, run: RunStatus): void {
  ctx.print(ctx.json ? JSON.stringify({ status: 'ok', message: run.state, run }) : formatRun(run));
}

/**
 * Print a run's status; with `wait`, follow it to its end first: a progress
 * bar of the sources finished in a terminal, a line per state change
 * otherwise. The exit code tells the outcome (0 done, 4 problems, 5 failed,
 * 6 not finished).
 */
export async function showRun(ctx: Context, pgroup: string, runNumber: number, wait: boolean): Promise<ExitCode> {
  if (!wait) {
    const { run } = await ctx.client.runStatus(pgroup, runNumber);
    show(ctx, run);
    return exitForState(run.state);
  }
  const started = Date.now();
  const line = new ProgressLine(ctx.io.stderr, ctx.progress);
  let lastState = '';
  const waitTimeout = secondsOption(ctx.values, 'wait-timeout');
  try {
    const run = await followRun(ctx.client, pgroup, runNumber, {
      intervalMs: (secondsOption(ctx.values, 'interval') ?? 1) * 1000,
      ...(waitTimeout !== undefined ? { timeoutMs: waitTimeout * 1000 } : {}),
      onUpdate: (status) => {
        const { finished, total } = sourcesFinished(status);
        // Progress inside the sources (pulses written), not only sources finished.
        const { fraction, detail } = runProgress(status);
        line.update(`${bar(fraction)} ${finished}/${total} sources  run ${status.run_number}: ${status.state}${detail ? `  ${detail}` : ''}  ${clock(Date.now() - started)}`);
        if (!line.enabled && status.state !== lastState) ctx.note(`run ${status.run_number}: ${status.state}`);
        lastState = status.state;
      },
    });
    line.finish();
    show(ctx, run);
    return exitForState(run.state);
  } catch (error) {
    line.finish();
    if (!(error instanceof WaitTimeout)) throw error;
    show(ctx, error.last);
    ctx.note(`sfdaq: ${error.message}; 'sfdaq status -p ${pgroup} -n ${runNumber} --wait' follows it again`);
    return EXIT.notFinished;
  }
}
