/**
 * Pedestal statistics from dark frames, streaming (jungfrau.md §6, as
 * sf_daq_broker's create_pedestal_file computes them):
 *
 * - A frame counts if is_good_frame, (at most the first `maxFrames` frames are
 *   looked at), and at least (modules - 0.5 - badModules) * 512 * 1024 of its
 *   pixels show the gain bits g that daq_rec bits 12..13 force (g = 0, 1, 3).
 * - Its pixels with other gain bits get mask bit 1 + g + 4 * highG0 (daq_rec bit 0).
 * - Per g, sums of adc and adc^2 over a running window: past `window` frames
 *   (1000) of g, 1/window of each sum is removed before adding the frame.
 *   Every pixel's adc is added, whatever its own gain bits.
 * - mean = sum / max(1, min(window, n_g)), rms = sqrt(mean(adc^2) - mean^2),
 *   both float64; plane 0, 1, 2 for g = 0, 1, 3 (high-G0 frames share them).
 * - RMS close to 0 (|rms| <= 1e-8, numpy.isclose) sets bit 9 + plane; an
 *   extra mask sets bit 0. No good pixel at all is an error.
 *
 * Memory: 52 bytes per pixel while accumulating (sums of three stages, the
 * mask): 26 MB a module, 0.85 GB for 32 modules; `finish` adds 48 more.
 */
import { MASK_BITS, MODULE_PIXELS } from './constants';
import { forcedGainOf, isHighGain } from './pixel-word';

export interface PedestalOptions {
  modules: number;
  /** Modules known to be bad, lowering the pixels a frame needs in the forced gain (default 0). */
  badModules?: number;
  /** Running window in frames (default 1000). */
  window?: number;
  /** Frames looked at, from the first (default 10000). */
  maxFrames?: number;
}

/** Per frame of a block: is_good_frame and daq_rec (the raw file's datasets). */
export interface FrameFlags {
  isGoodFrame: ArrayLike<number>;
  daqRec: ArrayLike<number>;
}

export interface PedestalStats {
  /** Frames looked at / good / used per forced gain 0, 1, 2, 3. */
  analyzed: number;
  good: number;
  used: [number, number, number, number];
  /** Good frames skipped because too few pixels were in the forced gain. */
  wrongGainFrames: number;
}

export interface PedestalResult {
  modules: number;
  /** Mean ADC per plane (G0, G1, G2), float64, modules*512*1024 each (the file's `gains`). */
  pedestal: [Float64Array, Float64Array, Float64Array];
  /** RMS per plane (`gainsRMS`). */
  rms: [Float64Array, Float64Array, Float64Array];
  /** Mask bits (`pixel_mask`, int64 in the file). */
  pixelMask: Uint32Array;
  goodPixels: number;
  stats: PedestalStats;
}

/** The accumulated frames leave no good pixel: the facility writes no pedestal then. */
export class NoGoodPixels extends Error {
  override readonly name = 'NoGoodPixels';
}

/** Plane of a forced gain: g = 0, 1, 3 -> 0, 1, 2 (2 has none). */
const PLANE_OF_GAIN = [0, 1, -1, 2] as const;

export class PedestalAccumulator {
  readonly pixels: number;
  private readonly sum: Float64Array[];
  private readonly sum2: Float64Array[];
  private readonly mask: Uint32Array;
  private readonly window: number;
  private readonly maxFrames: number;
  private readonly needed: number;
  private readonly stats: PedestalStats = { analyzed: 0, good: 0, used: [0, 0, 0, 0], wrongGainFrames: 0 };

  /**
   * @example
   *   const acc = new PedestalAccumulator({ modules: 8 });
   *   acc.add(block, 100, { isGoodFrame, daqRec });   // as many blocks as the file has
   *   const result = acc.finish();                     // throws NoGoodPixels when nothing is good
   */
  constructor(private readonly options: PedestalOptions) {
    this.pixels = options.modules * MODULE_PIXELS;
    this.sum = [0, 1, 2].map(() => new Float64Array(this.pixels));
    this.sum2 = [0, 1, 2].map(() => new Float64Array(this.pixels));
    this.mask = new Uint32Array(this.pixels);
    this.window = options.window ?? 1000;
    this.maxFrames = options.maxFrames ?? 10_000;
    this.needed = (options.modules - 0.5 - (options.badModules ?? 0)) * MODULE_PIXELS;
  }

  /** Add `frameCount` frames (raw words, modules*512*1024 each, frame after frame) with their flags. */
  add(block: Uint16Array, frameCount: number, flags: FrameFlags): void {
    if (block.length < frameCount * this.pixels) throw new RangeError(`${frameCount} frames need ${frameCount * this.pixels} words, got ${block.length}`);
    for (let f = 0; f < frameCount; f++) {
      if (this.stats.analyzed >= this.maxFrames) return;
      this.stats.analyzed++;
      if (!flags.isGoodFrame[f]) continue;
      this.stats.good++;
      const daqRec = Number(flags.daqRec[f]);
      const g = forcedGainOf(daqRec);
      const frame = block.subarray(f * this.pixels, (f + 1) * this.pixels);
      let inGain = 0;
      for (let i = 0; i < frame.length; i++) if (frame[i]! >>> 14 === g) inGain++;
      if (inGain < this.needed) {
        this.stats.wrongGainFrames++;
        continue;
      }
      const bit = (1 << MASK_BITS.wrongGain(g, isHighGain(daqRec) ? 1 : 0)) >>> 0;
      const mask = this.mask;
      for (let i = 0; i < frame.length; i++) if (frame[i]! >>> 14 !== g) mask[i] = (mask[i]! | bit) >>> 0;
      this.stats.used[g]!++;
      const plane = PLANE_OF_GAIN[g as 0 | 1 | 2 | 3];
      if (plane < 0) continue; // gain bits 10 forced: counted, not kept (as the facility)
      const s = this.sum[plane]!;
      const s2 = this.sum2[plane]!;
      const w = this.window;
      if (this.stats.used[g]! > w) {
        for (let i = 0; i < s.length; i++) {
          s[i] = s[i]! - s[i]! / w;
          s2[i] = s2[i]! - s2[i]! / w;
        }
      }
      for (let i = 0; i < s.length; i++) {
        const adc = frame[i]! & 0x3fff;
        s[i] = s[i]! + adc;
        s2[i] = s2[i]! + adc * adc;
      }
    }
  }

  /**
   * Means, RMS and the pixel mask. `extraMask` (nonzero = bad, e.g. the
   * facility's per-detector mask file) sets bit 0.
   */
  finish(extraMask?: ArrayLike<number>): PedestalResult {
    const mask = Uint32Array.from(this.mask);
    if (extraMask) {
      if (extraMask.length !== this.pixels) throw new RangeError(`extra mask has ${extraMask.length} pixels, expected ${this.pixels}`);
      const bit = 1 << MASK_BITS.extraMask;
      for (let i = 0; i < this.pixels; i++) if (extraMask[i]) mask[i] = (mask[i]! | bit) >>> 0;
    }
    const pedestal: Float64Array[] = [];
    const rms: Float64Array[] = [];
    for (const [plane, g] of [[0, 0], [1, 1], [2, 3]] as const) {
      const n = Math.max(1, Math.min(this.window, this.stats.used[g]));
      const mean = new Float64Array(this.pixels);
      const sd = new Float64Array(this.pixels);
      const s = this.sum[plane]!;
      const s2 = this.sum2[plane]!;
      const bit = (1 << MASK_BITS.rmsZero(plane)) >>> 0;
      for (let i = 0; i < this.pixels; i++) {
        const m = s[i]! / n;
        const v = Math.sqrt(s2[i]! / n - m * m);
        mean[i] = m;
        sd[i] = v;
        if (Math.abs(v) <= 1e-8) mask[i] = (mask[i]! | bit) >>> 0;
      }
      pedestal.push(mean);
      rms.push(sd);
    }
    let goodPixels = 0;
    for (let i = 0; i < this.pixels; i++) if (mask[i] === 0) goodPixels++;
    if (goodPixels === 0) throw new NoGoodPixels(`no good pixel in ${this.stats.good} good frames (used per gain 0/1/3: ${this.stats.used[0]}/${this.stats.used[1]}/${this.stats.used[3]}): no pedestal file written`);
    return {
      modules: this.options.modules,
      pedestal: pedestal as PedestalResult['pedestal'],
      rms: rms as PedestalResult['rms'],
      pixelMask: mask,
      goodPixels,
      stats: { ...this.stats, used: [...this.stats.used] },
    };
  }
}
