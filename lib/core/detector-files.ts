/**
 * The files of one detector of a run, beside its output `run_NNNNNN.<DET>.h5`
 * (pure path work; lib/retrieval/detector/ writes them):
 *
 *   run_NNNNNN.<DET>.h5                  the scientist's file (raw, or converted)
 *   raw_data/run_NNNNNN.<DET>.h5         the raw frames when converting (jungfrau.md §5)
 *   run_NNNNNN.<DET>.parts/part_PPPP.h5  per work item, when the file is assembled from parts
 *                                        (compressed or converted with more than one part): the
 *                                        file's `data` is a virtual dataset over these, so they
 *                                        stay beside it (move the file and this folder together)
 *   .run_NNNNNN.<DET>.h5.work/           while retrieving: the plan, each part's attempts and
 *                                        result; removed once the file is assembled
 *   .<name>.partial                      anything being written, renamed when complete
 */
import { basename, dirname, join } from 'node:path';

export const RAW_DATA_DIR = 'raw_data';

/** @example rawDataFile('/sf/a/raw/x/run_000001.JF06T08V04.h5') // '/sf/a/raw/x/raw_data/run_000001.JF06T08V04.h5' */
export const rawDataFile = (file: string): string => join(dirname(file), RAW_DATA_DIR, basename(file));

/** @example partsDir('/r/run_000001.JF07T32V01.h5') // '/r/run_000001.JF07T32V01.parts' */
export const partsDir = (file: string): string => join(dirname(file), `${basename(file).replace(/\.h5$/, '')}.parts`);

/** The parts folder as the virtual dataset names it: relative, so the file and its folder can move together. */
export const partsDirName = (file: string): string => basename(partsDir(file));

/** @example partFileName(3) // 'part_0003.h5' */
export const partFileName = (part: number): string => `part_${String(part).padStart(4, '0')}.h5`;

/** @example workDir('/r/run_000001.JF07T32V01.h5') // '/r/.run_000001.JF07T32V01.h5.work' */
export const workDir = (file: string): string => join(dirname(file), `.${basename(file)}.work`);

/** The progress key of a part: `<DET>#<part>` (aggregated per detector for the run's status). */
export const partProgressKey = (detector: string, part: number): string => `${detector}#${part}`;
