/** HDF5 output files: BSREAD/PVCHANNELS, CAMERAS and Jungfrau, written with h5wasm. */
export { loadH5, withH5Errors, BITSHUFFLE_LZ4, type H5, type H5Lib, type H5Module } from './h5';
export { storedDtype, type ByteOrder } from './h5-dtypes';
export { globalDate } from './global-date';
export { BsreadFileWriter, type BsreadGeneral, type BsreadWriterOptions, type ChannelSpec, type Row, type RowValue } from './bsread-writer';
export { dataChunkRows } from './bsread-channel';
export { CamerasFileWriter, type CameraSpec } from './cameras-writer';
export { DetectorFileWriter, MODULE_ROWS, MODULE_COLUMNS, type DetectorFileOptions, type DetectorFrame } from './detector-writer';
