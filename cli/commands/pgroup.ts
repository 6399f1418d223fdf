import { createInterface } from 'node:readline';
import type { Context } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { UsageError } from '../io';
import { pgroupOption } from '../options';

/** `sfdaq current-run -p p12345`: prints the pgroup's last run number (0 before the first). */
export async function currentRunCommand(ctx: Context): Promise<ExitCode> {
  const reply = await ctx.client.currentRunNumber(pgroupOption(ctx.values));
  ctx.print(ctx.json ? JSON.stringify(reply) : String(reply.run_number));
  return EXIT.ok;
}

/** `sfdaq advance-run -p p12345`: takes the next run number without retrieving; prints it. */
export async function advanceRunCommand(ctx: Context): Promise<ExitCode> {
  const reply = await ctx.client.advanceRunNumber(pgroupOption(ctx.values));
  ctx.print(ctx.json ? JSON.stringify(reply) : String(reply.run_number));
  return EXIT.ok;
}

/**
 * `sfdaq close -p p12345 [--yes]`: closes the pgroup for writing, for good.
 * Asks to type the pgroup in a terminal; elsewhere --yes is required.
 */
export async function closeCommand(ctx: Context): Promise<ExitCode> {
  const pgroup = pgroupOption(ctx.values);
  if (ctx.values.yes !== true) {
    if (ctx.io.stdin.isTTY !== true) throw new UsageError(`closing ${pgroup} cannot be undone: add --yes to confirm`);
    const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr });
    const answer = await new Promise<string>((resolve) => {
      rl.on('SIGINT', () => resolve(''));
      rl.on('close', () => resolve(''));
      rl.question(`closing ${pgroup} for writing cannot be undone; every later request for it is refused.\ntype ${pgroup} to confirm: `, resolve);
    });
    rl.close();
    if (answer.trim() !== pgroup) {
      ctx.note(`not closed: ${pgroup} was not typed`);
      return EXIT.notConfirmed;
    }
  }
  const reply = await ctx.client.closePgroup(pgroup);
  ctx.print(ctx.json ? JSON.stringify(reply) : reply.message);
  return EXIT.ok;
}
