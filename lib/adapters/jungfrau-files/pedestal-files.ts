/**
 * The files of a pedestal computation (lib/core/detectors/pedestal-tasks.ts),
 * under the root standing for /sf:
 *
 *   <raw dir>/run_NNNNNN.<DET>.h5               the pedestal run's raw frames (read block by block)
 *   <raw dir>/run_NNNNNN.<DET>.res.h5           the result (gains, gainsRMS, pixel_mask)
 *   <raw dir>/gainMaps/<DET>.h5, pixel_mask/<DET>.h5   copies of the calibration used (once)
 *   <root>/jungfrau/data/pedestal/<DET>/<stamp>.h5      the copy conversion uses
 *   <root>/jungfrau/config/pixel_mask/<DET>/pixel_mask.h5   the detector's extra mask (optional, read)
 *
 * Every file is written under a hidden temp name and renamed into place: a
 * retried task overwrites its own leftover, a reader never sees half a file.
 */
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { PedestalFilesPort } from '../../core/detectors/pedestal-tasks';
import { CalibrationInvalid, imageProblem } from '../../core/jungfrau/calibration';
import { gainFilePath, pedestalDirectory, pedestalFileName } from '../../core/jungfrau/calibration-files';
import type { PedestalResult } from '../../core/jungfrau/pedestal';
import { datasetOf, withFile } from './h5-planes';
import { writePedestalFile } from './pedestal-file';
import { readRawFrames } from './raw-frames';

/** @example extraMaskPath('/sf', 'JF07T32V01') // '/sf/jungfrau/config/pixel_mask/JF07T32V01/pixel_mask.h5' */
export const extraMaskPath = (root: string, detector: string): string => `${root.replace(/\/+$/, '')}/jungfrau/config/pixel_mask/${detector}/pixel_mask.h5`;

const hidden = (path: string) => join(dirname(path), `.${basename(path)}.partial`);
const exists = (path: string) => stat(path).then((s) => s.isFile(), () => false);

async function atomically(path: string, write: (temp: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = hidden(path);
  await rm(temp, { force: true });
  try {
    await write(temp);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export class LocalPedestalFiles implements PedestalFilesPort {
  /** @param root stands for /sf (SFDAQ_DATA_ROOT) */
  constructor(private readonly root: string, private readonly blockBudgetBytes?: number) {}

  readFrames(rawFile: string, detector: string, onBlock: Parameters<PedestalFilesPort['readFrames']>[2]) {
    return readRawFrames(rawFile, detector, onBlock, this.blockBudgetBytes);
  }

  async readExtraMask(detector: string, modules: number): Promise<Uint8Array | undefined> {
    const path = extraMaskPath(this.root, detector);
    if (!(await exists(path))) return undefined;
    return withFile(path, 'extra pixel mask', (file) => {
      const ds = datasetOf(file, 'pixel_mask', 'extra pixel mask');
      const problem = imageProblem('/pixel_mask', ds.shape ?? [], modules);
      if (problem) throw new CalibrationInvalid(`extra pixel mask ${path}: ${problem}`);
      return Uint8Array.from(ds.value as ArrayLike<number | bigint>, (v) => (Number(v) !== 0 ? 1 : 0));
    });
  }

  writeResult(path: string, result: PedestalResult): Promise<void> {
    return atomically(path, (temp) => writePedestalFile(temp, result));
  }

  async publish(resultFile: string, detector: string, stamp: string): Promise<string> {
    const target = join(pedestalDirectory(this.root, detector), pedestalFileName(stamp));
    await atomically(target, (temp) => copyFile(resultFile, temp));
    return target;
  }

  async copyCalibration(directory: string, detector: string): Promise<void> {
    const copies: Array<[string, string]> = [
      [gainFilePath(this.root, detector), join(directory, 'gainMaps', `${detector}.h5`)],
      [extraMaskPath(this.root, detector), join(directory, 'pixel_mask', `${detector}.h5`)],
    ];
    for (const [from, to] of copies) {
      // As the facility does: the first copy stays (it documents what the first pedestal of the pgroup used).
      if ((await exists(from)) && !(await exists(to))) await atomically(to, (temp) => copyFile(from, temp));
    }
  }
}
