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

/**
 * The broker, composed once from a checked config: every adapter, built
 * here and nowhere else. Lambda handlers build it once per instance
 * (lib/runtime/lambda.ts), the local stack and tests build their own, so two
 * brokers can live in one process.
 */
export interface App extends AcceptDeps, IdempotentDeps {
  config: BrokerConfig;
  counter: DynamoRunCounter;
  fs: LocalPgroupFilesystem;
  store: S3RunRecordStore;
  progress: ProgressStore;
  executions: ExecutionLookup;
  /** The run as the workflow's tasks see it, from its record (cached per instance). */
  runContext(ref: RunRef): Promise<WorkflowInput>;
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
  const store = new S3RunRecordStore(
    config.bucket,
    // WHEN_REQUIRED: S3 emulators store streamed uploads with flexible checksums corrupted (stack-notes).
    new S3Client({ ...client, ...(aws.endpoints.s3 ? { endpoint: aws.endpoints.s3 } : {}), forcePathStyle: aws.s3ForcePathStyle, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }),
  );
  const contexts = new RunContextCache((ref) => loadRunContext(ref, { store, fs }));
  const now = overrides.now ?? (() => new Date());
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
