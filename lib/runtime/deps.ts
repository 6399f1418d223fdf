import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { AcceptDeps } from '../core/accept';
import { DynamoRunCounter } from '../adapters/dynamodb/run-counter';
import { LocalPgroupFilesystem } from '../adapters/fs/pgroup-fs';
import { S3RunRecordStore } from '../adapters/s3/run-records';
import { StepFunctionsWorkflowStarter } from '../adapters/sfn/workflow-starter';
import { DynamoIdempotencyStore } from '../adapters/dynamodb/idempotency-store';
import { LocalScanInfoReader } from '../adapters/fs/scan-info-reader';
import { LocalRunRecordLister } from '../adapters/fs/run-record-lister';
import { StepFunctionsExecutionLookup } from '../adapters/sfn/execution-lookup';
import type { IdempotentDeps } from '../core/idempotency';
import { recoverAcceptedRuns, type RecoveryReport } from '../core/recover';
import { loadConfig, type BrokerConfig } from './config';
import { log } from './logger';

export interface Deps extends AcceptDeps, IdempotentDeps {
  config: BrokerConfig;
  counter: DynamoRunCounter;
  fs: LocalPgroupFilesystem;
}

/** Build the adapters from a config (one per process; tests build their own). */
export function buildDeps(config: BrokerConfig): Deps {
  const dynamo = new DynamoDBClient({});
  const counter = new DynamoRunCounter(config.runTable, dynamo);
  return {
    config,
    facility: config.facility,
    counter,
    claims: counter,
    idempotency: new DynamoIdempotencyStore(config.runTable, dynamo),
    idempotencySettings: config.idempotency,
    scanInfo: new LocalScanInfoReader(config.dataRoot),
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

/**
 * The recovery sweep over this process's deps (lib/core/recover.ts): start the
 * retrieval of runs recorded but never handed to the workflow. The local
 * stack runs it at every start, after the Step Functions emulator resumed.
 */
export async function recoverRuns(): Promise<RecoveryReport> {
  const d = deps();
  let report: RecoveryReport;
  try {
    report = await recoverAcceptedRuns({
      ...d,
      records: new LocalRunRecordLister(d.config.dataRoot),
      executions: new StepFunctionsExecutionLookup(d.config.stateMachineArn, new SFNClient({})),
    });
  } catch (error) {
    // Never keep the broker from starting: what the sweep missed, the next start sweeps again.
    log.error('recovery sweep failed', { message: (error as Error).message });
    return { examined: 0, started: [], running: [], failed: [], unreadable: [{ path: '(sweep)', reason: (error as Error).message }] };
  }
  if (report.started.length || report.running.length || report.failed.length || report.unreadable.length) log.warn('recovery sweep', { ...report });
  return report;
}
