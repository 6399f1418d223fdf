import { createInterface } from 'node:readline';
import { pulseClock, waitForPulses } from '../../lib/client';
import { MAX_PULSES_PER_REQUEST } from '../../lib/schemas/retrieve-request';
import type { Context } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { UsageError } from '../io';
import { integerOption, pgroupOption, stringOption } from '../options';
import { ProgressLine, pulseProgress } from '../progress';
import { requestFromOptions } from './request';
import { sendRequest } from './retrieve';

type OnInterrupt = 'ask' | 'save' | 'discard';

/**
 * `sfdaq run -p p12345 --pulses 1000 -c channels.txt`: BrokerClient.run.
 * Reads the pulse id firing now, waits until `pulses` pulses (at the rate)
 * have passed with the original's progress bar, then asks for them. Ctrl-C
 * offers to save the pulses taken so far or discard them (nothing is sent,
 * no run number is used).
 */
export async function runCommand(ctx: Context): Promise<ExitCode> {
  const pulses = integerOption(ctx.values, 'pulses', { min: 1 })!;
  const onInterrupt = interruptMode(ctx);
  // Read every file and check the request's shape before waiting for anything.
  const draft = await requestFromOptions(ctx.values, { start: 0, stop: 0 });
  const rate = draft.rate_multiplicator ?? 1;
  const span = pulses * rate;
  if (span > MAX_PULSES_PER_REQUEST) {
    throw new UsageError(`--pulses ${pulses} at rate ${rate} spans ${span} pulse ids; one request takes at most ${MAX_PULSES_PER_REQUEST} (${Math.floor(MAX_PULSES_PER_REQUEST / rate)} pulses at this rate)`);
  }
  const pgroup = pgroupOption(ctx.values);
  // Asking the run number first also checks the pgroup: a refusal now beats one after the wait.
  const expectedRun = (await ctx.client.currentRunNumber(pgroup)).run_number + 1;
  const clock = pulseClock(stringOption(ctx.values, 'clock') ?? ctx.io.env.SFDAQ_CLOCK_URL, ctx.client.broker);
  const start = await clock.currentPulseId();
  const stop = start + span - 1;

  const controller = new AbortController();
  let interrupts = 0;
  const removeHandler = ctx.io.onInterrupt(() => {
    interrupts += 1;
    if (interrupts > 1) process.exit(EXIT.interrupted); // a second Ctrl-C while deciding: leave now
    controller.abort();
  });
  try {
    const line = new ProgressLine(ctx.io.stderr, ctx.progress);
    if (!line.enabled) ctx.note(`taking ${pulses} pulses from pulse id ${start} to ${stop} (about ${Math.ceil(span / 100)} s); Ctrl-C to stop early`);
    const waited = await waitForPulses(clock, start, stop, {
      signal: controller.signal,
      onProgress: (fraction) => line.update(pulseProgress(fraction, expectedRun)),
    });
    line.finish();
    let last = stop;
    if (waited.interrupted) {
      const taken = Math.min(waited.current, stop);
      if (taken <= start) {
        ctx.note('stopped before any pulse was taken: nothing to save');
        return EXIT.interrupted;
      }
      const save = await decide(ctx, onInterrupt, start, taken);
      if (!save) {
        ctx.note(`discarded pulse ids ${start}-${taken}; nothing was sent`);
        return EXIT.interrupted;
      }
      last = taken;
    }
    // From here Ctrl-C stops sfdaq as usual: the request is on its way or answered.
    removeHandler();
    try {
      return await sendRequest(ctx, { ...draft, start_pulseid: start, stop_pulseid: last }, ctx.values.wait === true);
    } catch (error) {
      // The pulses are still in the buffers for a while: say how to ask for them again.
      ctx.note(`the pulses were taken (pulse ids ${start}-${last}); to ask for them again: sfdaq retrieve -p ${pgroup} --start ${start} --stop ${last} ...`);
      throw error;
    }
  } finally {
    removeHandler();
  }
}

function interruptMode(ctx: Context): OnInterrupt {
  const mode = stringOption(ctx.values, 'on-interrupt') ?? 'ask';
  if (mode !== 'ask' && mode !== 'save' && mode !== 'discard') throw new UsageError(`--on-interrupt must be ask, save or discard, not ${JSON.stringify(mode)}`);
  return mode;
}

/** Ctrl-C: the original's question, or the --on-interrupt choice when there is nobody to ask. */
async function decide(ctx: Context, mode: OnInterrupt, start: number, taken: number): Promise<boolean> {
  if (mode === 'save') return true;
  if (mode === 'discard') return false;
  if (ctx.io.stdin.isTTY !== true) {
    ctx.note('Ctrl-C with no terminal to ask on: discarding (use --on-interrupt save to keep the pulses)');
    return false;
  }
  ctx.io.stderr.write(`\nYou pressed Ctrl+C!\nwhat do you want me to do with the pulses taken up to now (pulse ids: ${start}-${taken}, ${taken - start + 1} pulse ids)\n`);
  const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.on('SIGINT', () => resolve('')); // Ctrl-C at the question: discard
      rl.on('close', () => resolve(''));
      rl.question('[s]-save them into a run; any other key - discard : ', resolve);
    });
    return answer.trim().toLowerCase() === 's';
  } finally {
    rl.close();
  }
}
