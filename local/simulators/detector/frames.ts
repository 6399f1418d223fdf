/**
 * The deterministic content of every simulated module frame, so tests and the
 * end-to-end check can predict each byte the simulator writes.
 *
 * Header: frame_index = pulse_id + detector number * 1,000,000 (a counter that
 * steps by one per pulse, the same in every module of a detector, different
 * between detectors); daq_rec bit 19 (pulse picker open) on pulses divisible by
 * 4, bit 17 (laser light) on even pulses, bit 16 (laser dark) on odd ones;
 * n_recv_packets 128; module_id = the module index.
 *
 * Pixels, row 0 (both modes): cols 0..3 the pulse id as four uint16 (least
 * significant first), col 4 the module index, col 5 the detector number, and
 * HITS "photon hits" (14-bit values, gain bits 0) at columns derived from pulse
 * id and module (a later hit wins a shared column).
 * Rows 1..511: zeros in 'sparse' mode; in 'dense' mode a precomputed table of
 * 14-bit ADC noise with gain bits, rotated by a per-(pulse, module) offset.
 * Row 0 keeps the table's values outside the encoded columns in dense mode.
 */
import { endianness } from 'node:os';
import { MODULE_COLS, MODULE_ROWS, parseDetectorName, PACKETS_PER_FRAME } from '../../../lib/adapters/buffers/detector/layout';
import type { ModuleFrameHeader } from '../../../lib/adapters/buffers/detector/slot';

export type PixelMode = 'sparse' | 'dense';

export const HITS = 6;
const ID_COLS = 6;
const PIXELS = MODULE_ROWS * MODULE_COLS;
/** Longer than a frame and odd, so rotations give many distinct frames. */
const TABLE_LENGTH = PIXELS + 7919;

if (endianness() !== 'LE') throw new Error('the detector simulator writes little-endian pixels through typed arrays: it needs a little-endian host');

/**
 * Frame header the simulator writes for a module and pulse (before faults).
 * @example expectedFrameHeader('JF01T03V01', 2, 1004n) // { pulseId: 1004n, frameIndex: 1001004n, daqRec: 0xa0000n, nRecvPackets: 128n, moduleId: 2n }
 */
export function expectedFrameHeader(detector: string, module: number, pulseId: bigint): ModuleFrameHeader {
  const { number } = parseDetectorName(detector);
  const picker = pulseId % 4n === 0n ? 1n << 19n : 0n;
  const laser = pulseId % 2n === 0n ? 1n << 17n : 1n << 16n;
  return {
    pulseId,
    frameIndex: pulseId + BigInt(number) * 1_000_000n,
    daqRec: picker | laser,
    nRecvPackets: BigInt(PACKETS_PER_FRAME),
    moduleId: BigInt(module),
  };
}

/**
 * One pixel (uint16) of the frame the simulator writes.
 * @example expectedPixel('JF01T03V01', 0, 1000n, 0, 0) // 1000 (low 16 bits of the pulse id)
 */
export function expectedPixel(detector: string, module: number, pulseId: bigint, row: number, col: number, mode: PixelMode = 'sparse'): number {
  if (row === 0) {
    const encoded = row0Value(parseDetectorName(detector).number, module, pulseId, col);
    if (encoded !== undefined) return encoded;
  }
  return mode === 'sparse' ? 0 : noiseTable()[(row * MODULE_COLS + col + rotation(module, pulseId)) % TABLE_LENGTH]!;
}

/**
 * Fill a whole module frame (512 x 1024 uint16) as the simulator writes it.
 * @example const px = new Uint16Array(512 * 1024); fillModulePixels('JF01T03V01', 0, 1000n, 'dense', px);
 */
export function fillModulePixels(detector: string, module: number, pulseId: bigint, mode: PixelMode, target: Uint16Array): void {
  if (target.length !== PIXELS) throw new RangeError(`a module frame has ${PIXELS} pixels, got ${target.length}`);
  if (mode === 'sparse') target.fill(0);
  else {
    const table = noiseTable();
    const rot = rotation(module, pulseId);
    const head = Math.min(PIXELS, TABLE_LENGTH - rot);
    target.set(table.subarray(rot, rot + head), 0);
    if (head < PIXELS) target.set(table.subarray(0, PIXELS - head), head);
  }
  writeRow0(parseDetectorName(detector).number, module, pulseId, target);
}

/** Row 0's encoded pixels (id columns and hits) into `row`, leaving the other columns as they are. */
export function writeRow0(detectorNumber: number, module: number, pulseId: bigint, row: Uint16Array): void {
  for (let w = 0; w < 4; w++) row[w] = Number((pulseId >> BigInt(16 * w)) & 0xffffn);
  row[4] = module;
  row[5] = detectorNumber;
  for (let k = 0; k < HITS; k++) {
    const h = mix(pulseId, module, k);
    row[hitColumn(h)] = hitValue(h);
  }
}

function row0Value(detectorNumber: number, module: number, pulseId: bigint, col: number): number | undefined {
  if (col < 4) return Number((pulseId >> BigInt(16 * col)) & 0xffffn);
  if (col === 4) return module;
  if (col === 5) return detectorNumber;
  let value: number | undefined;
  for (let k = 0; k < HITS; k++) {
    const h = mix(pulseId, module, k);
    if (hitColumn(h) === col) value = hitValue(h);
  }
  return value;
}

const hitColumn = (h: number) => ID_COLS + (h % (MODULE_COLS - ID_COLS));
/** A photon of a few keV: ADC 1000..12999 in gain stage 0. */
const hitValue = (h: number) => 1000 + ((h >>> 10) % 12000);

function rotation(module: number, pulseId: bigint): number {
  return mix(pulseId, module, 0x55) % TABLE_LENGTH;
}

/** A cheap integer hash (murmur3 finalizer) of pulse id, module and a salt. */
function mix(pulseId: bigint, module: number, salt: number): number {
  const lo = Number(pulseId & 0xffffffffn);
  const hi = Number((pulseId >> 32n) & 0xffffffffn);
  let h = Math.imul(lo ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(hi + module * 0x27d4eb2f + salt * 0x165667b1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

let table: Uint16Array | undefined;

/**
 * Dense mode's noise: per pixel a pedestal of 1000..3000 ADC plus noise of a
 * few counts, mostly gain stage 0, ~1% stage 1 (0b01 << 14), ~0.1% stage 3.
 * Built once (1 MiB) from a fixed seed.
 */
function noiseTable(): Uint16Array {
  if (table) return table;
  table = new Uint16Array(TABLE_LENGTH);
  let seed = 0x2f6b1d3;
  const next = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < TABLE_LENGTH; i++) {
    const adc = Math.min(0x3fff, Math.round(1000 + 2000 * next() + (next() + next() + next() - 1.5) * 8));
    const g = next();
    const gain = g < 0.001 ? 3 : g < 0.011 ? 1 : 0;
    table[i] = (gain << 14) | adc;
  }
  return table;
}
