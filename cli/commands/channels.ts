import type { NameKind } from '../../lib/client';
import type { Context } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { UsageError } from '../io';
import { integerOption } from '../options';

/**
 * `sfdaq channels PATTERN` (BS channels and cameras) and `sfdaq pvs PATTERN`
 * (EPICS PVs): the names the buffers know that match PATTERN (`*`, `?`: a
 * GLOB over the whole name; otherwise a substring; case-insensitive), one
 * per line on stdout, so the output is a channels file (`-c`, `-e`) as is.
 * What was found (and what could not be searched) goes to stderr. Exit 0
 * when the search ran (even with no match), 3 when no catalogue answered.
 *
 * @example sfdaq channels 'SARFE10-PBPG050:*' >> channels.txt
 */
export function channelsCommand(kinds: readonly NameKind[]) {
  return async (ctx: Context): Promise<ExitCode> => {
    const limit = integerOption(ctx.values, 'limit', { min: 1, max: 1000 });
    if (ctx.args[0]!.trim() === '') throw new UsageError('the PATTERN is empty (give a part of the name, or a GLOB such as SARFE10-*:PRESSURE)');
    const reply = await ctx.client.channels(ctx.args[0]!, { kinds, ...(limit !== undefined ? { limit } : {}) });
    const unavailable = reply.unavailable ?? [];
    if (ctx.json) ctx.print(JSON.stringify(reply));
    else for (const channel of reply.channels) ctx.print(channel.name);
    if (!ctx.json) ctx.note(reply.message);
    // Every catalogue asked failed: the empty list says nothing about the names.
    const searched = new Set(kinds).size - new Set(unavailable.map((u) => u.kind)).size;
    return reply.channels.length === 0 && unavailable.length > 0 && searched <= 0 ? EXIT.unavailable : EXIT.ok;
  };
}
