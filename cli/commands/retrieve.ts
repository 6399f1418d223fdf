import type { RetrieveReply, RetrieveRequest } from '../../lib/client';
import type { Context } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { UsageError } from '../io';
import { integerOption } from '../options';
import { showRun } from './follow';
import { requestFromOptions } from './request';

/** Send the request and print the original's success line (`--wait`: then follow the run). */
export async function sendRequest(ctx: Context, request: RetrieveRequest, wait: boolean): Promise<ExitCode> {
  const reply = await ctx.client.retrieve(request);
  printAccepted(ctx, reply);
  return wait ? showRun(ctx, request.pgroup, reply.run_number, true) : EXIT.ok;
}

/** The broker's answer to an accepted request, as daq_client.py printed it (or the JSON). */
export function printAccepted(ctx: Context, reply: RetrieveReply): void {
  if (ctx.json) ctx.print(JSON.stringify(reply));
  // daq_client.py's line, word for word: scripts grep it.
  else ctx.print(`success: run number(request_id) is ${reply.message}`);
}

/**
 * `sfdaq retrieve -p p12345 --start N --stop M -c channels.txt ...`: daq_client.py, for pulses already taken.
 */
export async function retrieveCommand(ctx: Context): Promise<ExitCode> {
  const start = integerOption(ctx.values, 'start')!;
  const stop = integerOption(ctx.values, 'stop')!;
  if (stop < start) throw new UsageError(`--stop ${stop} is before --start ${start}`);
  const request = await requestFromOptions(ctx.values, { start, stop });
  return sendRequest(ctx, request, ctx.values.wait === true);
}
