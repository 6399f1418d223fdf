/**
 * Which pixels are bad and why (jungfrau.md §1, §3, §4): the pedestal file's
 * pixel_mask bits, double pixels, module edges, and the empty pixels of the
 * output image. Reasons are bit sets (MASK_BITS); a pixel is good when its
 * reasons are 0.
 */
import { CHIP_GAP, CHIP_SIZE, MASK_BITS, MODULE_COLS, MODULE_COLS_GAPS, MODULE_ROWS, MODULE_ROWS_GAPS } from './constants';
import { withGaps } from './geometry';

export type DoublePixels = 'keep' | 'mask' | 'interp';
export type EdgePixels = 'keep' | 'mask';

const EMPTY = (1 << MASK_BITS.empty) >>> 0;
const DOUBLE = (1 << MASK_BITS.doublePixel) >>> 0;
const EDGE = (1 << MASK_BITS.moduleEdge) >>> 0;

/** Rows 255, 256 of a module (chip border). @example isDoubleRow(256) // true */
export const isDoubleRow = (y: number): boolean => y % CHIP_SIZE === CHIP_SIZE - 1 ? y < MODULE_ROWS - 1 : y % CHIP_SIZE === 0 && y > 0;
/** Columns 255, 256, 511, 512, 767, 768. @example isDoubleCol(767) // true */
export const isDoubleCol = (x: number): boolean => x % CHIP_SIZE === CHIP_SIZE - 1 ? x < MODULE_COLS - 1 : x % CHIP_SIZE === 0 && x > 0;
/** A physically double (chip-corner: quadruple) pixel. @example isDoublePixel(255, 10) // true */
export const isDoublePixel = (y: number, x: number): boolean => isDoubleRow(y) || isDoubleCol(x);
/** Rows 0, 511 and columns 0, 1023. @example isModuleEdge(0, 500) // true */
export const isModuleEdge = (y: number, x: number): boolean => y === 0 || y === MODULE_ROWS - 1 || x === 0 || x === MODULE_COLS - 1;

export interface MaskRules {
  doublePixels: DoublePixels;
  moduleEdgePixels: EdgePixels;
}

/**
 * Reasons of one module's raw pixel: the file's bits, plus double pixel (21)
 * when double pixels are masked, module edge (22) when edges are masked.
 * @example rawReasons(0, 255, 3, { doublePixels: 'mask', moduleEdgePixels: 'keep' }) // 1 << 21
 */
export function rawReasons(fileBits: number, y: number, x: number, rules: MaskRules): number {
  let r = fileBits >>> 0;
  if (rules.doublePixels === 'mask' && isDoublePixel(y, x)) r |= DOUBLE;
  if (rules.moduleEdgePixels === 'mask' && isModuleEdge(y, x)) r |= EDGE;
  return r >>> 0;
}

/**
 * A module image's reasons (512 x 1024, or 514 x 1030 with gaps): gap pixels
 * are empty (bit 20), except with interpolated double pixels, where a gap
 * pixel takes its two neighbours' reasons (rows first, then columns, as
 * jungfrau_utils marks them valid only when both neighbours are).
 *
 * @example moduleReasons(fileBits, 0, { doublePixels: 'keep', moduleEdgePixels: 'keep' }, true)[256 * 1030] // 1 << 20
 */
export function moduleReasons(fileBits: Uint32Array | undefined, moduleOffset: number, rules: MaskRules, gapPixels: boolean): Uint32Array {
  const h = gapPixels ? MODULE_ROWS_GAPS : MODULE_ROWS;
  const w = gapPixels ? MODULE_COLS_GAPS : MODULE_COLS;
  const out = new Uint32Array(h * w);
  if (gapPixels) out.fill(EMPTY);
  for (let y = 0; y < MODULE_ROWS; y++) {
    const row = (gapPixels ? withGaps(y) : y) * w;
    for (let x = 0; x < MODULE_COLS; x++) {
      const bits = fileBits ? fileBits[moduleOffset + y * MODULE_COLS + x]! : 0;
      out[row + (gapPixels ? withGaps(x) : x)] = rawReasons(bits, y, x, rules);
    }
  }
  if (gapPixels && rules.doublePixels === 'interp') {
    for (let c = CHIP_SIZE; c < MODULE_ROWS; c += CHIP_SIZE) {
      const gy = withGaps(c) - CHIP_GAP; // first gap row
      for (let x = 0; x < w; x++) {
        const v = (out[(gy - 1) * w + x]! | out[(gy + CHIP_GAP) * w + x]!) >>> 0;
        for (let k = 0; k < CHIP_GAP; k++) out[(gy + k) * w + x] = v;
      }
    }
    for (let c = CHIP_SIZE; c < MODULE_COLS; c += CHIP_SIZE) {
      const gx = withGaps(c) - CHIP_GAP;
      for (let y = 0; y < h; y++) {
        const v = (out[y * w + gx - 1]! | out[y * w + gx + CHIP_GAP]!) >>> 0;
        for (let k = 0; k < CHIP_GAP; k++) out[y * w + gx + k] = v;
      }
    }
  }
  return out;
}

export { EMPTY as EMPTY_REASON, DOUBLE as DOUBLE_PIXEL_REASON, EDGE as MODULE_EDGE_REASON };
