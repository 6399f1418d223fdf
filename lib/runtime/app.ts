import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { AcceptDeps } from '../core/accept';
import type { IdempotentDeps } from '../core/idempotency';
import type { ExecutionLookup, ProgressStore, RunRef, WorkflowInput } from '../core/ports';
import { loadRunContext, RunContextCache } from '../core/run-context';
import { DynamoRunCounter } from '../adapters/dynamodb/run-counter';
import { DynamoIdempotencyStore } from '../adapters/dynamodb/idempotency-store';
import { DynamoOpenRunIndex } from '../adapters/dynamodb/open-run-index';
import { DynamoProgressStore } from '../adapters/dynamodb/progress-store';
import { LocalPgroupFilesystem } from '../adapters/fs/pgroup-fs';
import { LocalScanInfoReader } from '../adapters/fs/scan-info-reader';
import { S3RunRecordStore } from '../adapters/s3/run-records';
import { StepFunctionsExecutionLookup } from '../adapters/sfn/execution-lookup';
import { StepFunctionsWorkflowStarter } from '../adapters/sfn/workflow-starter';
import type { BrokerConfig } from './config';
import { FacilityClock } from '../core/clock';
import type { DoorDeps } from '../core/door';
import type { NameCatalogues } from '../core/names';
import { dataApiChannelCatalogue } from '../adapters/buffers/data-api/channel-search';
import { archiverPvCatalogue } from '../adapters/buffers/archiver/pv-list';
import { oldestDetectorPulse } from '../adapters/buffers/detector/oldest-pulse';
import { parseDetectorName } from '../adapters/buffers/detector/layout';
import { LatestMarkers } from '../adapters/buffers/detector/latest-markers';
import { NoDetectorControl, SimulatedDetectorControl } from '../adapters/detector-control/simulator-control';
import { LocalCalibrationFiles } from '../adapters/fs/calibration-files';
import { LocalPedestalRequestFiles } from '../adapters/fs/pedestal-request-file';
import { S3PedestalStore } from '../adapters/s3/pedestal-store';
import { S3PvListStore } from '../adapters/s3/pv-list-store';
import { StepFunctionsPedestalStarter } from '../adapters/sfn/pedestal-starter';
import type { PedestalTaskDeps } from '../core/detectors/pedestal-tasks';
import type { ModuleMarkers, PvListStore } from '../core/detectors/ports';
import type { PedestalDeps } from '../core/pedestal-run';

/**
 * The broker, composed once from a checked config: every adapter, built
 * here and nowhere else. Lambda handlers build it once per instance
 * (lib/runtime/lambda.ts), the local stack and tests build their own, so two
 * brokers can live in one process.
 */
/** (The pedestal computation's files adapter reads HDF5: the function that computes builds it, so no other bundle loads h5wasm.) */
export interface App extends AcceptDeps, IdempotentDeps, PedestalDeps, Omit<PedestalTaskDeps, 'computeFiles'> {
  config: BrokerConfig;
  counter: DynamoRunCounter;
  fs: LocalPgroupFilesystem;
  store: S3RunRecordStore;
  progress: ProgressStore;
  executions: ExecutionLookup;
  /** The run as the workflow's tasks see it, from its record (cached per instance). */
  runContext(ref: RunRef): Promise<WorkflowInput>;
  /** The detector buffer's LATEST markers (get_running_detectors). */
  markers: ModuleMarkers;
  /** The beamlines' default PV lists (get_pvlist, set_pvlist). */
  pvLists: PvListStore;
}

/** Adapters a test may replace (e.g. a clock). */
export type AppOverrides = Partial<Pick<App, 'now' | 'sleep'>>;

/**
 * Build the broker from a config.
 *
 * @example
 *   const app = buildApp(loadConfig(process.env));
 *   await acceptRetrieve(body, caller, app);
 */
export function buildApp(config: BrokerConfig, overrides: AppOverrides = {}): App {
  // Every SDK call has a deadline: a stalled connection must not hold a Lambda until its timeout.
  const { aws } = config;
  const client = {
    maxAttempts: aws.maxAttempts,
    requestHandler: { connectionTimeout: aws.connectionTimeoutMs, requestTimeout: aws.requestTimeoutMs },
    ...(aws.region ? { region: aws.region } : {}),
    ...(aws.credentials ? { credentials: aws.credentials } : {}),
  };
  const dynamo = new DynamoDBClient({ ...client, ...(aws.endpoints.dynamodb ? { endpoint: aws.endpoints.dynamodb } : {}) });
  const sfn = new SFNClient({ ...client, ...(aws.endpoints.sfn ? { endpoint: aws.endpoints.sfn } : {}) });
  const counter = new DynamoRunCounter(config.runTable, dynamo);
  const fs = new LocalPgroupFilesystem(config.dataRoot);
  // WHEN_REQUIRED: S3 emulators store streamed uploads with flexible checksums corrupted (stack-notes).
  const s3 = new S3Client({ ...client, ...(aws.endpoints.s3 ? { endpoint: aws.endpoints.s3 } : {}), forcePathStyle: aws.s3ForcePathStyle, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const store = new S3RunRecordStore(config.bucket, s3);
  const pvLists = new S3PvListStore(config.bucket, s3);
  const detectors = config.detectors ?? { defaultPvList: [] };
  const defaults = detectors.defaultPvList;
  const contexts = new RunContextCache((ref) => loadRunContext(ref, { store, fs }));
  const now = overrides.now ?? (() => new Date());
  const clock = new FacilityClock(config.buffers.clock);
  const bad = (detector: string) => Object.values(config.facility.beamlines).find((b) => b.detectors?.[detector])?.detectors?.[detector]?.bad_modules ?? 0;
  return {
    config,
    facility: config.facility,
    counter,
    claims: counter,
    idempotency: new DynamoIdempotencyStore(config.runTable, dynamo),
    idempotencySettings: config.idempotency,
    scanInfo: new LocalScanInfoReader(config.dataRoot),
    fs,
    store,
    openRuns: new DynamoOpenRunIndex(config.runTable, dynamo),
    progress: new DynamoProgressStore(config.runTable, dynamo),
    workflow: new StepFunctionsWorkflowStarter(config.stateMachineArn, sfn),
    executions: new StepFunctionsExecutionLookup(config.stateMachineArn, sfn),
    runContext: (ref) => contexts.get(ref),
    door: doorOf(config, now),
    now,
    // Detectors: calibration at accept, default PV lists, pedestal runs, running detectors.
    calibration: new LocalCalibrationFiles(config.dataRoot),
    pvLists,
    defaultPvList: { store: pvLists, appliesTo: (beamline) => defaults === 'all' || defaults.includes(beamline) },
    markers: new LatestMarkers(config.buffers.detectorBufferRoot, now),
    control: detectors.controlUrl ? new SimulatedDetectorControl(detectors.controlUrl) : new NoDetectorControl(),
    pedestals: new S3PedestalStore(config.bucket, s3),
    pedestalWorkflow: detectors.pedestalStateMachineArn
      ? new StepFunctionsPedestalStarter(detectors.pedestalStateMachineArn, sfn)
      : { start: () => Promise.reject(new Error('the pedestal workflow is not configured (SFDAQ_PEDESTAL_STATE_MACHINE_ARN)')) },
    pedestalFiles: new LocalPedestalRequestFiles(config.dataRoot),
    badModules: bad,
    clock,
    detectorDelaySeconds: config.delays.detectorSeconds,
    ...overrides,
  };
}

/**
 * The checks at the door, over the buffers' own catalogues (cached per
 * instance: a warm Lambda answers from memory) and the detector buffer's listing.
 */
function doorOf(config: BrokerConfig, now: () => Date): DoorDeps {
  const { door, buffers } = config;
  const cache = { budgetMs: door.nameBudgetMs, ttlMs: door.nameCacheSeconds * 1000, prepareSuggestions: true, now: () => now().getTime() };
  const catalogues: NameCatalogues = door.checkNames
    ? {
        bs: dataApiChannelCatalogue({ baseUrl: buffers.dataBufferUrl, backend: 'sf-databuffer', ...cache }),
        camera: dataApiChannelCatalogue({ baseUrl: buffers.imageBufferUrl, backend: 'sf-imagebuffer', ...cache }),
        pv: archiverPvCatalogue({ mgmtUrl: door.archiverMgmtUrl, ...cache }),
      }
    : {};
  return {
    catalogues,
    clock: new FacilityClock(buffers.clock),
    nameBudgetMs: door.nameBudgetMs,
    retentionSeconds: door.retentionSeconds,
    horizonPulses: door.horizonPulses,
    delays: config.delays,
    detectorOldestPulse: (detector) => oldestDetectorPulse(buffers.detectorBufferRoot, detector, parseDetectorName(detector).modules),
    now,
    detectorWork: config.detectorWork,
  };
}
