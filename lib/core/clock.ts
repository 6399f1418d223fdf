/**
 * The facility clock: SwissFEL fires at 100 Hz, one pulse id every 10 ms.
 *
 * Time of a pulse = epoch time + (pulse_id - epoch pulse id) * 10 ms. In the
 * facility the map is measured, not computed; for the simulators and the demo
 * this linear map is our documented choice (buffers.md, "The facility clock").
 *
 * Event timestamps are nanoseconds since 1970 whose last 6 digits are the last
 * 6 digits of the pulse id (the facility's convention, readers rely on it), so
 * they exceed 2^53 and are BigInt everywhere.
 *
 * @example
 *   const clock = new FacilityClock({ epochPulseId: 18_940_426_916n, epochTimeMs: Date.parse('2023-09-05T00:00:00Z') });
 *   clock.currentPulseId();            // the pulse id firing now
 *   clock.timestampNs(18_940_426_917n) // 1693872000010426917n
 */
export interface FacilityClockConfig {
  /** A pulse id whose time is known. */
  epochPulseId: bigint;
  /** Wall time of epochPulseId, ms since 1970 (UTC). */
  epochTimeMs: number;
}

export const PULSE_PERIOD_MS = 10;
export const PULSE_RATE_HZ = 100;

/** Default epoch: pulse 18,940,426,916 on 2023-09-05T00:00:00Z, a real SwissFEL pulse id of that day. */
export const DEFAULT_CLOCK: FacilityClockConfig = {
  epochPulseId: 18_940_426_916n,
  epochTimeMs: Date.UTC(2023, 8, 5, 0, 0, 0),
};

export class FacilityClock {
  constructor(readonly config: FacilityClockConfig = DEFAULT_CLOCK, private readonly now: () => number = Date.now) {}

  /** Wall time of a pulse in ms since 1970 (may be fractional-free: pulses are 10 ms apart). */
  timeMs(pulseId: bigint): number {
    return this.config.epochTimeMs + Number(pulseId - this.config.epochPulseId) * PULSE_PERIOD_MS;
  }

  /**
   * Event timestamp in ns since 1970: the pulse's wall time with its last six
   * digits replaced by the pulse id's last six digits (facility convention).
   */
  timestampNs(pulseId: bigint): bigint {
    const ms = BigInt(this.timeMs(pulseId));
    return ms * 1_000_000n + (pulseId % 1_000_000n);
  }

  /** The pulse id firing at a wall time (ms since 1970): the last pulse at or before it. */
  pulseIdAt(timeMs: number): bigint {
    const offset = Math.floor((timeMs - this.config.epochTimeMs) / PULSE_PERIOD_MS);
    return this.config.epochPulseId + BigInt(offset);
  }

  /** The pulse id whose (ns) timestamp is the greatest one <= ts. */
  pulseIdAtNs(timestampNs: bigint): bigint {
    const ms = timestampNs / 1_000_000n;
    const candidate = this.pulseIdAt(Number(ms));
    // timestampNs(candidate) and the next pulse differ by 10 ms; the sub-ms digits hold the pulse id, so compare exactly.
    if (this.timestampNs(candidate) <= timestampNs) return candidate;
    return candidate - 1n;
  }

  currentPulseId(): bigint {
    return this.pulseIdAt(this.now());
  }
}

/** Format a time as Data API 3 wants it: `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, microseconds, `Z`). */
export function formatDataApiDate(timestampNs: bigint): string {
  const ms = Number(timestampNs / 1_000_000n);
  const micros = Number((timestampNs / 1_000n) % 1_000_000n);
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}

/** Parse a Data API 3 / ISO-8601 date with up to nanosecond digits into ns since 1970. */
export function parseIsoDateNs(text: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) throw new Error(`not an ISO-8601 UTC date: ${JSON.stringify(text)}`);
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) throw new Error(`not a valid date: ${JSON.stringify(text)}`);
  const frac = (m[2] ?? '').padEnd(9, '0');
  return BigInt(seconds) * 1_000_000n + BigInt(frac);
}
