/** What a runner, the tests and the end-to-end check need from the detector buffer simulator. */
export { DetectorBufferSimulator, type DetectorBufferSimulatorOptions } from './simulator';
export { compileFaults, stalePulseId, badPacketCount, type DetectorFaultPlan, type SlotPlan } from './faults';
export { expectedFrameHeader, expectedPixel, fillModulePixels, HITS, type PixelMode } from './frames';
export { deleteExpiredFiles } from './retention';
