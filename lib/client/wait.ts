import { isFinal } from '../core/run-status';
import type { BrokerClient } from './broker-client';
import { BrokerUnavailable } from './errors';
import type { PulseClock } from './pulse-clock';
import type { RunStatus } from './types';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export interface PulseWait {
  /** The last pulse id read from the clock. */
  current: number;
  /** True if `signal` stopped the wait before `stop` was reached. */
  interrupted: boolean;
}

/**
 * Wait until the clock passes `stop`, reporting progress (0..1) as it goes.
 * An aborted `signal` ends the wait early (Ctrl-C): the answer says how far it got.
 * A clock that stops answering is bridged for up to `outageMs` (default 30 s).
 *
 * @example
 *   const start = await clock.currentPulseId();
 *   const { current } = await waitForPulses(clock, start, start + 999, { onProgress: (f) => bar.update(f) });
 */
export async function waitForPulses(
  clock: PulseClock,
  start: number,
  stop: number,
  options: { onProgress?: (fraction: number, current: number) => void; signal?: AbortSignal; intervalMs?: number; outageMs?: number } = {},
): Promise<PulseWait> {
  const span = Math.max(1, stop - start);
  const read = steadyReader(clock, start, options.outageMs ?? 30_000);
  for (;;) {
    const current = await read();
    options.onProgress?.(Math.min(1, Math.max(0, (current - start) / span)), current);
    if (current >= stop) return { current, interrupted: false };
    if (options.signal?.aborted) return { current, interrupted: true };
    // Never sleep past the stop pulse by more than one interval; 10 ms per pulse.
    await sleep(Math.min(options.intervalMs ?? 100, Math.max(10, (stop - current) * 10)), options.signal);
    if (options.signal?.aborted) return { current: await read(), interrupted: true };
  }
}

/**
 * The clock, riding out a short outage: while it does not answer, the pulse
 * id is carried on from the last one read at 100 Hz (10 ms a pulse), as the
 * original client fell back to computing it; after `outageMs` without an
 * answer the error is thrown.
 */
function steadyReader(clock: PulseClock, start: number, outageMs: number): () => Promise<number> {
  let last = { pulse: start, at: Date.now() };
  let failingSince: number | undefined;
  return async () => {
    try {
      const pulse = await clock.currentPulseId();
      last = { pulse, at: Date.now() };
      failingSince = undefined;
      return pulse;
    } catch (error) {
      failingSince ??= Date.now();
      if (Date.now() - failingSince >= outageMs) throw error;
      return last.pulse + Math.floor((Date.now() - last.at) / 10);
    }
  };
}

/** `--wait` gave up: the run is still going (its last status is attached). */
export class WaitTimeout extends Error {
  override readonly name = 'WaitTimeout';
  constructor(readonly last: RunStatus, seconds: number) {
    super(`run ${last.run_number} of ${last.pgroup} is still ${last.state} after ${seconds} s`);
  }
}

/**
 * Poll a run's status until it is final (done, done_with_problems, failed),
 * calling `onUpdate` with each status seen. An unreachable broker is polled
 * again for up to `outageMs` (default 60 s) before the error is thrown.
 *
 * @example
 *   const run = await followRun(broker, 'p12345', 7, { onUpdate: (s) => console.log(s.state) });
 *   run.state // 'done'
 */
export async function followRun(
  client: BrokerClient,
  pgroup: string,
  runNumber: number,
  options: { onUpdate?: (status: RunStatus) => void; intervalMs?: number; timeoutMs?: number; signal?: AbortSignal; outageMs?: number } = {},
): Promise<RunStatus> {
  const startedAt = Date.now();
  const deadline = options.timeoutMs !== undefined ? startedAt + options.timeoutMs : Infinity;
  let failingSince: number | undefined;
  for (;;) {
    let run: RunStatus;
    try {
      ({ run } = await client.runStatus(pgroup, runNumber));
      failingSince = undefined;
    } catch (error) {
      // A broker restarting (or a Lambda cold start timing out) must not end a long wait: retry for a while.
      failingSince ??= Date.now();
      if (!(error instanceof BrokerUnavailable) || Date.now() - failingSince >= (options.outageMs ?? 60_000)) throw error;
      await sleep(options.intervalMs ?? 1000, options.signal);
      continue;
    }
    options.onUpdate?.(run);
    if (isFinal(run.state)) return run;
    if (Date.now() >= deadline || options.signal?.aborted) throw new WaitTimeout(run, Math.round((Date.now() - startedAt) / 1000));
    await sleep(Math.min(options.intervalMs ?? 1000, Math.max(0, deadline - Date.now())), options.signal);
  }
}
