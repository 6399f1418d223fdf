import { followPedestal, PedestalWaitTimeout, WaitTimeout, type PedestalStatus } from '../../lib/client';
import type { Context } from '../context';
import { EXIT, exitForState, type ExitCode } from '../exit-codes';
import { integerOption, pgroupOption, secondsOption } from '../options';
import { ProgressLine, clock } from '../progress';
import { detectorsOption } from './detectors';
import { showRun } from './follow';

/**
 * A pedestal for people: its state, then per detector the file conversion
 * uses and what went into it.
 * @example formatPedestal(p) // 'pedestal 20250601_120000 (run 4 of p12345): done\n  JF01T03V01  done  1572864 of 1572864 pixels good ...'
 */
export function formatPedestal(p: PedestalStatus): string {
  const lines = [`pedestal ${p.stamp} (run ${p.run_number} of ${p.pgroup}): ${p.state}`];
  for (const d of p.detectors) {
    const stats = d.good_pixels !== undefined && d.pixels !== undefined ? `  ${d.good_pixels} of ${d.pixels} pixels good` : '';
    const frames = d.frames ? `, frames used G0/G1/G2 ${d.frames.used_g0}/${d.frames.used_g1}/${d.frames.used_g2} of ${d.frames.analyzed}` : '';
    lines.push(`  ${d.detector}  ${d.state}${stats}${frames}`);
    if (d.calibration_file) lines.push(`      ${d.calibration_file}`);
    if (d.reason) lines.push(`      ${d.reason}`);
  }
  if (p.reason && p.detectors.every((d) => d.reason !== p.reason)) lines.push(`  reason: ${p.reason}`);
  return lines.join('\n');
}

/**
 * `sfdaq pedestal -p P -d DET[,DET] [-r R] [--pedestalmode] [--wait]`: the
 * detectors take dark frames, the broker retrieves them as a run into
 * raw/JF_pedestals/ and computes the pedestal. Prints the broker's message
 * and the run; with --wait follows the retrieval, then the computation, and
 * prints where each pedestal is. Exit 0 accepted / pedestal done, 5 failed,
 * 6 not finished.
 */
export async function pedestalCommand(ctx: Context): Promise<ExitCode> {
  const pgroup = pgroupOption(ctx.values);
  const detectors = detectorsOption(ctx);
  const rate = integerOption(ctx.values, 'rate', { min: 1, max: 100 });
  const reply = await ctx.client.takePedestal({
    pgroup,
    detectors,
    ...(rate !== undefined ? { rate_multiplicator: rate } : {}),
    ...(ctx.values.pedestalmode === true ? { pedestalmode: true } : {}),
  });
  if (ctx.json) ctx.print(JSON.stringify(reply));
  else ctx.print(`${reply.message}: run ${reply.run_number}, pedestal ${reply.stamp} (pulses ${reply.start_pulseid}..${reply.stop_pulseid})`);
  if (ctx.values.wait !== true) return EXIT.ok;

  // The retrieval first (the run's own progress bar), then the computation.
  const runExit = await showRun(ctx, pgroup, reply.run_number, true);
  if (runExit === EXIT.failed || runExit === EXIT.notFinished) {
    // Its pedestal will not come (or not yet): say where it stands.
    const { pedestal } = await ctx.client.pedestalStatus(pgroup, reply.run_number);
    ctx.print(ctx.json ? JSON.stringify({ status: 'ok', message: pedestal.state, pedestal }) : formatPedestal(pedestal));
    return runExit;
  }
  const started = Date.now();
  const line = new ProgressLine(ctx.io.stderr, ctx.progress);
  const waitTimeout = secondsOption(ctx.values, 'wait-timeout');
  try {
    const pedestal = await followPedestal(ctx.client, pgroup, reply.run_number, {
      intervalMs: (secondsOption(ctx.values, 'interval') ?? 1) * 1000,
      ...(waitTimeout !== undefined ? { timeoutMs: waitTimeout * 1000 } : {}),
      onUpdate: (p) => line.update(`pedestal ${p.stamp}: ${p.state}  ${clock(Date.now() - started)}`),
    });
    line.finish();
    ctx.print(ctx.json ? JSON.stringify({ status: 'ok', message: pedestal.state, pedestal }) : formatPedestal(pedestal));
    return pedestal.state === 'done' ? EXIT.ok : EXIT.failed;
  } catch (error) {
    line.finish();
    if (error instanceof PedestalWaitTimeout) {
      ctx.print(ctx.json ? JSON.stringify({ status: 'ok', message: error.last.state, pedestal: error.last }) : formatPedestal(error.last));
      ctx.note(`sfdaq: ${error.message}`);
      return EXIT.notFinished;
    }
    if (error instanceof WaitTimeout) return exitForState(error.last.state);
    throw error;
  }
}
