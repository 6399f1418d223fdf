/**
 * A pedestal run as the detector performs it (jungfrau.md §6): dark frames,
 * no photons, the gain forced stage by stage, and daq_rec telling which
 * (bits 12..13 = 0, 1, 3; bit 0 = high G0).
 *
 * - manual (take_pedestal without pedestalmode): dynamic G0, fixed_gain1,
 *   fixed_gain2, 10 * rate_multiplicator seconds each (1000 frames), once;
 * - firmware (pedestalmode): 50 frames per gain, cycling 200 times.
 *
 * Stages are counted in pulses: frames * rate_multiplicator each.
 */
export interface PedestalSchedule {
  /** First pulse of the run. */
  startPulseId: bigint;
  /** Frames per gain stage (manual 1000, firmware 50). */
  framesPerStage: number;
  /** How often the three stages repeat (manual 1, firmware 200). */
  loops: number;
  /** Detector frames every this many pulses (default 1). */
  rateMultiplicator?: number;
  /** High G0 (daq_rec bit 0) during the run. */
  highG0?: boolean;
}

/** Forced gain bits of the three stages, in order. */
export const PEDESTAL_GAINS = [0, 1, 3] as const;
export type ForcedGain = (typeof PEDESTAL_GAINS)[number];

/**
 * @example manualPedestal(1000n) // { startPulseId: 1000n, framesPerStage: 1000, loops: 1, rateMultiplicator: 1 }
 */
export function manualPedestal(startPulseId: bigint, rateMultiplicator = 1, highG0 = false): PedestalSchedule {
  return { startPulseId, framesPerStage: 1000, loops: 1, rateMultiplicator, highG0 };
}

/** @example firmwarePedestal(1000n).loops // 200 */
export function firmwarePedestal(startPulseId: bigint, rateMultiplicator = 1, highG0 = false): PedestalSchedule {
  return { startPulseId, framesPerStage: 50, loops: 200, rateMultiplicator, highG0 };
}

/** Last pulse of the run. @example pedestalStopPulseId(manualPedestal(1000n)) // 3999n */
export function pedestalStopPulseId(s: PedestalSchedule): bigint {
  return s.startPulseId + BigInt(s.framesPerStage * (s.rateMultiplicator ?? 1) * 3 * s.loops) - 1n;
}

/**
 * The gain a pedestal run forces at a pulse, or undefined outside the run.
 * @example pedestalGainAt(manualPedestal(1000n), 2500n) // 1
 */
export function pedestalGainAt(s: PedestalSchedule | undefined, pulseId: bigint): ForcedGain | undefined {
  if (!s || pulseId < s.startPulseId || pulseId > pedestalStopPulseId(s)) return undefined;
  const stagePulses = BigInt(s.framesPerStage * (s.rateMultiplicator ?? 1));
  return PEDESTAL_GAINS[Number(((pulseId - s.startPulseId) / stagePulses) % 3n)];
}

/** Stage index 0..2 of forced gain bits 0, 1, 3. */
export const stageOfGain = (g: ForcedGain): 0 | 1 | 2 => (g === 3 ? 2 : g);
