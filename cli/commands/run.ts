import { createInterface } from 'node:readline';
import { pulseClock, waitForPulses } from '../../lib/client';
import { MAX_PULSES_PER_REQUEST } from '../../lib/schemas/retrieve-request';
import type { Context } from '../context';
import { EXIT, type ExitCode } from '../exit-codes';
import { UsageError } from '../io';
import { integerOption, pgroupOption, stringOption } from '../options';
import { ProgressLine, pulseProgress } from '../progress';
import { CTRL_C, terminalKeys, type KeyInput, type TerminalKeys } from '../keys';
import { showRun } from './follow';
import { requestFromOptions } from './request';
import { printAccepted } from './retrieve';

type OnInterrupt = 'ask' | 'save' | 'discard';

/**
 * `sfdaq run -p p12345 --pulses 1000 -c channels.txt`: BrokerClient.run.
 * Reads the pulse id firing now, waits until `pulses` pulses (at the rate)
 * have passed with the original's progress bar, then asks for them. Ctrl-C
 * offers to save the pulses taken so far (`s`, one key) or discard them
 * (any other key: nothing is sent, no run number is used, exit 130). Once
 * the request is sent, Ctrl-C no longer stops it: the exit code is the
 * broker's answer (0 when accepted).
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
  // On a terminal, keys are read raw: Ctrl-C is a key we read, not a signal to every process of the
  // terminal's group (npx would forward it again and exit 130 itself); the answer to the question
  // is one key, no Enter.
  const keys = terminalKeys(ctx.io.stdin as KeyInput);
  let phase: 'taking' | 'deciding' | 'sending' = 'taking';
  let firstInterrupt: number | undefined;
  const interrupt = () => {
    const now = Date.now();
    if (firstInterrupt === undefined) {
      firstInterrupt = now;
      controller.abort();
      return;
    }
    // The same Ctrl-C delivered twice (npx forwards the terminal's SIGINT to us): count it once.
    if (now - firstInterrupt < DUPLICATE_MS) return;
    if (phase === 'sending') {
      ctx.note('the request is on its way; waiting for its answer');
      return;
    }
    keys?.stop();
    process.exit(EXIT.interrupted); // a second Ctrl-C while deciding: leave now
  };
  keys?.start((key) => {
    if (key === CTRL_C) interrupt();
  });
  const removeHandler = ctx.io.onInterrupt(interrupt);
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
      phase = 'deciding';
      const save = await decide(ctx, keys, onInterrupt, start, taken);
      if (!save) {
        ctx.note(`discarded pulse ids ${start}-${taken}; nothing was sent`);
        return EXIT.interrupted;
      }
      last = taken;
    }
    // From here the request is on its way: Ctrl-C no longer stops sfdaq, whose exit code
    // then tells what the broker answered (0: accepted).
    phase = 'sending';
    firstInterrupt ??= 0;
    try {
      const request = { ...draft, start_pulseid: start, stop_pulseid: last };
      const reply = await ctx.client.retrieve(request);
      printAccepted(ctx, reply);
      keys?.stop();
      removeHandler();
      return ctx.values.wait === true ? await showRun(ctx, pgroup, reply.run_number, true) : EXIT.ok;
    } catch (error) {
      // The pulses are still in the buffers for a while: say how to ask for them again.
      ctx.note(`the pulses were taken (pulse ids ${start}-${last}); to ask for them again: sfdaq retrieve -p ${pgroup} --start ${start} --stop ${last} ...`);
      throw error;
    }
  } finally {
    keys?.stop();
    removeHandler();
  }
}

/** Two interrupts closer than this are one Ctrl-C delivered twice. */
const DUPLICATE_MS = 500;

function interruptMode(ctx: Context): OnInterrupt {
  const mode = stringOption(ctx.values, 'on-interrupt') ?? 'ask';
  if (mode !== 'ask' && mode !== 'save' && mode !== 'discard') throw new UsageError(`--on-interrupt must be ask, save or discard, not ${JSON.stringify(mode)}`);
  return mode;
}

/** Ctrl-C: the original's question (one key), or the --on-interrupt choice when there is nobody to ask. */
async function decide(ctx: Context, keys: TerminalKeys | undefined, mode: OnInterrupt, start: number, taken: number): Promise<boolean> {
  if (mode === 'save') return true;
  if (mode === 'discard') return false;
  if (ctx.io.stdin.isTTY !== true) {
    ctx.note('Ctrl-C with no terminal to ask on: discarding (use --on-interrupt save to keep the pulses)');
    return false;
  }
  ctx.io.stderr.write(`\nYou pressed Ctrl+C!\nwhat do you want me to do with the pulses taken up to now (pulse ids: ${start}-${taken}, ${taken - start + 1} pulse ids)\n`);
  const question = '[s]-save them into a run; any other key - discard : ';
  if (keys) {
    ctx.io.stderr.write(question);
    const key = await keys.next(); // Ctrl-C or Ctrl-D here: discard
    ctx.io.stderr.write(`${/^[\x20-\x7e]$/.test(key) ? key : ''}\n`);
    return key === 's' || key === 'S';
  }
  // A terminal that cannot go raw: a line, as the original read it.
  const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.on('SIGINT', () => resolve('')); // Ctrl-C at the question: discard
      rl.on('close', () => resolve(''));
      rl.question(question, resolve);
    });
    return answer.trim().toLowerCase() === 's';
  } finally {
    rl.close();
  }
}
