/** What a runner, the tests and the end-to-end check need from the detector buffer simulator. */
export { DetectorBufferSimulator, PedestalBusy, type DetectorBufferSimulatorOptions, type TakePedestalOptions } from './simulator';
export { startDetectorControl, type DetectorControlServer, type DetectorControlOptions } from './control-server';
export { compileFaults, stalePulseId, badPacketCount, type DetectorFaultPlan, type SlotPlan } from './faults';
export { expectedFrameHeader, expectedPixel, fillModulePixels, writesAllRows, hitsOf, photonWord, HITS, DENSE_HITS, type Hit, type PixelMode } from './frames';
export { deleteExpiredFiles } from './retention';
export { firmwarePedestal, manualPedestal, pedestalGainAt, pedestalStopPulseId, PEDESTAL_GAINS, type PedestalSchedule } from './pedestal-mode';
export { gainValue, pedestalAdc, pixelDefect, moduleDefects, NOISE_RMS } from './calibration';
export { publishCalibration, simulatedPedestal, PUBLISHED_PEDESTAL_STAMP, type PublishOptions, type PublishedCalibration } from './publish';
export { SIMULATED_DETECTORS, type SimulatedDetector } from './catalogue';
