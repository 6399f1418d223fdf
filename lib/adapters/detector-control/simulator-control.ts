import type { DetectorControl, PedestalSchedule } from '../../core/detectors/ports';
import { RequestRefused } from '../../core/errors';

/**
 * The detector control of the local stack: the detector buffer simulator's
 * control endpoint (local/simulators/detector/control-server.ts), over HTTP:
 *
 *   POST <url>/take_pedestal {detectors, rate_multiplicator, pedestalmode} -> {schedules: {<DET>: PedestalSchedule}}
 *   POST <url>/power_on {detector}                                          -> {ok: true}
 *
 * @example await new SimulatedDetectorControl('http://127.0.0.1:41234').takePedestal({ detectors: ['JF01T03V01'], rateMultiplicator: 1, pedestalmode: false })
 */
export class SimulatedDetectorControl implements DetectorControl {
  readonly kind = 'simulator';

  constructor(private readonly url: string, private readonly timeoutMs = 5_000) {}

  async takePedestal(request: { detectors: string[]; rateMultiplicator: number; pedestalmode: boolean }): Promise<Record<string, PedestalSchedule>> {
    const answer = await this.post<{ schedules: Record<string, PedestalSchedule> }>('/take_pedestal', {
      detectors: request.detectors,
      rate_multiplicator: request.rateMultiplicator,
      pedestalmode: request.pedestalmode,
    });
    return answer.schedules;
  }

  async powerOn(detector: string): Promise<void> {
    await this.post('/power_on', { detector });
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.url.replace(/\/+$/, '')}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      // Unreachable is the control's trouble, not the request's: the caller sees "retry".
      throw new Error(`the detector control (simulator) does not answer: ${(error as Error).message}`, { cause: error });
    }
    const json = (await response.json().catch(() => ({}))) as T & { error?: string };
    if (response.status === 400) throw new RequestRefused(undefined, `the detector control (simulator) refused: ${json.error ?? 'no reason given'}`);
    if (!response.ok) throw new Error(`the detector control (simulator) answered HTTP ${response.status}: ${json.error ?? ''}`);
    return json;
  }
}

/**
 * A deployment without a connection to the facility's detector control
 * system: pedestal runs and power-on are refused, saying so.
 */
export class NoDetectorControl implements DetectorControl {
  readonly kind = 'none';

  takePedestal(request: { detectors: string[] }): Promise<never> {
    return Promise.reject(
      new RequestRefused(
        'detectors',
        `take_pedestal: this broker is not connected to a detector control system (only the local stack's simulated detectors take pedestals), so ${request.detectors.join(', ')} cannot be made to take one: take the pedestal with the detector control software at the beamline`,
      ),
    );
  }

  powerOn(detector: string): Promise<never> {
    return Promise.reject(
      new RequestRefused(
        'detector_name',
        `power_on_detector works with simulated detectors only: this broker is not connected to a detector control system, so ${detector} cannot be powered on from here; power it on from the detector control software at the beamline`,
      ),
    );
  }
}
