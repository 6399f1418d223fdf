import { readdir, stat } from 'node:fs/promises';
import { gainFilePath, pedestalDirectory } from '../../core/jungfrau/calibration-files';
import type { CalibrationLookup } from '../../core/detectors/ports';

/**
 * The facility's calibration files under the root that stands for /sf (EFS
 * on AWS, the local data root): `jungfrau/config/gainMaps/<DET>/gains.h5` and
 * `jungfrau/data/pedestal/<DET>/<stamp>.h5` (lib/core/jungfrau/calibration-files.ts).
 *
 * @example await new LocalCalibrationFiles('/mnt/sf').pedestalNames('JF01T03V01') // ['20000101_000000.h5', ...]
 */
export class LocalCalibrationFiles implements CalibrationLookup {
  constructor(private readonly root: string) {}

  async hasGainFile(detector: string): Promise<boolean> {
    const stats = await stat(gainFilePath(this.root, detector)).catch(() => undefined);
    return stats?.isFile() === true;
  }

  async pedestalNames(detector: string): Promise<string[]> {
    try {
      return await readdir(pedestalDirectory(this.root, detector));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw error;
    }
  }
}
