/**
 * The 41-byte head of a detector buffer slot: the 0xBE format marker and the
 * frame header of five little-endian uint64. Shared by the reader and the
 * simulator so both agree on one definition of the format.
 */
import { PACKETS_PER_FRAME, SLOT_HEADER_BYTES, SLOT_MARKER } from './layout';

export interface ModuleFrameHeader {
  pulseId: bigint;
  frameIndex: bigint;
  daqRec: bigint;
  nRecvPackets: bigint;
  moduleId: bigint;
}

/** What a slot holds with respect to the pulse id it was asked for. */
export type ModuleStatus = 'good' | 'bad-packets' | 'missing' | 'stale';

/**
 * Write marker + header at `offset` of `target`.
 * @example encodeSlotHeader(buf, 0, { pulseId: 5n, frameIndex: 5n, daqRec: 0n, nRecvPackets: 128n, moduleId: 0n })
 */
export function encodeSlotHeader(target: Uint8Array, offset: number, header: ModuleFrameHeader): void {
  const view = new DataView(target.buffer, target.byteOffset + offset, SLOT_HEADER_BYTES);
  view.setUint8(0, SLOT_MARKER);
  view.setBigUint64(1, header.pulseId, true);
  view.setBigUint64(9, header.frameIndex, true);
  view.setBigUint64(17, header.daqRec, true);
  view.setBigUint64(25, header.nRecvPackets, true);
  view.setBigUint64(33, header.moduleId, true);
}

/**
 * Read the header at `offset`, or undefined when the slot carries no 0xBE
 * marker (never written: a hole of the pre-sized file reads as zeros).
 * @example decodeSlotHeader(block, 3 * SLOT_BYTES)?.pulseId
 */
export function decodeSlotHeader(source: Uint8Array, offset: number): ModuleFrameHeader | undefined {
  if (source[offset] !== SLOT_MARKER) return undefined;
  const view = new DataView(source.buffer, source.byteOffset + offset, SLOT_HEADER_BYTES);
  return {
    pulseId: view.getBigUint64(1, true),
    frameIndex: view.getBigUint64(9, true),
    daqRec: view.getBigUint64(17, true),
    nRecvPackets: view.getBigUint64(25, true),
    moduleId: view.getBigUint64(33, true),
  };
}

/**
 * Classify a slot for the pulse it was read for. Any marker other than 0xBE
 * counts as missing (choice: only an unwritten hole or a torn write can
 * produce one, and either way the slot holds no usable frame).
 * @example slotStatus(decodeSlotHeader(block, 0), 1000n) // 'good' | 'bad-packets' | 'missing' | 'stale'
 */
export function slotStatus(header: ModuleFrameHeader | undefined, pulseId: bigint): ModuleStatus {
  if (!header) return 'missing';
  if (header.pulseId !== pulseId) return 'stale';
  return header.nRecvPackets === BigInt(PACKETS_PER_FRAME) ? 'good' : 'bad-packets';
}
