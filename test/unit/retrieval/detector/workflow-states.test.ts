/**
 * The retrieval workflow (statemachine/retrieve.asl.json, as serverless.yml
 * deploys it) at the largest run the deployment accepts: 32 detectors x
 * 60,001 pulses (2 modules each: 4 TB, 480 parts) plus the three other
 * sources, on the strict Step Functions emulator, which fails the execution
 * (States.DataLimitExceeded, uncatchable) as soon as any state passes 256 KB.
 * The tasks are stand-ins answering as the real ones do (sizes matter here,
 * not files); half the parts crash at every attempt with the Lambda error a
 * crash gives (3 KB with its trace: 720 KB if the states kept them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterAll, expect, test } from 'vitest';
import { DEFAULT_DETECTOR_WORK, detectorVolume, detectorWork, volumeProblem } from '../../../../lib/core/detector-work';
import type { ItemResult } from '../../../../lib/core/outcome';
import type { PlannedItem } from '../../../../lib/core/plan';
import type { RunRequest } from '../../../../lib/core/run-request';
import { LocalStepFunctions, PAYLOAD_LIMIT_BYTES, type TaskInvocation } from '../../../../local/emulators/stepfunctions';
import { loadServerlessYml, loadStateMachine } from '../../../../local/serverless-config';
import { resolveParams } from '../../../../local/serverless-params';

const dir = mkdtempSync(join(tmpdir(), 'detector-states-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const detectors = Array.from({ length: 32 }, (_, i) => `JF${String(10 + i)}T02V01`);
const request = {
  pgroup: 'p12345', start_pulseid: 10_000_000_000, stop_pulseid: 10_000_060_000, rate_multiplicator: 1,
  channels_list: ['A'], camera_list: ['B:FPICTURE'], pv_list: ['C'], detectors: Object.fromEntries(detectors.map((d) => [d, {}])),
} as RunRequest;
const ref = { beamline: 'alvra', pgroup: 'p12345', run_number: 123456 };
const notBefore = new Date(Date.now() - 1000).toISOString();

test('the largest run accepted keeps every state under 256 KB, failing parts included', async () => {
  const volume = detectorVolume(request, DEFAULT_DETECTOR_WORK);
  expect(volumeProblem(volume, DEFAULT_DETECTOR_WORK)).toBeUndefined(); // accepted at the door
  expect(volume.items).toBe(480);
  expect(volume.bytes).toBeGreaterThan(4e12);

  const items: PlannedItem[] = [
    ...['BSREAD', 'CAMERAS', 'PVCHANNELS'].map((source) => ({ source, kind: (source === 'BSREAD' ? 'data' : source === 'CAMERAS' ? 'image' : 'archiver') as PlannedItem['kind'], not_before: notBefore })),
    ...detectors.flatMap((source) => Array.from({ length: detectorWork(request, source, DEFAULT_DETECTOR_WORK).parts }, (_, part) => ({ source, kind: 'detector' as const, not_before: notBefore, part }))),
  ];
  const sizes: Record<string, number> = {};
  const seen = (state: string, value: unknown) => (sizes[state] = Math.max(sizes[state] ?? 0, Buffer.byteLength(JSON.stringify(value))));
  const bigCause = JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: 'RequestId: x Error: Runtime exited with error: signal: killed', trace: Array.from({ length: 40 }, (_, i) => `    at frame${i} (/var/task/functions/workflow/retrieve-detector-part.mjs:${i}:1)`) });
  expect(bigCause.length * 240).toBeGreaterThan(PAYLOAD_LIMIT_BYTES * 2);
  const fakes: Record<string, (input: any) => TaskInvocation> = {
    planRetrieval: () => ({ payload: { ...ref, items } }),
    retrieveSource: (input) => ({ payload: { source: input.item.source, kind: input.item.kind, state: 'done' } }),
    // every other part crashes at every attempt (a Lambda error of 3 KB: the Catch's Cause)
    retrieveDetectorPart: (input) =>
      input.item.part % 2 === 0 ? { functionError: 'Unhandled', payload: { ...JSON.parse(bigCause) } } : { payload: { source: input.item.source, kind: 'detector', part: input.item.part, state: 'done' } },
    detectorPartFailed: (input) => ({ payload: { source: input.item.source, kind: 'detector', part: input.item.part, state: 'failed' } }),
    finishDetectors: (input: { results: ItemResult[] }) => {
      seen('FinishDetectors input', input);
      const bySource = new Map<string, ItemResult>();
      for (const r of input.results) if (!bySource.has(r.source) || r.state === 'failed') bySource.set(r.source, { source: r.source, kind: r.kind, state: r.state, ...(r.state === 'failed' ? { reason: `part ${r.part} of 15 (frames 12000..15999, pulse ids 10000012000..10000015999) failed after 3 attempts: the worker stopped unexpectedly` } : {}) });
      return { payload: { ...ref, results: [...bySource.values()] } };
    },
    checkRun: (input) => ({ payload: input }),
    recordOutcome: (input) => {
      seen('RecordOutcome input', input);
      return { payload: { ...ref, state: 'done_with_problems' } };
    },
  };

  const serverless = resolveParams(loadServerlessYml());
  const { definition, taskFunctions } = loadStateMachine(serverless, 'retrieve');
  const sfn = new LocalStepFunctions(join(dir, 'executions'));
  const server = await sfn.listen(0);
  try {
    const arn = 'arn:aws:states:eu-central-1:000000000000:stateMachine:states-test';
    sfn.register({
      arn,
      definition: definition as unknown as StateMachineDefinition,
      tasks: Object.fromEntries(Object.entries(taskFunctions).map(([state, fn]) => [state, { functionName: fn, timeoutSeconds: 900 }])),
      invoke: async (fn, input) => fakes[fn]!(input),
      retryTimeScale: 0.0001,
    });
    const client = new SFNClient({ endpoint: server.endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify(ref) }));
    await sfn.idle();
    const done = await client.send(new DescribeExecutionCommand({ executionArn }));
    expect(done.status, `${done.error}: ${done.cause}`).toBe('SUCCEEDED');
  } finally {
    await server.close();
  }
  console.log(`largest states: Plan output ${Buffer.byteLength(JSON.stringify({ ...ref, items }))} B, Map results ${sizes['FinishDetectors input']} B, outcome input ${sizes['RecordOutcome input']} B`);
  // The Map's result array, the largest state: 483 results of a few dozen bytes.
  expect(sizes['FinishDetectors input']!).toBeLessThan(PAYLOAD_LIMIT_BYTES / 4);
  expect(Buffer.byteLength(JSON.stringify({ ...ref, items }))).toBeLessThan(PAYLOAD_LIMIT_BYTES / 4);
  expect(sizes['RecordOutcome input']!).toBeLessThan(16_384);
}, 120_000);
