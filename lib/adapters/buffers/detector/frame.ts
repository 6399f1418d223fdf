/**
 * Assemble one detector frame from the modules' block buffers, with our frame
 * logic (buffers.md, "Ours"): the requested pulse id on every frame, good only
 * when every enabled module holds that pulse with 128 packets, frame_index and
 * daq_rec from the first good module, missing or stale modules zero-filled.
 */
import { MODULE_PIXEL_BYTES, SLOT_BYTES, SLOT_HEADER_BYTES } from './layout';
import type { ModuleCursor } from './module-cursor';
import { decodeSlotHeader, slotStatus, type ModuleFrameHeader, type ModuleStatus } from './slot';

export interface DetectorModuleFrame {
  /** The module's folder index (M<ii>), which fixes its place in the image. */
  index: number;
  status: ModuleStatus;
  /** The slot's header; absent when the slot is missing. A stale slot's header names the pulse it really holds. */
  header?: ModuleFrameHeader;
}

export interface DetectorFrame {
  /** The requested pulse id (never the one a stale slot holds). */
  pulseId: bigint;
  /** The enabled modules, in folder order. */
  modules: DetectorModuleFrame[];
  /** (enabledModules * 512) x 1024 uint16 little-endian, module k in rows k*512..(k+1)*512; missing/stale modules are zeros. */
  pixels: Uint8Array;
  /** Every enabled module holds this pulse with all 128 packets. */
  isGoodFrame: boolean;
  /** From the first good module, else 0. */
  frameIndex: bigint;
  /** From the first good module, else 0. */
  daqRec: bigint;
}

/**
 * @example assembleFrame(1005n, batch.places[i], cursors, Buffer.alloc(cursors.length * MODULE_PIXEL_BYTES))
 */
export function assembleFrame(pulseId: bigint, place: number, cursors: readonly ModuleCursor[], pixels: Uint8Array): DetectorFrame {
  const at = place * SLOT_BYTES;
  const modules: DetectorModuleFrame[] = [];
  let firstGood: ModuleFrameHeader | undefined;
  let isGoodFrame = true;
  cursors.forEach((cursor, k) => {
    const header = decodeSlotHeader(cursor.block, at);
    const status = slotStatus(header, pulseId);
    const to = k * MODULE_PIXEL_BYTES;
    if (status === 'good' || status === 'bad-packets') {
      // A frame with lost packets keeps what arrived, as the facility's writer does.
      pixels.set(cursor.block.subarray(at + SLOT_HEADER_BYTES, at + SLOT_BYTES), to);
    } else {
      pixels.fill(0, to, to + MODULE_PIXEL_BYTES);
    }
    if (status === 'good') firstGood ??= header;
    else isGoodFrame = false;
    modules.push(header ? { index: cursor.module, status, header } : { index: cursor.module, status });
  });
  return {
    pulseId,
    modules,
    pixels,
    isGoodFrame,
    frameIndex: firstGood?.frameIndex ?? 0n,
    daqRec: firstGood?.daqRec ?? 0n,
  };
}
