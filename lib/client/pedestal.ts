import type { BrokerClient } from './broker-client';
import { BrokerUnavailable } from './errors';
import type { PedestalStatus } from './types';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `--wait` gave up on a pedestal: it is still retrieving or computing (its last status is attached). */
export class PedestalWaitTimeout extends Error {
  override readonly name = 'PedestalWaitTimeout';
  constructor(readonly last: PedestalStatus, seconds: number) {
    super(`the pedestal of run ${last.run_number} of ${last.pgroup} is still ${last.state} after ${seconds} s`);
  }
}

/**
 * Poll a pedestal run until its pedestal is `done` or `failed` (the
 * retrieval first, then the computation), calling `onUpdate` with each status.
 * An unreachable broker is polled again for up to `outageMs` (default 60 s).
 *
 * @example
 *   const { run_number } = await broker.takePedestal({ pgroup: 'p12345', detectors: ['JF01T03V01'] });
 *   const pedestal = await followPedestal(broker, 'p12345', run_number);
 *   pedestal.detectors[0].calibration_file // '/sf/jungfrau/data/pedestal/JF01T03V01/20250601_120000.h5'
 */
export async function followPedestal(
  client: BrokerClient,
  pgroup: string,
  runNumber: number,
  options: { onUpdate?: (status: PedestalStatus) => void; intervalMs?: number; timeoutMs?: number; outageMs?: number } = {},
): Promise<PedestalStatus> {
  const startedAt = Date.now();
  const deadline = options.timeoutMs !== undefined ? startedAt + options.timeoutMs : Infinity;
  let failingSince: number | undefined;
  for (;;) {
    let pedestal: PedestalStatus;
    try {
      ({ pedestal } = await client.pedestalStatus(pgroup, runNumber));
      failingSince = undefined;
    } catch (error) {
      failingSince ??= Date.now();
      if (!(error instanceof BrokerUnavailable) || Date.now() - failingSince >= (options.outageMs ?? 60_000)) throw error;
      await sleep(options.intervalMs ?? 1000);
      continue;
    }
    options.onUpdate?.(pedestal);
    if (pedestal.state === 'done' || pedestal.state === 'failed') return pedestal;
    if (Date.now() >= deadline) throw new PedestalWaitTimeout(pedestal, Math.round((Date.now() - startedAt) / 1000));
    await sleep(Math.min(options.intervalMs ?? 1000, Math.max(0, deadline - Date.now())));
  }
}
