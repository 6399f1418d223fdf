/** Jungfrau conversion, masks, geometry, pedestal statistics: pure, no I/O. */
export * from './constants';
export * from './pixel-word';
export * from './detector-name';
export { GEOMETRY_TABLE, UNSUPPORTED_GEOMETRY, type GeometryEntry } from './geometry-table';
export * from './geometry';
export * from './masks';
export * from './calibration';
export * from './options';
export * from './interp';
export * from './converter';
export * from './file-layout';
export * from './pedestal';
export * from './calibration-files';
export * from './frame-selection';
