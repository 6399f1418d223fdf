/** Jungfrau calibration files (gain, pedestal) read and written with h5wasm. */
export { readGainFile, writeGainFile, moduleSlab, type GainFile, type GainFileContent } from './gain-file';
export { readPedestalFile, writePedestalFile, readCalibration, type PedestalFile } from './pedestal-file';
