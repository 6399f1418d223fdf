import { DEFAULT_CLOCK, FacilityClock } from '../core/clock';
import { unreachable } from './broker-client';
import { BrokerProtocolError } from './errors';

/** Where the pulse id firing now comes from. */
export interface PulseClock {
  /** Human-readable origin for messages ("http://.../local/current_pulse_id", "the facility clock model"). */
  readonly origin: string;
  currentPulseId(): Promise<number>;
}

/**
 * A clock service answering `{"pulse_id": N}` on GET (the local stack's
 * `/local/current_pulse_id`; at the facility, a service reading the timing
 * receiver's PULSEID PV, as the original BrokerClient did over EPICS).
 *
 * @example await new HttpPulseClock('http://localhost:10002/local/current_pulse_id').currentPulseId() // 19123456789
 */
export class HttpPulseClock implements PulseClock {
  constructor(readonly origin: string, private readonly timeoutMs = 5_000, private readonly fetchFn: typeof fetch = fetch) {}

  async currentPulseId(): Promise<number> {
    let response: Response;
    try {
      response = await this.fetchFn(this.origin, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw unreachable(this.origin, error, this.timeoutMs, 'the pulse clock');
    }
    const text = await response.text().catch(() => '');
    let pulseId: unknown;
    try {
      pulseId = (JSON.parse(text) as { pulse_id?: unknown }).pulse_id;
    } catch {
      pulseId = undefined;
    }
    if (!response.ok || typeof pulseId !== 'number' || !Number.isSafeInteger(pulseId)) {
      throw new BrokerProtocolError(`the pulse clock ${this.origin} answered HTTP ${response.status} without a {"pulse_id": N}; set --clock or SFDAQ_CLOCK_URL`);
    }
    return pulseId;
  }
}

/**
 * The facility clock's linear model (100 Hz from a known pulse), for machines
 * without a clock service: the original client's fallback when EPICS was
 * missing. Only as good as the model's epoch.
 */
export class ModelPulseClock implements PulseClock {
  readonly origin = 'the facility clock model (100 Hz from pulse 18,940,426,916 at 2023-09-05T00:00:00Z)';
  private readonly clock = new FacilityClock(DEFAULT_CLOCK);

  async currentPulseId(): Promise<number> {
    return Number(this.clock.currentPulseId());
  }
}

/**
 * The clock for a `--clock` value: `model` for the linear model, a URL for a
 * clock service, nothing for the broker's own local helper.
 * @example pulseClock(undefined, 'http://localhost:10002').origin // 'http://localhost:10002/local/current_pulse_id'
 */
export function pulseClock(spec: string | undefined, broker: string): PulseClock {
  if (spec === 'model') return new ModelPulseClock();
  return new HttpPulseClock(spec ?? `${broker.replace(/\/+$/, '')}/local/current_pulse_id`);
}
