import type { Context } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { formatRunTable } from '../format';
import { integerOption, pgroupOption } from '../options';

/** `sfdaq runs -p p12345 [--limit N]`: the pgroup's latest runs as a table. */
export async function runsCommand(ctx: Context): Promise<ExitCode> {
  const pgroup = pgroupOption(ctx.values);
  const limit = integerOption(ctx.values, 'limit', { min: 1, max: 1000 });
  const reply = await ctx.client.listRuns(pgroup, limit !== undefined ? { limit } : {});
  if (ctx.json) ctx.print(JSON.stringify(reply));
  else if (reply.runs.length === 0) ctx.print(`no runs in ${pgroup} yet`);
  else ctx.print(formatRunTable(reply.runs));
  return EXIT.ok;
}
