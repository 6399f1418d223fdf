/**
 * Where each module pixel lands in the output image (jungfrau.md §2).
 *
 * A module image (512 x 1024, or 514 x 1030 with gap pixels) is rotated by
 * `rot90(module, k)` (counter-clockwise) and placed on a canvas with its
 * top-left corner at (oy, ox) for k = 0, (oy - w, ox) for 1, (oy - h, ox - w)
 * for 2, (oy, ox - h) for 3; the canvas spans every module of the table
 * (disabled ones keep their place), then turns by `rot90(canvas, detRot90)`.
 * Without geometry the enabled modules are stacked vertically.
 *
 * Every step is a quarter-turn or a shift, so a module's map is affine: output
 * index = offset + y * strideY + x * strideX, for (y, x) in the module image.
 */
import { CHIP_GAP, CHIP_SIZE, MODULE_COLS, MODULE_COLS_GAPS, MODULE_ROWS, MODULE_ROWS_GAPS } from './constants';
import { parseJungfrauName, withoutVersion } from './detector-name';
import { GEOMETRY_TABLE, UNSUPPORTED_GEOMETRY } from './geometry-table';

export interface DetectorGeometry {
  detector: string;
  /** The table key it was found under (full name or name without version). */
  key: string;
  modules: number;
  originY: readonly number[];
  originX: readonly number[];
  modRot90: readonly number[];
  detRot90: number;
}

export type GeometryLookup = { ok: true; geometry: DetectorGeometry } | { ok: false; reason: string };

/**
 * The detector's geometry: by full name, else by the name without `V..`.
 *
 * @example lookupGeometry('JF07T32V01') // { ok: true, geometry: { key: 'JF07T32V01', modules: 32, detRot90: 0, ... } }
 * @example lookupGeometry('JF05T01V01') // { ok: false, reason: 'JF05T01V01 cannot be converted here: it is a stripsel detector' }
 */
export function lookupGeometry(detector: string): GeometryLookup {
  const name = parseJungfrauName(detector);
  if (!name) return { ok: false, reason: `${JSON.stringify(detector)} is not a Jungfrau name JFxxTyyVzz` };
  for (const key of [detector, withoutVersion(detector)]) {
    const unsupported = UNSUPPORTED_GEOMETRY[key];
    if (unsupported) return { ok: false, reason: `${detector} cannot be converted here: ${unsupported}` };
    const entry = GEOMETRY_TABLE[key];
    if (!entry) continue;
    if (entry.originY.length !== name.modules) {
      return { ok: false, reason: `the geometry of ${key} has ${entry.originY.length} modules, the name ${detector} says ${name.modules}` };
    }
    return {
      ok: true,
      geometry: {
        detector,
        key,
        modules: name.modules,
        originY: entry.originY,
        originX: entry.originX,
        modRot90: entry.modRot90 ?? entry.originY.map(() => 0),
        detRot90: entry.detRot90 ?? 0,
      },
    };
  }
  return { ok: false, reason: `${detector} has no geometry in the jungfrau_utils table (known: ${Object.keys(GEOMETRY_TABLE).join(', ')})` };
}

/** One enabled module's affine map from its image (h x w) to the output. */
export interface ModulePlacement {
  /** Detector module index (folder M<ii>). */
  module: number;
  offset: number;
  strideY: number;
  strideX: number;
}

export interface ImageLayout {
  /** Output image [rows, cols]. */
  shape: [number, number];
  /** The module image: 512 x 1024, or 514 x 1030 with gap pixels. */
  moduleShape: [number, number];
  placements: ModulePlacement[];
}

export interface LayoutOptions {
  /** Modules present in the output, in detector order. */
  enabledModules: readonly number[];
  gapPixels: boolean;
  /** Apply the table's geometry (needs `geometry`). */
  geometry: boolean;
}

/**
 * @example
 *   imageLayout(JF01T03, { enabledModules: [0, 1, 2], gapPixels: true, geometry: true }).shape // [1614, 1030]
 *   imageLayout(undefined, { enabledModules: [0, 2], gapPixels: false, geometry: false }).shape   // [1024, 1024]
 */
export function imageLayout(geometry: DetectorGeometry | undefined, options: LayoutOptions): ImageLayout {
  const h = options.gapPixels ? MODULE_ROWS_GAPS : MODULE_ROWS;
  const w = options.gapPixels ? MODULE_COLS_GAPS : MODULE_COLS;
  if (!options.geometry) {
    const n = options.enabledModules.length;
    return {
      shape: [n * h, w],
      moduleShape: [h, w],
      placements: options.enabledModules.map((module, i) => ({ module, offset: i * h * w, strideY: w, strideX: 1 })),
    };
  }
  if (!geometry) throw new Error('geometry=true needs the detector geometry');
  const tops = geometry.originY.map((oy, i) => topLeft(oy, geometry.originX[i]!, geometry.modRot90[i]!, h, w));
  let canvasH = 0;
  let canvasW = 0;
  tops.forEach(([top, left], i) => {
    const odd = geometry.modRot90[i]! % 2 === 1;
    canvasH = Math.max(canvasH, top + (odd ? w : h));
    canvasW = Math.max(canvasW, left + (odd ? h : w));
  });
  const k = geometry.detRot90 % 4;
  const shape: [number, number] = k % 2 === 1 ? [canvasW, canvasH] : [canvasH, canvasW];
  const placements = options.enabledModules.map((module) => {
    const [top, left] = tops[module]!;
    const at = (y: number, x: number): number => {
      const [my, mx] = rot90(y, x, h, w, geometry.modRot90[module]!);
      const [fy, fx] = rot90(top + my, left + mx, canvasH, canvasW, k);
      return fy * shape[1] + fx;
    };
    const offset = at(0, 0);
    return { module, offset, strideY: at(1, 0) - offset, strideX: at(0, 1) - offset };
  });
  return { shape, moduleShape: [h, w], placements };
}

function topLeft(oy: number, ox: number, k: number, h: number, w: number): [number, number] {
  switch (k % 4) {
    case 1: return [oy - w, ox];
    case 2: return [oy - h, ox - w];
    case 3: return [oy, ox - h];
    default: return [oy, ox];
  }
}

/**
 * Where element (y, x) of an h x w array goes in `numpy.rot90(array, k)`.
 * @example rot90(0, 0, 512, 1024, 1) // [1023, 0]
 */
export function rot90(y: number, x: number, h: number, w: number, k: number): [number, number] {
  switch (((k % 4) + 4) % 4) {
    case 1: return [w - 1 - x, y];
    case 2: return [h - 1 - y, w - 1 - x];
    case 3: return [x, h - 1 - y];
    default: return [y, x];
  }
}

/** Row (or column) of a raw module pixel in the module image with gap pixels. @example withGaps(256) // 258 */
export const withGaps = (i: number): number => i + CHIP_GAP * Math.floor(i / CHIP_SIZE);

/**
 * Output [row, col] of raw module pixel (y, x) of `module`, or undefined when the module is not in the layout.
 * @example pixelDestination(layout, 0, 0, 0) // [0, 0]
 */
export function pixelDestination(layout: ImageLayout, module: number, y: number, x: number): [number, number] | undefined {
  const p = layout.placements.find((q) => q.module === module);
  if (!p) return undefined;
  const gaps = layout.moduleShape[0] !== MODULE_ROWS;
  const my = gaps ? withGaps(y) : y;
  const mx = gaps ? withGaps(x) : x;
  const index = p.offset + my * p.strideY + mx * p.strideX;
  return [Math.floor(index / layout.shape[1]), index % layout.shape[1]];
}
