import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalStepFunctions, PAYLOAD_LIMIT_BYTES, type LocalStateMachine } from '../../local/emulators/stepfunctions';
import type { LocalLambdaService } from '../../local/lambda/service';
import { fixtureService } from './lambda/fixture-service';

const ARN = 'arn:aws:states:eu-central-1:000000000000:stateMachine:';
const lambdaArn = (fn: string) => `arn:aws:lambda:eu-central-1:000000000000:function:${fn}`;

let dir: string;
let sfn: LocalStepFunctions;
let client: SFNClient;
let lambda: LocalLambdaService;
let close: () => Promise<void>;

/** Register a machine whose Task states invoke the fixture functions through the local Lambda service (a process per instance). */
function machine(name: string, definition: object, tasks: Record<string, string>, extra: Partial<LocalStateMachine> = {}): string {
  const arn = `${ARN}${name}`;
  sfn.register({
    arn,
    definition: definition as StateMachineDefinition,
    tasks: Object.fromEntries(Object.entries(tasks).map(([state, fn]) => [state, { functionName: fn, timeoutSeconds: lambda.configuration(fn).timeoutSeconds }])),
    invoke: (fn, input) => lambda.invoke(fn, input),
    ...extra,
  });
  return arn;
}

async function run(arn: string, input: unknown, name?: string) {
  const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify(input), ...(name ? { name } : {}) }));
  await sfn.idle();
  return client.send(new DescribeExecutionCommand({ executionArn }));
}

const task = (fn: string, more: object = {}) => ({ Type: 'Task', Resource: lambdaArn(fn), ...more });
const catchAll = { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }] };
const caught = { Caught: { Type: 'Pass', End: true } };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sfn-strict-'));
  ({ service: lambda } = await fixtureService({}, { sleepy: { timeoutSeconds: 1 } }));
  sfn = new LocalStepFunctions(dir);
  const server = await sfn.listen(0);
  client = new SFNClient({ endpoint: server.endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  close = async () => {
    await server.close();
    await lambda.close();
  };
});
afterAll(async () => {
  await close?.();
  await rm(dir, { recursive: true, force: true });
});

describe('StartExecution as AWS answers it', () => {
  test('input over 262,144 UTF-8 bytes: ValidationException, nothing started (é counts 2 bytes)', async () => {
    const arn = machine('start-limit', { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, {});
    const fits = { s: 'é'.repeat((PAYLOAD_LIMIT_BYTES - 10) / 2 - 1) };
    expect(Buffer.byteLength(JSON.stringify(fits))).toBeLessThanOrEqual(PAYLOAD_LIMIT_BYTES);
    expect((await run(arn, fits)).status).toBe('SUCCEEDED');
    const over = { s: 'é'.repeat(PAYLOAD_LIMIT_BYTES / 2) };
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify(over) }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{not json' }))).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
  });

  test('execution names: 80 characters at most, no forbidden characters; same name and input while running is the same execution', async () => {
    const arn = machine('names', { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 1, End: true } } }, {});
    const start = (name: string, input = '{}') => client.send(new StartExecutionCommand({ stateMachineArn: arn, name, input }));
    await expect(start('x'.repeat(81))).rejects.toMatchObject({ name: 'ValidationException' });
    for (const bad of ['two words', 'a/b', 'a:b', 'a#b', 'a{b}', 'tab\there']) await expect(start(bad)).rejects.toMatchObject({ name: 'InvalidName' });
    const first = await start('alvra-p12345-run_000001.retry!');
    expect((await start('alvra-p12345-run_000001.retry!')).executionArn).toBe(first.executionArn);
    await expect(start('alvra-p12345-run_000001.retry!', '{"other":1}')).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    await sfn.idle();
    await expect(start('alvra-p12345-run_000001.retry!')).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' }); // closed: still taken
  });
});

describe('payload limits inside an execution: States.DataLimitExceeded, which States.ALL does not catch', () => {
  test('a task result over 256 KB fails the execution; its Catch and Retry never run', async () => {
    const arn = machine('result-limit', {
      StartAt: 'Big',
      States: { Big: task('big', { Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 3, IntervalSeconds: 1 }], ...catchAll, End: true }), ...caught },
    }, { Big: 'big' }, { retryTimeScale: 0.01 });
    const out = await run(arn, { bytes: PAYLOAD_LIMIT_BYTES });
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('States.DataLimitExceeded');
    expect((await run(arn, { bytes: 1000 })).status).toBe('SUCCEEDED');
  });

  test("a Map's results over 256 KB fail the execution where they are handed to the next task", async () => {
    const arn = machine('map-limit', {
      StartAt: 'Each',
      States: {
        Each: { Type: 'Map', ItemsPath: '$.items', ItemProcessor: { StartAt: 'Big', States: { Big: task('big', { End: true }) } }, ResultPath: '$.results', Next: 'Then' },
        Then: task('echo', { ...catchAll, End: true }),
        ...caught,
      },
    }, { Big: 'big', Then: 'echo' });
    const items = (n: number) => ({ items: Array.from({ length: n }, () => ({ bytes: 100_000 })) });
    expect((await run(arn, items(2))).status).toBe('SUCCEEDED');
    const out = await run(arn, items(3));
    expect([out.status, out.error]).toEqual(['FAILED', 'States.DataLimitExceeded']);
  });
});

describe('Lambda tasks as Step Functions sees them', () => {
  test('a function error: Error = errorType, Cause = the Lambda error JSON (errorType, errorMessage, trace)', async () => {
    const arn = machine('errors', { StartAt: 'Fail', States: { Fail: task('throwNamed', { ...catchAll, End: true }), ...caught } }, { Fail: 'throwNamed' });
    const out = await run(arn, {});
    const error = (JSON.parse(out.output!) as { error: { Error: string; Cause: string } }).error;
    const cause = JSON.parse(error.Cause) as { errorType: string; errorMessage: string; trace: string[] };
    expect(error.Error).toBe(cause.errorType);
    expect(cause.errorMessage).toEqual(expect.any(String));
    expect(cause.trace.length).toBeGreaterThan(1);
  });

  test("no default task timeout: the function's own timeout ends it (Sandbox.Timedout, retried as listed), not the library's 60 s", async () => {
    const arn = machine('timeout', {
      StartAt: 'Slow',
      States: { Slow: task('sleepy', { Retry: [{ ErrorEquals: ['Sandbox.Timedout'], MaxAttempts: 1, IntervalSeconds: 1 }], ...catchAll, End: true }), ...caught },
    }, { Slow: 'sleepy' }, { retryTimeScale: 0.01 });
    const t0 = Date.now();
    const out = await run(arn, { ms: 3_000 });
    const error = (JSON.parse(out.output!) as { error: { Error: string; Cause: string } }).error;
    expect(error.Error).toBe('Sandbox.Timedout');
    expect(JSON.parse(error.Cause).errorMessage).toMatch(/Task timed out after 1\.00 seconds/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2_000); // two attempts of 1 s each
  });
});

describe('inline Map and Retry timing', () => {
  test('an inline Map runs at most 40 iterations at once, whatever MaxConcurrency says', async () => {
    let running = 0;
    let peak = 0;
    const arn = `${ARN}map-40`;
    sfn.register({
      arn,
      definition: { StartAt: 'Each', States: { Each: { Type: 'Map', MaxConcurrency: 100, ItemProcessor: { StartAt: 'T', States: { T: task('echo', { End: true }) } }, End: true } } } as unknown as StateMachineDefinition,
      tasks: { T: { functionName: 'echo', timeoutSeconds: 5 } },
      // The tasks here only count: what is measured is the emulator's Map, not a function.
      invoke: async () => {
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 50));
        running--;
        return { payload: 'ok' };
      },
    });
    expect((await run(arn, Array.from({ length: 100 }, (_, i) => i))).status).toBe('SUCCEEDED');
    expect(peak).toBe(40);
  });

  test('retryTimeScale shortens Retry intervals and MaxDelaySeconds, keeping the backoff', async () => {
    const gaps: number[] = [];
    let last = 0;
    const arn = `${ARN}retry-scale`;
    sfn.register({
      arn,
      definition: {
        StartAt: 'T',
        States: { T: task('echo', { Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 10, BackoffRate: 2, MaxAttempts: 4, MaxDelaySeconds: 30 }], End: true }) },
      } as unknown as StateMachineDefinition,
      tasks: { T: { functionName: 'echo', timeoutSeconds: 5 } },
      retryTimeScale: 0.01,
      invoke: async () => {
        const now = Date.now();
        if (last) gaps.push(now - last);
        last = now;
        return gaps.length < 4 ? { functionError: 'Unhandled', payload: { errorType: 'Flaky', errorMessage: 'not yet', trace: [] } } : { payload: 'ok' };
      },
    });
    expect((await run(arn, {})).status).toBe('SUCCEEDED');
    // 10, 20, 40 -> 30 (MaxDelaySeconds), 30 s scaled by 0.01: 100, 200, 300, 300 ms.
    expect(gaps.map((g) => Math.round(g / 100))).toEqual([1, 2, 3, 3]);
  });
});
