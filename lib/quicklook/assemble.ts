/**
 * From a Jungfrau file's frame to an image: the seam where a geometry-aware
 * assembly (module positions, gaps, rotations: lib/core/jungfrau/, to come)
 * plugs in. Today every detector is shown as stored: modules stacked
 * vertically, 512 rows each, in file order.
 */
import type { Raster } from './image';

/** One frame as read from `/data/<DET>/data[i]`: uint16, [modules * 512, 1024]. */
export interface DetectorFrame {
  detector: string;
  pixels: ArrayLike<number>;
  height: number;
  width: number;
}

/** Turns a stored frame into the image to show. */
export type Assembler = (frame: DetectorFrame) => Raster;

/** Jungfrau raw pixels: bits 0..13 the ADC value, bits 14..15 the gain stage. The quick look shows the ADC value. */
export const ADC_MASK = 0x3fff;

/**
 * Modules stacked as stored, gain bits dropped.
 * @example stackedModules({ detector: 'JF01T03V01', pixels: Uint16Array.of(0xc001), height: 1, width: 1 }).data // [1]
 */
export const stackedModules: Assembler = (frame) => {
  const n = frame.width * frame.height;
  const data = new Uint16Array(n);
  for (let i = 0; i < n; i++) data[i] = Number(frame.pixels[i]) & ADC_MASK;
  return { data, width: frame.width, height: frame.height };
};

/** The assembly for a detector: replace this lookup when lib/core/jungfrau/ brings geometries. */
export function assemblerFor(_detector: string): Assembler {
  return stackedModules;
}
