/**
 * The Jungfrau module as jungfrau.md §1 describes it: 512 x 1024 pixels, 2 x 4
 * chips of 256 x 256, two empty rows/columns between chips with gap pixels.
 */
export const CHIP_SIZE = 256;
export const CHIPS_Y = 2;
export const CHIPS_X = 4;
export const MODULE_ROWS = CHIP_SIZE * CHIPS_Y; // 512
export const MODULE_COLS = CHIP_SIZE * CHIPS_X; // 1024
export const MODULE_PIXELS = MODULE_ROWS * MODULE_COLS;
/** Empty rows (columns) inserted between two chips with gap_pixels. */
export const CHIP_GAP = 2;
export const MODULE_ROWS_GAPS = MODULE_ROWS + (CHIPS_Y - 1) * CHIP_GAP; // 514
export const MODULE_COLS_GAPS = MODULE_COLS + (CHIPS_X - 1) * CHIP_GAP; // 1030

/**
 * Bits of `pixel_mask` (int64) and of `meta/pixel_mask_reasons` (§3). Any bit
 * set in a pedestal file's pixel_mask masks the pixel.
 *
 * Bits 0..12 come from the pedestal run (sf_daq_broker create_pedestal_file):
 * 0 extra mask file, 1+g+4*hg wrong gain while forced to g (g in 0, 1, 3;
 * hg = high G0), 9+plane RMS ~ 0 (plane 0, 1, 2 for G0, G1, G2). 20..22 are
 * added to the reasons of a converted image only.
 */
export const MASK_BITS = {
  extraMask: 0,
  /** @example MASK_BITS.wrongGain(3, 0) // 4 */
  wrongGain: (forcedGain: number, highG0: number) => 1 + forcedGain + 4 * highG0,
  /** @example MASK_BITS.rmsZero(2) // 11 (plane 2 = G2) */
  rmsZero: (plane: number) => 9 + plane,
  /** Output pixel no module pixel lands on (gap pixels, empty canvas). */
  empty: 20,
  doublePixel: 21,
  moduleEdge: 22,
} as const;
