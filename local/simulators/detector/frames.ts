/**
 * The deterministic content of every simulated module frame, so tests and the
 * end-to-end check can predict each word the simulator writes.
 *
 * Header: frame_index = pulse_id + detector number * 1,000,000 (the same in
 * every module of a detector); daq_rec bit 19 (pulse picker open) on pulses
 * divisible by 4, bit 16 (laser on: a light shot) on even pulses, bit 17
 * (dark shot) on odd ones, as the facility reads them; during a pedestal run
 * also bits 12..13 = the forced gain (0, 1, 3) and bit 0 = high G0;
 * n_recv_packets 128; module_id = the module index.
 *
 * Pixels (calibration.ts gives each pixel its pedestal and gains):
 * - every pixel: its pedestal word in G0 (gain bits 00) plus noise; each row
 *   is copied from one of VARIANTS precomputed versions of the module, chosen
 *   per (pulse, module, row) (templates.ts), so a frame costs 512 row copies,
 *   not a computation per pixel; dead pixels show their pedestal word unchanged;
 * - photons (not during a pedestal run): HITS hits in row 0 and, in 'dense'
 *   mode, DENSE_HITS more in rows 1..511, whose energies make the pixel
 *   switch to G1 or G2 or saturate (0xC000); every 10th pulse one word with
 *   the invalid gain bits 10;
 * - during a pedestal run no photons: every pixel in the forced stage
 *   (template of that stage plus noise), except stuck pixels, which stay in G0;
 * - row 0, columns 0..3: the pulse id as four uint16 (least significant
 *   first), column 4 the module index, column 5 the detector number.
 * 'sparse' mode writes row 0 only (rows 1..511 read as zeros, the file holes),
 * except during a pedestal run: dark frames are written whole in either mode,
 * since a pedestal is computed from every pixel (`writesAllRows`).
 */
import { endianness } from 'node:os';
import { MODULE_COLS, MODULE_ROWS, parseDetectorName, PACKETS_PER_FRAME } from '../../../lib/adapters/buffers/detector/layout';
import type { ModuleFrameHeader } from '../../../lib/adapters/buffers/detector/slot';
import { gainValue, hash3, pedestalAdc } from './calibration';
import { pedestalGainAt, stageOfGain, type PedestalSchedule } from './pedestal-mode';
import { stageVariants, variantWord, VARIANTS } from './templates';

export type PixelMode = 'sparse' | 'dense';

export const HITS = 6;
/** Photon hits in rows 1..511 of a dense frame. */
export const DENSE_HITS = 200;
const ID_COLS = 6;
const PIXELS = MODULE_ROWS * MODULE_COLS;
const GAIN_BITS_OF_STAGE = [0, 1, 3] as const;

if (endianness() !== 'LE') throw new Error('the detector simulator writes little-endian pixels through typed arrays: it needs a little-endian host');

/**
 * Frame header the simulator writes for a module and pulse (before faults).
 * @example expectedFrameHeader('JF01T03V01', 2, 1004n) // { pulseId: 1004n, frameIndex: 1001004n, daqRec: 0x90000n, nRecvPackets: 128n, moduleId: 2n }
 */
export function expectedFrameHeader(detector: string, module: number, pulseId: bigint, pedestal?: PedestalSchedule): ModuleFrameHeader {
  const { number } = parseDetectorName(detector);
  const picker = pulseId % 4n === 0n ? 1n << 19n : 0n;
  const laser = pulseId % 2n === 0n ? 1n << 16n : 1n << 17n;
  const forced = pedestalGainAt(pedestal, pulseId);
  const gain = forced === undefined ? 0n : (BigInt(forced) << 12n) | (pedestal?.highG0 ? 1n : 0n);
  return {
    pulseId,
    frameIndex: pulseId + BigInt(number) * 1_000_000n,
    daqRec: picker | laser | gain,
    nRecvPackets: BigInt(PACKETS_PER_FRAME),
    moduleId: BigInt(module),
  };
}

/**
 * One pixel (uint16) of the frame the simulator writes.
 * @example expectedPixel('JF01T03V01', 0, 1000n, 0, 0) // 1000 (low 16 bits of the pulse id)
 */
export function expectedPixel(detector: string, module: number, pulseId: bigint, row: number, col: number, mode: PixelMode = 'sparse', pedestal?: PedestalSchedule): number {
  const number = parseDetectorName(detector).number;
  if (row === 0 && col < ID_COLS) return idWord(number, module, pulseId, col);
  if (!writesAllRows(mode, pulseId, pedestal) && row > 0) return 0;
  const i = row * MODULE_COLS + col;
  const forced = pedestalGainAt(pedestal, pulseId);
  if (forced === undefined) {
    let hit: number | undefined;
    for (const h of hitsOf(number, module, pulseId, mode === 'dense')) if (h.index === i) hit = h.word;
    if (hit !== undefined) return hit;
  }
  const stage = forced === undefined ? 0 : stageOfGain(forced);
  return variantWord(number, module, stage, variantOf(module, pulseId, row), i);
}

/**
 * Fill a whole module frame (512 x 1024 uint16) as the simulator writes it.
 * @example const px = new Uint16Array(512 * 1024); fillModulePixels('JF01T03V01', 0, 1000n, 'dense', px);
 */
export function fillModulePixels(detector: string, module: number, pulseId: bigint, mode: PixelMode, target: Uint16Array, pedestal?: PedestalSchedule): void {
  if (target.length !== PIXELS) throw new RangeError(`a module frame has ${PIXELS} pixels, got ${target.length}`);
  const all = writesAllRows(mode, pulseId, pedestal);
  if (!all) target.fill(0, MODULE_COLS);
  fillRows(parseDetectorName(detector).number, module, pulseId, all ? MODULE_ROWS : 1, target, pedestal);
}

/**
 * Whether a frame is written with all its rows: always in 'dense' mode; in
 * 'sparse' mode only the dark frames of a pedestal run (a pedestal needs every pixel).
 * @example writesAllRows('sparse', 1500n, manualPedestal(1000n)) // true
 */
export function writesAllRows(mode: PixelMode, pulseId: bigint, pedestal?: PedestalSchedule): boolean {
  return mode === 'dense' || pedestalGainAt(pedestal, pulseId) !== undefined;
}

/**
 * The first `rows` rows of a frame into `target` (rows = 1: sparse mode's row 0).
 * Cost: one add per pixel from two precomputed tables, then a few hundred hits.
 */
export function fillRows(detectorNumber: number, module: number, pulseId: bigint, rows: number, target: Uint16Array, pedestal?: PedestalSchedule): void {
  const n = rows * MODULE_COLS;
  const forced = pedestalGainAt(pedestal, pulseId);
  const versions = stageVariants(detectorNumber, module, forced === undefined ? 0 : stageOfGain(forced));
  const key = pulseKey(pulseId);
  const views = rowViews(versions);
  for (let r = 0; r < rows; r++) target.set(views[variantOfKey(key, module, r)]![r]!, r * MODULE_COLS);
  if (forced === undefined) for (const h of hitsOf(detectorNumber, module, pulseId, rows === MODULE_ROWS)) if (h.index < n) target[h.index] = h.word;
  for (let c = 0; c < ID_COLS; c++) target[c] = idWord(detectorNumber, module, pulseId, c);
}

function idWord(detectorNumber: number, module: number, pulseId: bigint, col: number): number {
  if (col < 4) return Number((pulseId >> BigInt(16 * col)) & 0xffffn);
  return col === 4 ? module : detectorNumber;
}

export interface Hit {
  /** Pixel index in the module (row * 1024 + col). */
  index: number;
  word: number;
  /** Deposited energy in keV (undefined for the invalid word). */
  keV?: number;
}

/**
 * The photon hits of a frame: HITS in row 0 (k = 0..5: a few photons, a G0
 * pile-up, G1, G2, every 5th pulse a saturation, every 10th an invalid word),
 * then, if `dense`, DENSE_HITS in rows 1..511. A later hit on the same pixel wins.
 * @example hitsOf(1, 0, 1000n, false).length // 6
 */
export function hitsOf(detectorNumber: number, module: number, pulseId: bigint, dense: boolean): Hit[] {
  const hits: Hit[] = [];
  for (let k = 0; k < HITS; k++) {
    const h = mix(pulseId, module, k);
    const index = ID_COLS + (h % (MODULE_COLS - ID_COLS));
    const r = h >>> 8;
    let keV: number;
    switch (k) {
      case 0: keV = 12 * (1 + (r % 3)); break;
      case 1: keV = 100 + (r % 200); break;
      case 2: keV = 500 + (r % 7500); break;
      case 3: keV = 10_000 + (r % 90_000); break;
      case 4: keV = pulseId % 5n === 0n ? 1e6 : 12; break;
      default:
        if (pulseId % 10n === 0n) {
          hits.push({ index, word: (0b10 << 14) | (r & 0x3fff) });
          continue;
        }
        keV = 24;
    }
    hits.push({ index, word: photonWord(detectorNumber, module, index, keV), keV });
  }
  if (!dense) return hits;
  for (let k = 0; k < DENSE_HITS; k++) {
    const h = mix(pulseId, module, 100 + k);
    const index = MODULE_COLS + (h % (PIXELS - MODULE_COLS));
    const r = hash3(h, k, 3);
    const kind = r % 100;
    if (k === 0 && pulseId % 10n === 0n) {
      hits.push({ index, word: (0b10 << 14) | ((r >>> 8) & 0x3fff) });
      continue;
    }
    const keV = kind < 60 ? 12 * (1 + ((r >>> 8) % 5)) : kind < 85 ? 100 + ((r >>> 8) % 200) : kind < 95 ? 500 + ((r >>> 8) % 7500) : kind < 99 ? 10_000 + ((r >>> 8) % 90_000) : 1e6;
    hits.push({ index, word: photonWord(detectorNumber, module, index, keV), keV });
  }
  return hits;
}

/**
 * The word a pixel gives for `keV` deposited: G0 while its ADC stays at or
 * below 15500, else G1 while at or above 500, else G2 while above 0, else
 * saturated (0xC000). ADC = pedestal + keV * gain of the stage (gains of G1 and G2 are negative).
 * @example photonWord(1, 0, 5000, 12) // G0 word, ADC ~ pedestal + 480
 */
export function photonWord(detectorNumber: number, module: number, pixel: number, keV: number): number {
  for (let stage = 0; stage < 3; stage++) {
    const adc = Math.round(pedestalAdc(detectorNumber, module, stage, pixel) + keV * gainValue(detectorNumber, module, stage, pixel));
    const fits = stage === 0 ? adc <= 15500 : stage === 1 ? adc >= 500 : adc >= 1;
    if (fits) return (GAIN_BITS_OF_STAGE[stage]! << 14) | adc;
  }
  return 0xc000;
}

/** The version a row of a frame is copied from. */
function variantOf(module: number, pulseId: bigint, row: number): number {
  return variantOfKey(pulseKey(pulseId), module, row);
}

const views = new WeakMap<Uint16Array[], Uint16Array[][]>();

/** Per version its rows as views, made once (a view per row per frame would allocate 512 objects a frame). */
function rowViews(versions: Uint16Array[]): Uint16Array[][] {
  let v = views.get(versions);
  if (!v) {
    v = versions.map((a) => Array.from({ length: MODULE_ROWS }, (_, r) => a.subarray(r * MODULE_COLS, (r + 1) * MODULE_COLS)));
    views.set(versions, v);
  }
  return v;
}

/** The pulse id folded to 32 bits once per frame (BigInt arithmetic is slow per row). */
function pulseKey(pulseId: bigint): number {
  return Number(BigInt.asUintN(32, pulseId ^ (pulseId >> 32n)));
}

function variantOfKey(key: number, module: number, row: number): number {
  return hash3(key, module, 0x1000 + row) % VARIANTS;
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
