/**
 * Raw Jungfrau frames -> the converted image(s), block by block (jungfrau.md §4).
 *
 * Everything per pixel is computed once in `createConverter`: where each raw
 * pixel lands (geometry, gaps, rotations), whether it is masked, and its
 * float32 constants per gain stage [P0, 1/G0, P1, 1/G1, P2, 1/G2] (with a
 * factor: fround(fround(1/F)/G), as jungfrau_utils precomputes them). A frame
 * is then one pass over the raw words in tiles of 64 x 64 pixels (so rotated
 * modules stay cache-friendly), with no allocation:
 *
 *   E = fround(fround(adc - P[s]) * g[s]),  s = [0, 1, 2, 2][gain bits]
 *   factor: round half to even of E (g holds 1/F/G), int32; else float32 keV
 *
 * Masked pixels and empty output pixels are 0. Memory: 28 bytes per raw pixel
 * for the tables (JF06T08: 117 MB; JF07T32: 470 MB), plus one image of
 * scratch when double pixels are interpolated, an ROI is cut or the image is
 * downsampled.
 */
import { checkCalibration, stagePlanes, type Calibration } from './calibration';
import { MODULE_COLS, MODULE_PIXELS, MODULE_ROWS } from './constants';
import { imageLayout, lookupGeometry, withGaps, type ImageLayout } from './geometry';
import { interpolateDoublePixels } from './interp';
import { EMPTY_REASON, moduleReasons, rawReasons } from './masks';
import type { ConversionOptions, ImageDType, OutputImage, Roi } from './options';

export type ImageArray = Float32Array | Int32Array | Uint16Array;

/** An image dataset of the converted file, with its pixel mask. */
export interface ConvertedImage extends OutputImage {
  /** 1 = good pixel (meta/pixel_mask). */
  pixelMask: Uint8Array;
  /** Why a pixel is bad, MASK_BITS (meta/pixel_mask_reasons); 0 = good. */
  pixelMaskReasons: Uint32Array;
  goodPixelsFraction: number;
}

export interface ConverterSetup {
  /** Use the high-gain planes: daq_rec bit 0 of the first good frame (isHighGain). */
  highgain?: boolean;
  /** Detector modules stacked in the raw frames, in order (default: the enabled modules). */
  inputModules?: readonly number[];
}

export interface Converter {
  /** One per output dataset: the whole image, or one per ROI. */
  readonly images: readonly ConvertedImage[];
  /** The image before ROI and downsample. */
  readonly imageShape: [number, number];
  readonly dtype: ImageDType;
  /** uint16 words of one raw frame (input modules x 512 x 1024). */
  readonly frameWords: number;
  /** Per detector module its place in the raw frames, -1 when disabled (meta/module_map). */
  readonly moduleMap: Int32Array;
  /** Zeroed output arrays for `frames` frames, one per image. */
  allocate(frames: number): ImageArray[];
  /**
   * Convert `frameCount` raw frames (`raw`, frame after frame) into `out`
   * (from `allocate`, or arrays at least as long), frame i at i * image pixels.
   */
  convert(raw: Uint16Array, frameCount: number, out: readonly ImageArray[]): void;
}

const TILE = 64;

/**
 * Build a converter for one detector and one set of resolved options.
 *
 * @example
 *   const c = createConverter(calibration, resolved, { highgain: isHighGain(firstGoodDaqRec) });
 *   const [out] = c.allocate(32);
 *   c.convert(rawBlock, 32, [out]);  // rawBlock: 32 frames of 8 x 512 x 1024 words
 */
export function createConverter(calibration: Calibration | undefined, options: ConversionOptions, setup: ConverterSetup = {}): Converter {
  if (options.conversion && !calibration) throw new Error('adc_to_energy needs the gain and pedestal constants');
  if (calibration) checkCalibration(calibration, options.modules);
  const inputModules = setup.inputModules ?? options.enabledModules;
  const inputPos = options.enabledModules.map((m) => {
    const at = inputModules.indexOf(m);
    if (at < 0) throw new Error(`module ${m} is enabled but not among the raw frames' modules ${inputModules.join(', ')}`);
    return at;
  });
  const moduleMap = new Int32Array(options.modules).fill(-1);
  options.enabledModules.forEach((m, i) => (moduleMap[m] = inputPos[i]!));

  let geometry;
  if (options.geometry) {
    const found = lookupGeometry(options.detector);
    if (!found.ok) throw new Error(found.reason);
    geometry = found.geometry;
  }
  const layout = imageLayout(geometry, { enabledModules: options.enabledModules, gapPixels: options.gapPixels, geometry: options.geometry });
  const [H, W] = layout.shape;
  const [mh, mw] = layout.moduleShape;
  const interp = options.doublePixels === 'interp';
  if (interp && !options.gapPixels) throw new Error('double pixels "interp" needs gap pixels');
  if (interp && options.factor !== null) throw new Error('double pixels "interp" cannot be combined with a factor');
  const dtype: ImageDType = options.conversion ? (options.factor !== null ? 'int32' : 'float32') : 'uint16';
  const factorInKernel = options.factor !== null && options.downsample === null;

  // The full image's reasons and good pixels.
  const rules = { doublePixels: options.doublePixels, moduleEdgePixels: options.moduleEdgePixels };
  const reasons = new Uint32Array(H * W).fill(EMPTY_REASON);
  for (const p of layout.placements) {
    const mod = moduleReasons(calibration?.pixelMask, p.module * MODULE_PIXELS, rules, options.gapPixels);
    scatterModule(mod, 0, reasons, 0, p, mh, mw);
  }
  const good = new Uint8Array(H * W);
  for (let i = 0; i < good.length; i++) good[i] = reasons[i] === 0 ? 1 : 0;

  // Per raw pixel (tile order): destination and constants; a masked pixel gets P = 0, g = 0 (so 0).
  const n = options.enabledModules.length * MODULE_PIXELS;
  const dst = new Int32Array(n);
  const coef = options.conversion ? new Float32Array(n * 6) : undefined;
  const rowAt = Int32Array.from({ length: MODULE_ROWS }, (_, y) => (options.gapPixels ? withGaps(y) : y));
  const colAt = Int32Array.from({ length: MODULE_COLS }, (_, x) => (options.gapPixels ? withGaps(x) : x));
  const planes = calibration ? stagePlanes(calibration.gain.length, calibration.pedestal.length, setup.highgain ?? false) : undefined;
  const gains = planes && calibration ? planes.gain.map((i) => calibration.gain[i]!) : [];
  const peds = planes && calibration ? planes.pedestal.map((i) => calibration.pedestal[i]!) : [];
  const invFactor = options.factor !== null ? Math.fround(1 / options.factor) : 1;
  const masked = new Uint8Array(MODULE_PIXELS);
  let j = 0;
  layout.placements.forEach((p, e) => {
    const calBase = p.module * MODULE_PIXELS;
    for (let y = 0, i = 0; y < MODULE_ROWS; y++) {
      for (let x = 0; x < MODULE_COLS; x++, i++) masked[i] = options.mask && rawReasons(calibration?.pixelMask[calBase + i] ?? 0, y, x, rules) !== 0 ? 1 : 0;
    }
    for (let ty = 0; ty < MODULE_ROWS; ty += TILE) {
      for (let tx = 0; tx < MODULE_COLS; tx += TILE) {
        for (let y = ty; y < ty + TILE; y++) {
          const my = rowAt[y]!;
          for (let x = tx; x < tx + TILE; x++, j++) {
            const mx = colAt[x]!;
            dst[j] = interp ? e * mh * mw + my * mw + mx : p.offset + my * p.strideY + mx * p.strideX;
            const i = y * MODULE_COLS + x;
            if (!coef) {
              if (masked[i]) dst[j] = -1;
              continue;
            }
            if (masked[i]) continue; // constants stay 0: the value is 0
            for (let s = 0; s < 3; s++) {
              const g = gains[s]![calBase + i]!;
              coef[j * 6 + 2 * s] = peds[s]![calBase + i]!;
              coef[j * 6 + 2 * s + 1] = factorInKernel ? Math.fround(invFactor / g) : Math.fround(1 / g);
            }
          }
        }
      }
    }
  });
  // Output pixels no raw pixel is written to: zeroed per frame, as runs [start, end).
  const emptyRuns = runsOf(reasons);

  const images = describeImages(options, layout, reasons, good, dtype);
  const modIn = Int32Array.from(inputPos);
  const frameWords = inputModules.length * MODULE_PIXELS;
  const pixels = H * W;
  const direct = !interp && options.downsample === null && options.rois.length === 0;
  const full = direct ? undefined : makeArray(options.downsample ? 'float32' : dtype, pixels);
  const modules = interp ? new Float32Array(layout.placements.length * mh * mw) : undefined;
  const valid = options.downsample ? validPixels(reasons, good, options.mask) : undefined;

  /** Convert `frames` frames from raw[rawBase..] into target[targetBase..] (frame stride `stride`). */
  const kernel = (raw: Uint16Array, rawBase: number, frames: number, target: ImageArray, targetBase: number, stride: number): void => {
    const block: Block = { raw, rawBase, frameWords, frames, modIn, dst, out: target, outBase: targetBase, stride };
    if (!coef) copyWords(block);
    else if (factorInKernel) convertRounded(block, coef);
    else convertFloat(block, coef);
  };

  return {
    images,
    imageShape: [H, W],
    dtype,
    frameWords,
    moduleMap,
    allocate: (frames) => images.map((im) => makeArray(im.dtype, frames * im.shape[0] * im.shape[1])),
    convert(raw, frameCount, out) {
      if (raw.length < frameCount * frameWords) throw new RangeError(`${frameCount} frames need ${frameCount * frameWords} words, got ${raw.length}`);
      if (out.length !== images.length) throw new RangeError(`${images.length} output arrays expected, got ${out.length}`);
      images.forEach((im) => {
        const i = images.indexOf(im);
        if (out[i]!.length < frameCount * im.shape[0] * im.shape[1]) throw new RangeError(`output ${im.group} is too short for ${frameCount} frames`);
      });
      if (direct) {
        const target = out[0]!;
        for (let f0 = 0; f0 < frameCount; f0 += FRAMES_PER_PASS) {
          const frames = Math.min(FRAMES_PER_PASS, frameCount - f0);
          for (let f = f0; f < f0 + frames; f++) {
            for (let r = 0; r < emptyRuns.length; r += 2) target.fill(0, f * pixels + emptyRuns[r]!, f * pixels + emptyRuns[r + 1]!);
          }
          kernel(raw, f0 * frameWords, frames, target, f0 * pixels, pixels);
        }
        return;
      }
      // The scratch images need no clearing: every frame writes the same pixels (masked ones
      // as 0, every gap pixel by the interpolation); the others stay 0 from their allocation.
      for (let f = 0; f < frameCount; f++) {
        const rawBase = f * frameWords;
        if (modules) {
          kernel(raw, rawBase, 1, modules, 0, 0);
          layout.placements.forEach((p, e) => {
            interpolateDoublePixels(modules, e * mh * mw);
            scatterModule(modules, e * mh * mw, full!, 0, p, mh, mw);
          });
        } else {
          kernel(raw, rawBase, 1, full!, 0, 0);
        }
        if (options.downsample) {
          const im = images[0]!;
          downsampleInto(full as Float32Array, valid!, H, W, options.downsample, options.factor, out[0]!, f * im.shape[0] * im.shape[1]);
        } else {
          images.forEach((im, i) => cropInto<ImageArray>(full!, W, im.roi ?? { label: '', y1: 0, y2: H, x1: 0, x2: W }, out[i]!, f * im.shape[0] * im.shape[1]));
        }
      }
    },
  };
}

/**
 * Frames converted per pass over the tables: the per-pixel constants are read
 * once for all of them (the tables are the largest memory traffic), while the
 * raw and output streams of 8 frames stay within what prefetchers follow.
 */
const FRAMES_PER_PASS = 8;

interface Block {
  raw: Uint16Array;
  rawBase: number;
  frameWords: number;
  frames: number;
  modIn: Int32Array;
  dst: Int32Array;
  out: ImageArray;
  outBase: number;
  /** Output words between two frames. */
  stride: number;
}

// The kernels walk the raw pixels in the tile order of the tables, and for each pixel every frame of the block.

function convertFloat(b: Block, coef: Float32Array): void {
  const { raw, rawBase, frameWords, frames, modIn, dst, outBase, stride } = b;
  const out = b.out as Float32Array;
  let j = 0;
  for (let e = 0; e < modIn.length; e++) {
    const mBase = rawBase + modIn[e]! * MODULE_PIXELS;
    for (let ty = 0; ty < MODULE_ROWS; ty += TILE) {
      for (let tx = 0; tx < MODULE_COLS; tx += TILE) {
        for (let y = ty; y < ty + TILE; y++) {
          let s = mBase + y * MODULE_COLS + tx;
          const end = j + TILE;
          for (; j < end; j++, s++) {
            const k = j * 6;
            const p0 = coef[k]!, g0 = coef[k + 1]!, p1 = coef[k + 2]!, g1 = coef[k + 3]!, p2 = coef[k + 4]!, g2 = coef[k + 5]!;
            for (let f = 0, r = s, o = outBase + dst[j]!; f < frames; f++, r += frameWords, o += stride) {
              const w = raw[r]!;
              const a = w & 0x3fff;
              const g = w >>> 14;
              out[o] = g === 0 ? Math.fround(a - p0) * g0 : g === 1 ? Math.fround(a - p1) * g1 : Math.fround(a - p2) * g2;
            }
          }
        }
      }
    }
  }
}

function convertRounded(b: Block, coef: Float32Array): void {
  const { raw, rawBase, frameWords, frames, modIn, dst, outBase, stride } = b;
  const out = b.out as Int32Array;
  let j = 0;
  for (let e = 0; e < modIn.length; e++) {
    const mBase = rawBase + modIn[e]! * MODULE_PIXELS;
    for (let ty = 0; ty < MODULE_ROWS; ty += TILE) {
      for (let tx = 0; tx < MODULE_COLS; tx += TILE) {
        for (let y = ty; y < ty + TILE; y++) {
          let s = mBase + y * MODULE_COLS + tx;
          const end = j + TILE;
          for (; j < end; j++, s++) {
            const k = j * 6;
            const p0 = coef[k]!, g0 = coef[k + 1]!, p1 = coef[k + 2]!, g1 = coef[k + 3]!, p2 = coef[k + 4]!, g2 = coef[k + 5]!;
            for (let f = 0, r = s, o = outBase + dst[j]!; f < frames; f++, r += frameWords, o += stride) {
              const w = raw[r]!;
              const a = w & 0x3fff;
              const g = w >>> 14;
              const v = g === 0 ? Math.fround(Math.fround(a - p0) * g0) : g === 1 ? Math.fround(Math.fround(a - p1) * g1) : Math.fround(Math.fround(a - p2) * g2);
              out[o] = v + ROUNDING - ROUNDING; // round half to even (see roundHalfEven)
            }
          }
        }
      }
    }
  }
}

function copyWords(b: Block): void {
  const { raw, rawBase, frameWords, frames, modIn, dst, outBase, stride } = b;
  const out = b.out;
  let j = 0;
  for (let e = 0; e < modIn.length; e++) {
    const mBase = rawBase + modIn[e]! * MODULE_PIXELS;
    for (let ty = 0; ty < MODULE_ROWS; ty += TILE) {
      for (let tx = 0; tx < MODULE_COLS; tx += TILE) {
        for (let y = ty; y < ty + TILE; y++) {
          let s = mBase + y * MODULE_COLS + tx;
          const end = j + TILE;
          for (; j < end; j++, s++) {
            const d = dst[j]!;
            if (d < 0) continue;
            for (let f = 0, r = s, o = outBase + d; f < frames; f++, r += frameWords, o += stride) out[o] = raw[r]!;
          }
        }
      }
    }
  }
}

/** [start, end) runs of pixels whose reasons say empty. */
function runsOf(reasons: Uint32Array): Int32Array {
  const runs: number[] = [];
  for (let i = 0; i < reasons.length; ) {
    if ((reasons[i]! & EMPTY_REASON) === 0) {
      i++;
      continue;
    }
    const start = i;
    while (i < reasons.length && (reasons[i]! & EMPTY_REASON) !== 0) i++;
    runs.push(start, i);
  }
  return Int32Array.from(runs);
}

/**
 * 1.5 * 2^52: adding and subtracting it rounds a double below 2^51 in
 * magnitude to an integer, half to even (IEEE 754's default rounding), with
 * no branch. Converted values are far below that.
 */
const ROUNDING = 6755399441055744;

/** Round half to even, as Python's round(). @example roundHalfEven(2.5) // 2 */
export function roundHalfEven(v: number): number {
  return v + ROUNDING - ROUNDING;
}

/** Copy a module image (mh x mw at `srcBase`) to its place in the output. */
function scatterModule<T extends ImageArray | Uint32Array>(src: T, srcBase: number, out: T, outBase: number, p: ImageLayout['placements'][number], mh: number, mw: number): void {
  for (let y = 0; y < mh; y++) {
    let d = outBase + p.offset + y * p.strideY;
    let s = srcBase + y * mw;
    for (let x = 0; x < mw; x++, s++, d += p.strideX) out[d] = src[s]!;
  }
}

function cropInto<T extends ImageArray | Uint32Array | Uint8Array>(full: T, W: number, roi: Roi, out: T, outBase: number): void {
  const w = roi.x2 - roi.x1;
  for (let y = roi.y1; y < roi.y2; y++) {
    const from = y * W + roi.x1;
    out.set(full.subarray(from, from + w), outBase + (y - roi.y1) * w);
  }
}

/** Pixels a downsample block counts: good ones, or with mask false every pixel a module lands on. */
function validPixels(reasons: Uint32Array, good: Uint8Array, mask: boolean): Uint8Array {
  if (mask) return good;
  const v = new Uint8Array(reasons.length);
  for (let i = 0; i < v.length; i++) v[i] = (reasons[i]! & EMPTY_REASON) === 0 ? 1 : 0;
  return v;
}

/**
 * Block sums of valid pixels, scaled by n*m / valid pixels in the block (0 when none), then
 * round(/factor) when a factor is given (§4). The image's last rows/columns that do not fill a block are dropped.
 */
function downsampleInto(full: Float32Array, valid: Uint8Array, H: number, W: number, [n, m]: [number, number], factor: number | null, out: ImageArray, outBase: number): void {
  const oh = Math.floor(H / n);
  const ow = Math.floor(W / m);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      let sum = 0;
      let count = 0;
      for (let y = oy * n; y < (oy + 1) * n; y++) {
        for (let x = ox * m, i = y * W + ox * m; x < (ox + 1) * m; x++, i++) {
          if (valid[i]) {
            sum += full[i]!;
            count++;
          }
        }
      }
      const v = count > 0 ? (sum * n * m) / count : 0;
      out[outBase + oy * ow + ox] = factor !== null ? roundHalfEven(v / factor) : v;
    }
  }
}

function makeArray(dtype: ImageDType, length: number): ImageArray {
  switch (dtype) {
    case 'float32': return new Float32Array(length);
    case 'int32': return new Int32Array(length);
    case 'uint16': return new Uint16Array(length);
  }
}

function describeImages(options: ConversionOptions, layout: ImageLayout, reasons: Uint32Array, good: Uint8Array, dtype: ImageDType): ConvertedImage[] {
  const [H, W] = layout.shape;
  const group = `data/${options.detector}`;
  const fraction = (g: Uint8Array) => (g.length === 0 ? 0 : g.reduce((a, b) => a + b, 0) / g.length);
  if (options.rois.length > 0) {
    return options.rois.map((roi) => {
      const h = roi.y2 - roi.y1;
      const w = roi.x2 - roi.x1;
      const r = new Uint32Array(h * w);
      const g = new Uint8Array(h * w);
      cropInto(reasons, W, roi, r, 0);
      cropInto(good, W, roi, g, 0);
      return { group: `${group}:ROI_${roi.label}`, shape: [h, w], dtype, roi, pixelMask: g, pixelMaskReasons: r, goodPixelsFraction: fraction(g) };
    });
  }
  if (options.downsample) {
    const [n, m] = options.downsample;
    const oh = Math.floor(H / n);
    const ow = Math.floor(W / m);
    const r = new Uint32Array(oh * ow);
    const g = new Uint8Array(oh * ow);
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let any = 0;
        let why = 0;
        for (let y = oy * n; y < (oy + 1) * n; y++) {
          for (let x = ox * m; x < (ox + 1) * m; x++) {
            any |= good[y * W + x]!;
            why |= reasons[y * W + x]!;
          }
        }
        g[oy * ow + ox] = any;
        r[oy * ow + ox] = any ? 0 : why >>> 0;
      }
    }
    return [{ group, shape: [oh, ow], dtype, pixelMask: g, pixelMaskReasons: r, goodPixelsFraction: fraction(g) }];
  }
  return [{ group, shape: [H, W], dtype, pixelMask: good, pixelMaskReasons: reasons, goodPixelsFraction: fraction(good) }];
}
