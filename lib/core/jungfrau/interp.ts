/**
 * double_pixels "interp" (jungfrau.md §4): in a module image with gap pixels
 * (514 x 1030), before rotation, from the values before interpolation:
 *
 * - a chip-corner pixel puts value/4 into the 2 x 2 block it forms with its
 *   gap pixels;
 * - another double pixel with value v, its outer neighbour a (one pixel away
 *   from the gap) and the facing double pixel c (across the gap) keeps
 *   v*(4a+c)/(6a+3c) and gives v minus that to its adjacent gap pixel; when
 *   6a+3c = 0 both get v/2.
 *
 * Arithmetic as jungfrau_utils' numba code: ratios in float64, stores in float32.
 */
import { CHIP_SIZE, MODULE_COLS, MODULE_COLS_GAPS, MODULE_ROWS, MODULE_ROWS_GAPS } from './constants';
import { withGaps } from './geometry';

const H = MODULE_ROWS_GAPS;
const W = MODULE_COLS_GAPS;
/** Double rows / columns in the module image with gaps: the last of a chip and the first of the next. */
const ROW_PAIRS = borders(MODULE_ROWS); // [[255, 258]]
const COL_PAIRS = borders(MODULE_COLS); // [[255, 258], [513, 516], [771, 774]]

function borders(n: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let c = CHIP_SIZE; c < n; c += CHIP_SIZE) pairs.push([withGaps(c - 1), withGaps(c)]);
  return pairs;
}

/**
 * Interpolate the double pixels of one module image (514 x 1030 float32 at `base`) in place.
 * @example const m = new Float32Array(514 * 1030); m[255 * 1030 + 255] = 8; interpolateDoublePixels(m, 0); m[256 * 1030 + 256] // 2
 */
export function interpolateDoublePixels(m: Float32Array, base: number): void {
  // Chip corners: value / 4 into the block with its gap pixels.
  for (const [ry0, ry1] of ROW_PAIRS) {
    for (const [cx0, cx1] of COL_PAIRS) {
      for (const [y, dy] of [[ry0, 1], [ry1, -1]] as const) {
        for (const [x, dx] of [[cx0, 1], [cx1, -1]] as const) {
          const v = m[base + y * W + x]! / 4;
          m[base + y * W + x] = v;
          m[base + (y + dy) * W + x] = v;
          m[base + y * W + x + dx] = v;
          m[base + (y + dy) * W + x + dx] = v;
        }
      }
    }
  }
  // Double rows, every column but the corner blocks.
  for (const [r0, r1] of ROW_PAIRS) {
    for (let x = 0; x < W; x++) {
      if (COL_PAIRS.some(([c0, c1]) => x >= c0 && x <= c1)) continue;
      share(m, base, r0 * W + x, W, base + (r0 - 1) * W + x, r1 * W + x, -W, base + (r1 + 1) * W + x);
    }
  }
  // Double columns, every row but the corner blocks.
  for (const [c0, c1] of COL_PAIRS) {
    for (let y = 0; y < H; y++) {
      if (ROW_PAIRS.some(([r0, r1]) => y >= r0 && y <= r1)) continue;
      share(m, base, y * W + c0, 1, base + y * W + c0 - 1, y * W + c1, -1, base + y * W + c1 + 1);
    }
  }
}

/**
 * The pair of double pixels p (gap side +step) and q (gap side qStep) facing
 * each other across a gap, with their outer neighbours.
 */
function share(m: Float32Array, base: number, p: number, pStep: number, pOuter: number, q: number, qStep: number, qOuter: number): void {
  const v1 = m[pOuter]!;
  const v2 = m[base + p]!;
  const v3 = m[base + q]!;
  const v4 = m[qOuter]!;
  split(m, base + p, base + p + pStep, v2, v1, v3);
  split(m, base + q, base + q + qStep, v3, v4, v2);
}

function split(m: Float32Array, at: number, gap: number, v: number, outer: number, facing: number): void {
  const div = 6 * outer + 3 * facing;
  if (div === 0) {
    m[at] = v / 2;
    m[gap] = v / 2;
    return;
  }
  m[at] = v * ((4 * outer + facing) / div);
  m[gap] = v - m[at]!;
}

