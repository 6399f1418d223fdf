/**
 * A deliberately naive reference of jungfrau.md §2 for the tests: module
 * images as row arrays, numpy's rot90 as repeated quarter turns, the canvas
 * filled module by module, then turned. Slow, obvious, independent of the
 * affine maps in lib/core/jungfrau/geometry.ts.
 */
import { GEOMETRY_TABLE } from '../../../../lib/core/jungfrau/geometry-table';

export type Grid = number[][];

/** numpy.rot90(m, 1): counter-clockwise, out[i][j] = m[j][w-1-i]. */
export function rot90Once(m: Grid): Grid {
  const h = m.length;
  const w = m[0]!.length;
  return Array.from({ length: w }, (_, i) => Array.from({ length: h }, (_, j) => m[j]![w - 1 - i]!));
}

export function rot90(m: Grid, k: number): Grid {
  let r = m;
  for (let i = 0; i < ((k % 4) + 4) % 4; i++) r = rot90Once(r);
  return r;
}

/** A module image (512 x 1024, or 514 x 1030 with gaps: raw (y, x) -> (y + 2*floor(y/256), x + 2*floor(x/256))) of pixel ids. */
export function moduleIds(module: number, gaps: boolean, fill = -1): Grid {
  const h = gaps ? 514 : 512;
  const w = gaps ? 1030 : 1024;
  const g: Grid = Array.from({ length: h }, () => new Array<number>(w).fill(fill));
  for (let y = 0; y < 512; y++) {
    for (let x = 0; x < 1024; x++) {
      const gy = gaps ? y + 2 * Math.floor(y / 256) : y;
      const gx = gaps ? x + 2 * Math.floor(x / 256) : x;
      g[gy]![gx] = module * 512 * 1024 + y * 1024 + x;
    }
  }
  return g;
}

/**
 * The output image of raw pixel ids (module * 524288 + y * 1024 + x), -1 where empty,
 * for a detector of the table with the geometry applied.
 */
export function referenceImage(detector: string, enabled: number[], gaps: boolean): Grid {
  const g = GEOMETRY_TABLE[detector]!;
  const h = gaps ? 514 : 512;
  const w = gaps ? 1030 : 1024;
  const rots = g.modRot90 ?? g.originY.map(() => 0);
  const tops = g.originY.map((oy, i) => {
    const ox = g.originX[i]!;
    switch (rots[i]! % 4) {
      case 1: return [oy - w, ox];
      case 2: return [oy - h, ox - w];
      case 3: return [oy, ox - h];
      default: return [oy, ox];
    }
  });
  let H = 0;
  let W = 0;
  tops.forEach(([t, l], i) => {
    const odd = rots[i]! % 2 === 1;
    H = Math.max(H, t! + (odd ? w : h));
    W = Math.max(W, l! + (odd ? h : w));
  });
  const canvas: Grid = Array.from({ length: H }, () => new Array<number>(W).fill(-1));
  for (const m of enabled) {
    const img = rot90(moduleIds(m, gaps), rots[m]!);
    const [t, l] = tops[m]!;
    img.forEach((row, y) => row.forEach((v, x) => (canvas[t! + y]![l! + x] = v)));
  }
  return rot90(canvas, g.detRot90 ?? 0);
}
