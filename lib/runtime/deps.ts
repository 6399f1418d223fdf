import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { AcceptDeps } from '../core/accept';
import { DynamoRunCounter } from '../adapters/dynamodb/run-counter';
import { LocalPgroupFilesystem } from '../adapters/fs/pgroup-fs';
import { S3RunRecordStore } from '../adapters/s3/run-records';
import { StepFunctionsWorkflowStarter } from '../adapters/sfn/workflow-starter';
import { loadConfig, type BrokerConfig } from './config';

export interface Deps extends AcceptDeps {
  config: BrokerConfig;
  counter: DynamoRunCounter;
  fs: LocalPgroupFilesystem;
}

/** Build the adapters from a config (one per process; tests build their own). */
export function buildDeps(config: BrokerConfig): Deps {
  return {
    config,
    facility: config.facility,
    counter: new DynamoRunCounter(config.runTable, new DynamoDBClient({})),
    fs: new LocalPgroupFilesystem(config.dataRoot),
    store: new S3RunRecordStore(
      config.bucket,
      // WHEN_REQUIRED: S3 emulators store streamed uploads with flexible checksums corrupted (stack-notes).
      new S3Client({ forcePathStyle: config.s3ForcePathStyle, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }),
    ),
    workflow: new StepFunctionsWorkflowStarter(config.stateMachineArn, new SFNClient({})),
    now: () => new Date(),
  };
}

let cached: Deps | undefined;

/** The process's dependencies, built from the environment on first use (Lambda cold start). */
export function deps(): Deps {
  cached ??= buildDeps(loadConfig());
  return cached;
}

/** For the local stack and tests: drop the cached deps after the environment changed. */
export function resetDeps(): void {
  cached = undefined;
}
