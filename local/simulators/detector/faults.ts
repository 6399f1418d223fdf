/**
 * Detector faults: the shared FaultPlan's pulse faults, read for a file-based
 * buffer, plus lost packets.
 *
 * - missingPulseIds: the slot is never written (it reads as zeros: missing).
 * - duplicatedPulseIds: a file buffer cannot hold a pulse twice, so a
 *   "duplicate" is the stale frame a reader meets when the writer did not
 *   overwrite a slot: the slot of p holds the complete frame of p - 1000
 *   (same slot index, the previous file's pulse), so its pulse_id is wrong.
 * - badPacketPulseIds: the frame is written with n_recv_packets < 128.
 * A pulse in several lists takes the first of missing, duplicated, bad packets.
 */
import type { FaultPlan } from '../faults';

export interface DetectorFaultPlan extends FaultPlan {
  /** Pulse ids written with fewer than 128 packets. */
  badPacketPulseIds?: bigint[];
  /** The pulse faults hit only these module indexes (all modules when absent). */
  faultModules?: number[];
}

/** What the simulator writes into one module's slot for one pulse. */
export type SlotPlan =
  | { kind: 'skip' }
  | { kind: 'frame'; framePulseId: bigint; nRecvPackets?: bigint };

/**
 * Sets built once per write pass (faults may change between passes).
 * @example const f = compileFaults({ missingPulseIds: [1005n] }); f.plan(0, 1005n) // { kind: 'skip' }
 */
export function compileFaults(plan: DetectorFaultPlan = {}) {
  const missing = new Set(plan.missingPulseIds ?? []);
  const stale = new Set(plan.duplicatedPulseIds ?? []);
  const badPackets = new Set(plan.badPacketPulseIds ?? []);
  const modules = plan.faultModules ? new Set(plan.faultModules) : undefined;
  return {
    plan(module: number, pulseId: bigint): SlotPlan {
      if (modules && !modules.has(module)) return { kind: 'frame', framePulseId: pulseId };
      if (missing.has(pulseId)) return { kind: 'skip' };
      if (stale.has(pulseId)) return { kind: 'frame', framePulseId: stalePulseId(pulseId) };
      if (badPackets.has(pulseId)) return { kind: 'frame', framePulseId: pulseId, nRecvPackets: badPacketCount(pulseId) };
      return { kind: 'frame', framePulseId: pulseId };
    },
  };
}

/**
 * The pulse a stale slot of p holds: the same slot of the previous file.
 * @example stalePulseId(2005n) // 1005n
 */
export function stalePulseId(pulseId: bigint): bigint {
  return pulseId >= 1000n ? pulseId - 1000n : pulseId + 1000n;
}

/**
 * Packets received for a bad-packet pulse: 28..127, from the pulse id.
 * @example badPacketCount(1005n) // 122n
 */
export function badPacketCount(pulseId: bigint): bigint {
  return 127n - (pulseId % 100n);
}
