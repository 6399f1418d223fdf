/** What a runner needs to serve a simulated EPICS Archiver Appliance. */
export { startArchiverSimulator, type ArchiverSimulator, type ArchiverSimulatorOptions } from './server';
export {
  ArchiverCatalogue,
  builtInPvs,
  createCatalogue,
  latestMetadata,
  PV,
  samplesBetween,
  valueAt,
  type CatalogueSample,
  type PvDefinition,
  type SimValue,
} from './catalogue';
export { gridSchedule, pulseSchedule, slottedSchedule, type Change, type Schedule } from './schedules';
export { javaDoubleToString } from './java-double';
