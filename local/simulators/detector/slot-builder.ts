/**
 * Builds the bytes of one simulated slot into reused buffers: the 41-byte
 * head, then in 'sparse' mode only row 0 (the rest of the pre-sized file stays
 * a hole that reads as zeros), in 'dense' mode, and for a pedestal run's dark
 * frames in either mode, all 512 rows.
 */
import { MODULE_COLS, MODULE_ROWS, parseDetectorName, SLOT_HEADER_BYTES } from '../../../lib/adapters/buffers/detector/layout';
import { encodeSlotHeader } from '../../../lib/adapters/buffers/detector/slot';
import type { SlotPlan } from './faults';
import { expectedFrameHeader, fillRows, writesAllRows, type PixelMode } from './frames';
import type { PedestalSchedule } from './pedestal-mode';

export class SlotBuilder {
  private readonly head = new Uint8Array(SLOT_HEADER_BYTES);
  private readonly pixels: Uint16Array;

  constructor(readonly mode: PixelMode) {
    // Full size in either mode: a pedestal run's dark frames are whole even in 'sparse' mode.
    this.pixels = new Uint16Array(MODULE_ROWS * MODULE_COLS);
  }

  /**
   * The pieces to write at the slot's offset; valid until the next call.
   * @example writer.writeSlot(p, builder.build('JF01T03V01', 0, { kind: 'frame', framePulseId: p }))
   */
  build(detector: string, module: number, plan: Extract<SlotPlan, { kind: 'frame' }>, pedestal?: PedestalSchedule): Uint8Array[] {
    const header = expectedFrameHeader(detector, module, plan.framePulseId, pedestal);
    if (plan.nRecvPackets !== undefined) header.nRecvPackets = plan.nRecvPackets;
    encodeSlotHeader(this.head, 0, header);
    const rows = writesAllRows(this.mode, plan.framePulseId, pedestal) ? MODULE_ROWS : 1;
    fillRows(parseDetectorName(detector).number, module, plan.framePulseId, rows, this.pixels, pedestal);
    return [this.head, new Uint8Array(this.pixels.buffer, this.pixels.byteOffset, rows * MODULE_COLS * 2)];
  }
}
