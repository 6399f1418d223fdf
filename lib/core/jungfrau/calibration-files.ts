/**
 * Where the facility keeps calibration files (jungfrau.md §3, §6), under the
 * root that stands for `/sf`, and which pedestal a run uses.
 *
 *   <root>/jungfrau/config/gainMaps/<DET>/gains.h5       gain file
 *   <root>/jungfrau/data/pedestal/<DET>/<stamp>.h5       pedestal files, stamp YYYYmmdd_HHMMSS
 *                                                        (the pedestal request's time, facility time)
 */

/** @example gainFilePath('/sf', 'JF06T08V04') // '/sf/jungfrau/config/gainMaps/JF06T08V04/gains.h5' */
export const gainFilePath = (root: string, detector: string): string => `${trimSlash(root)}/jungfrau/config/gainMaps/${detector}/gains.h5`;

/** @example pedestalDirectory('/sf', 'JF06T08V04') // '/sf/jungfrau/data/pedestal/JF06T08V04' */
export const pedestalDirectory = (root: string, detector: string): string => `${trimSlash(root)}/jungfrau/data/pedestal/${detector}`;

/** @example pedestalFileName('20250601_120000') // '20250601_120000.h5' */
export const pedestalFileName = (stamp: string): string => `${stamp}.h5`;

const STAMP = /^(\d{8})_(\d{6})\.h5$/;

/**
 * The stamp `YYYYmmdd_HHMMSS` of an instant in the facility's time zone.
 * @example pedestalStamp(new Date('2025-06-01T10:00:00Z')) // '20250601_120000' (Europe/Zurich, summer time)
 */
export function pedestalStamp(at: Date, timeZone = 'Europe/Zurich'): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}${parts.month}${parts.day}_${parts.hour}${parts.minute}${parts.second}`;
}

/**
 * The newest pedestal file taken at or before the run: among the names of a
 * pedestal directory (others ignored), the greatest stamp not after the run's
 * stamp. Undefined when every pedestal is newer than the run, or there is none.
 *
 * @example
 *   newestPedestalAtOrBefore(['20250601_090000.h5', '20250601_130000.h5', 'notes.txt'], '20250601_120000')
 *   // '20250601_090000.h5'
 */
export function newestPedestalAtOrBefore(names: readonly string[], runStamp: string): string | undefined {
  let best: string | undefined;
  for (const name of names) {
    const m = STAMP.exec(name);
    if (!m) continue;
    const stamp = `${m[1]}_${m[2]}`;
    if (stamp > runStamp) continue;
    if (best === undefined || name > best) best = name;
  }
  return best;
}

function trimSlash(root: string): string {
  return root.length > 1 ? root.replace(/\/+$/, '') : root;
}
