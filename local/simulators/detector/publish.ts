/**
 * The simulated detectors' calibration files, published where the facility
 * keeps them (jungfrau.md §3, §5, §6), under `root` standing for `/sf`:
 *
 *   <root>/jungfrau/config/gainMaps/<DET>/gains.h5        6 planes float64 (G0, G1, G2, HG0, HG1, HG2)
 *   <root>/jungfrau/data/pedestal/<DET>/<stamp>.h5         gains (3 planes, the pixels' pedestals),
 *                                                          gainsRMS (noise; 0 for dead pixels), pixel_mask int64
 *   <bufferRoot>/config/<DET>.json                         {"detector_name", "gain_file", "pedestal_file"},
 *                                                          the detector's config JSON (BR reads the files' paths there)
 *
 * The pedestal file is the simulator's truth, as a pedestal run would find
 * it: dead pixels carry RMS-0 bits (9, 10, 11), stuck pixels the wrong-gain
 * bits of G1 and G2 (2, 4), the id pixels of row 0 (columns 0..5) bit 0.
 * Files are written under a temporary name and renamed into place.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseDetectorName } from '../../../lib/adapters/buffers/detector/layout';
import { writeGainFile, writePedestalFile } from '../../../lib/adapters/jungfrau-files';
import { gainFilePath, pedestalDirectory, pedestalFileName } from '../../../lib/core/jungfrau/calibration-files';
import { MASK_BITS, MODULE_PIXELS } from '../../../lib/core/jungfrau/constants';
import { fillGainPlane, fillPedestalPlane, moduleDefects, NOISE_RMS } from './calibration';

/** Stamp of the published pedestal: older than any run, so every run finds it. */
export const PUBLISHED_PEDESTAL_STAMP = '20000101_000000';

export interface PublishOptions {
  /** Stands for /sf. */
  root: string;
  detector: string;
  /** Where the detector's config JSON goes (`<bufferRoot>/config/<DET>.json`); none when absent. */
  bufferRoot?: string;
  /** Default PUBLISHED_PEDESTAL_STAMP. */
  stamp?: string;
  /** Gain file element type (default float64 as the facility's; float32 halves 32 modules' 805 MB). */
  gainDtype?: 'float64' | 'float32';
  /** Rewrite files that exist (default: keep them). */
  overwrite?: boolean;
}

export interface PublishedCalibration {
  gainFile: string;
  pedestalFile: string;
  configFile?: string;
}

/**
 * @example
 *   const { gainFile, pedestalFile } = await publishCalibration({ root: '/tmp/sf', detector: 'JF06T08V04' });
 */
export async function publishCalibration(options: PublishOptions): Promise<PublishedCalibration> {
  const { root, detector } = options;
  const { number, modules } = parseDetectorName(detector);
  const gainFile = path.resolve(gainFilePath(root, detector));
  const pedestalFile = path.resolve(pedestalDirectory(root, detector), pedestalFileName(options.stamp ?? PUBLISHED_PEDESTAL_STAMP));
  if (options.overwrite || !existsSync(gainFile)) {
    const plane = new Float64Array(MODULE_PIXELS);
    await atomically(gainFile, (tmp) =>
      writeGainFile(tmp, {
        modules,
        planes: 6,
        dtype: options.gainDtype ?? 'float64',
        values: (p, m) => {
          fillGainPlane(number, m, p, plane);
          return plane;
        },
      }),
    );
  }
  if (options.overwrite || !existsSync(pedestalFile)) {
    await atomically(pedestalFile, (tmp) => writePedestalFile(tmp, simulatedPedestal(number, modules)));
  }
  let configFile: string | undefined;
  if (options.bufferRoot) {
    configFile = path.resolve(options.bufferRoot, 'config', `${detector}.json`);
    const config = `${JSON.stringify({ detector_name: detector, gain_file: gainFile, pedestal_file: pedestalFile }, null, 2)}\n`;
    await atomically(configFile, async (tmp) => writeFileSync(tmp, config));
  }
  return { gainFile, pedestalFile, ...(configFile ? { configFile } : {}) };
}

/** The pedestal file's content for a whole detector (float64: 24 MB a module for gains, as much for RMS). */
export function simulatedPedestal(detectorNumber: number, modules: number) {
  const pixels = modules * MODULE_PIXELS;
  const pedestal = [0, 1, 2].map(() => new Float64Array(pixels)) as [Float64Array, Float64Array, Float64Array];
  const rms = [0, 1, 2].map((s) => new Float64Array(pixels).fill(NOISE_RMS[s as 0 | 1 | 2])) as [Float64Array, Float64Array, Float64Array];
  const pixelMask = new Uint32Array(pixels);
  const rmsBits = (1 << MASK_BITS.rmsZero(0)) | (1 << MASK_BITS.rmsZero(1)) | (1 << MASK_BITS.rmsZero(2));
  const stuckBits = (1 << MASK_BITS.wrongGain(1, 0)) | (1 << MASK_BITS.wrongGain(3, 0));
  for (let m = 0; m < modules; m++) {
    const base = m * MODULE_PIXELS;
    for (let s = 0; s < 3; s++) fillPedestalPlane(detectorNumber, m, s, pedestal[s]!.subarray(base, base + MODULE_PIXELS));
    const { dead, stuck } = moduleDefects(detectorNumber, m);
    for (const i of dead) {
      pixelMask[base + i] = pixelMask[base + i]! | rmsBits;
      for (let s = 0; s < 3; s++) rms[s]![base + i] = 0;
    }
    for (const i of stuck) pixelMask[base + i] = pixelMask[base + i]! | stuckBits;
    for (let c = 0; c < 6; c++) pixelMask[base + c] = pixelMask[base + c]! | (1 << MASK_BITS.extraMask);
  }
  return { modules, pedestal, rms, pixelMask };
}

async function atomically(file: string, write: (tmp: string) => Promise<void>): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.partial`;
  await write(tmp);
  renameSync(tmp, file);
}
