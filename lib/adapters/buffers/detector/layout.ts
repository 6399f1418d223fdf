/**
 * The on-disk layout of the Jungfrau detector buffer (PSI's sf_daq_buffer),
 * as buffers.md describes it. Everything here is pure path and offset math.
 *
 *   <root>/<DET>/M<ii>/<pulse_id // 100000 * 100000>/<pulse_id // 1000 * 1000>.bin
 *
 * A file holds 1000 slots, slot index = pulse_id % 1000; a slot is the 0xBE
 * marker, five uint64 LE (pulse_id, frame_index, daq_rec, n_recv_packets,
 * module_id), then 512 x 1024 uint16 pixels.
 */
import path from 'node:path';

export const SLOT_MARKER = 0xbe;
export const HEADER_FIELDS = 5;
/** marker + 5 x uint64 */
export const SLOT_HEADER_BYTES = 1 + HEADER_FIELDS * 8;
export const MODULE_ROWS = 512;
export const MODULE_COLS = 1024;
export const MODULE_PIXEL_BYTES = MODULE_ROWS * MODULE_COLS * 2; // 1,048,576
export const SLOT_BYTES = SLOT_HEADER_BYTES + MODULE_PIXEL_BYTES; // 1,048,617
export const SLOTS_PER_FILE = 1000;
/** The writer pre-sizes a file with one 0xFF byte at the end of the last slot. */
export const PRESIZE_BYTE = 0xff;
export const FILE_BYTES = SLOTS_PER_FILE * SLOT_BYTES + 1; // 1,048,617,001
export const PULSES_PER_FOLDER = 100_000;
/** The facility's reader reads whole blocks of this many slots. */
export const BLOCK_SLOTS = 100;
/** A module frame is good when all of its UDP packets arrived. */
export const PACKETS_PER_FRAME = 128;

const FILE_SPAN = BigInt(SLOTS_PER_FILE);
const FOLDER_SPAN = BigInt(PULSES_PER_FOLDER);

/**
 * First pulse id of the file that holds a pulse.
 * @example fileStartPulseId(18_940_426_916n) // 18_940_426_000n
 */
export function fileStartPulseId(pulseId: bigint): bigint {
  return (pulseId / FILE_SPAN) * FILE_SPAN;
}

/**
 * First pulse id of the folder that holds a pulse's file.
 * @example folderStartPulseId(18_940_426_916n) // 18_940_400_000n
 */
export function folderStartPulseId(pulseId: bigint): bigint {
  return (pulseId / FOLDER_SPAN) * FOLDER_SPAN;
}

/**
 * Slot of a pulse inside its file.
 * @example slotIndex(18_940_426_916n) // 916
 */
export function slotIndex(pulseId: bigint): number {
  return Number(pulseId % FILE_SPAN);
}

/**
 * Byte offset of a slot in its file (below 2^53, so a plain number).
 * @example slotOffset(2) // 2_097_234
 */
export function slotOffset(slot: number): number {
  return slot * SLOT_BYTES;
}

/**
 * Folder name of a module: `M` and two digits (the module's place in the image).
 * @example moduleFolderName(3) // 'M03'
 */
export function moduleFolderName(module: number): string {
  if (!Number.isInteger(module) || module < 0 || module > 99) throw new RangeError(`module index out of range: ${module}`);
  return `M${String(module).padStart(2, '0')}`;
}

/** @example moduleDir('/buf', 'JF01T03V01', 0) // '/buf/JF01T03V01/M00' */
export function moduleDir(root: string, detector: string, module: number): string {
  return path.join(root, detector, moduleFolderName(module));
}

/**
 * Path of the file that holds a pulse for one module.
 * @example bufferFilePath('/buf', 'JF01T03V01', 1, 18_940_426_916n)
 *   // '/buf/JF01T03V01/M01/18940400000/18940426000.bin'
 */
export function bufferFilePath(root: string, detector: string, module: number, pulseId: bigint): string {
  return path.join(moduleDir(root, detector, module), String(folderStartPulseId(pulseId)), `${fileStartPulseId(pulseId)}.bin`);
}

/** @example latestFilePath('/buf', 'JF01T03V01', 0) // '/buf/JF01T03V01/M00/LATEST' */
export function latestFilePath(root: string, detector: string, module: number): string {
  return path.join(moduleDir(root, detector, module), 'LATEST');
}

export interface DetectorName {
  /** xx of JFxxTyyVzz */
  number: number;
  /** yy: how many modules (one folder M00.. each) */
  modules: number;
  /** zz */
  version: number;
}

const DETECTOR_NAME = /^JF(\d{2})T(\d{2})V(\d{2})$/;

/**
 * Parse a Jungfrau detector name `JFxxTyyVzz`.
 * @example parseDetectorName('JF01T03V01') // { number: 1, modules: 3, version: 1 }
 */
export function parseDetectorName(name: string): DetectorName {
  const m = DETECTOR_NAME.exec(name);
  if (!m) {
    throw new RangeError(
      `not a Jungfrau detector name: ${JSON.stringify(name)} (expected JFxxTyyVzz, e.g. JF01T03V01: detector 1, 3 modules, version 1)`,
    );
  }
  const modules = Number(m[2]);
  if (modules < 1) throw new RangeError(`detector ${name} has no modules (T00)`);
  return { number: Number(m[1]), modules, version: Number(m[3]) };
}
