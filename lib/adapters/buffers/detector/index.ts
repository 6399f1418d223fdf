export * from './layout';
export * from './slot';
export * from './pulses';
export * from './frame';
export * from './reader';
export * from './range-status';
