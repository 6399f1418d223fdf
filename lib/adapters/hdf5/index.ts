/**
 * HDF5 output files: BSREAD/PVCHANNELS and CAMERAS written with the WebAssembly HDF5 engine (./engine),
 * Jungfrau with h5wasm; h5wasm also reads the files back for the check.
 */
export { loadH5, withH5Errors, BITSHUFFLE_LZ4, type H5, type H5Lib, type H5Module } from './h5';
export { storedDtype, engineDtype, type ByteOrder } from './h5-dtypes';
export { globalDate, writeGlobalDate, GLOBAL_DATE_BYTES } from './global-date';
export { BsreadFileWriter, BS_DEFLATE_LEVEL, type BsreadGeneral, type BsreadWriterOptions, type ChannelSpec, type Row, type RowColumns, type RowValue } from './bsread-writer';
export { dataChunkRows, scalarChunkRows } from './bsread-channel';
export { CamerasFileWriter, type CameraSpec } from './cameras-writer';
export { DetectorFileWriter, MODULE_ROWS, MODULE_COLUMNS, type DetectorFileOptions, type DetectorFrame } from './detector-writer';
