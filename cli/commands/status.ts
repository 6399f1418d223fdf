import type { Context } from '../context';
import type { ExitCode } from '../exit-codes';
import { integerOption, pgroupOption } from '../options';
import { showRun } from './follow';

/** `sfdaq status -p p12345 -n RUN [--wait]`: the run's state, its sources and their check verdicts. */
export function statusCommand(ctx: Context): Promise<ExitCode> {
  return showRun(ctx, pgroupOption(ctx.values), integerOption(ctx.values, 'run', { min: 1 })!, ctx.values.wait === true);
}
