import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { LocalLambdaService } from '../../../local/lambda/service';
import { alive, fixtureService } from './fixture-service';

interface Echo {
  pid: number;
  calls: number;
  started: number;
  cwd: string;
  env: Record<string, string | undefined>;
  execArgv: string[];
  context: { functionName: string; awsRequestId: string; invokedFunctionArn: string; memoryLimitInMB: string; remaining: number; callbackWaitsForEmptyEventLoop: boolean };
}

/** Poll until `check` holds (2 s at most). */
async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(check()).toBe(true);
}

const services: LocalLambdaService[] = [];
async function service(...args: Parameters<typeof fixtureService>): Promise<LocalLambdaService> {
  const { service: s } = await fixtureService(...args);
  services.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
});

describe('execution environments', () => {
  beforeAll(() => {
    process.env.FIXTURE_PARENT_ONLY = 'the test process only';
  });
  afterAll(() => {
    delete process.env.FIXTURE_PARENT_ONLY;
  });

  test('sequential events: one process, module state kept; Lambda context and environment, none of the parent\'s', async () => {
    const lambda = await service({}, { echo: { memoryMb: 300, environment: { FIXTURE_VALUE: 'v1' } } });
    const first = await lambda.invoke('echo', { n: 1 });
    const second = await lambda.invoke('echo', { n: 2 });
    const a = first.payload as Echo;
    const b = second.payload as Echo;
    expect(first.functionError).toBeUndefined();
    expect(a.pid).not.toBe(process.pid);
    expect(b.pid).toBe(a.pid);
    expect([a.calls, b.calls]).toEqual([1, 2]);
    expect(b.started).toBe(a.started);
    expect(a.env).toEqual({ name: 'echo', memory: '300', handler: 'test/local/lambda/fixtures/handlers.echo', custom: 'v1', tz: ':UTC' });
    expect(a.execArgv).toEqual(expect.arrayContaining(['--max-old-space-size=270', '--max-semi-space-size=15']));
    expect(a.context).toMatchObject({
      functionName: 'echo',
      awsRequestId: first.requestId,
      invokedFunctionArn: 'arn:aws:lambda:eu-central-1:000000000000:function:echo',
      memoryLimitInMB: '300',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(a.context.remaining).toBeGreaterThan(3000);
    expect(a.context.remaining).toBeLessThanOrEqual(5000);
    expect(lambda.stats().functions.echo).toMatchObject({ instances: 1, idle: 1, coldStarts: 1, invocations: 2, pids: [a.pid] });
  });

  test('concurrent events: one process each', async () => {
    const lambda = await service();
    const results = await Promise.all([1, 2, 3].map(() => lambda.invoke('sleepy', { ms: 400 })));
    const pids = results.map((r) => (r.payload as { pid: number }).pid);
    expect(new Set(pids).size).toBe(3);
    expect(lambda.stats().functions.sleepy).toMatchObject({ instances: 3, coldStarts: 3 });
  });

  test('at the cap, an event waits for a free instance', async () => {
    const lambda = await service({ maxInstancesPerFunction: 2 });
    const t0 = performance.now();
    const results = await Promise.all([1, 2, 3, 4].map(() => lambda.invoke('sleepy', { ms: 400 })));
    const pids = results.map((r) => (r.payload as { pid: number }).pid);
    expect(new Set(pids).size).toBe(2);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(800);
    expect(lambda.stats().functions.sleepy).toMatchObject({ instances: 2, coldStarts: 2, invocations: 4 });
  });

  test('an idle instance is stopped after idleInstanceMs; the next event is a cold start', async () => {
    const lambda = await service({ idleInstanceMs: 150 });
    const first = (await lambda.invoke('echo', {})).payload as Echo;
    await new Promise((r) => setTimeout(r, 600));
    expect(lambda.stats().functions.echo!.instances).toBe(0);
    expect(alive(first.pid)).toBe(false);
    const second = (await lambda.invoke('echo', {})).payload as Echo;
    expect(second.pid).not.toBe(first.pid);
    expect(second.calls).toBe(1);
  });

  test('two services in one process are independent', async () => {
    const [one, two] = [await service(), await service()];
    const a = (await one.invoke('echo', {})).payload as Echo;
    const b = (await two.invoke('echo', {})).payload as Echo;
    expect(b.pid).not.toBe(a.pid);
    expect([a.calls, b.calls]).toEqual([1, 1]);
  });

  test('close() stops every instance', async () => {
    const lambda = await service();
    const pids = (await Promise.all([1, 2].map(() => lambda.invoke('sleepy', { ms: 200 })))).map((r) => (r.payload as { pid: number }).pid);
    expect(pids.every(alive)).toBe(true);
    await lambda.close();
    expect(pids.some(alive)).toBe(false);
    await expect(lambda.invoke('echo', {})).rejects.toThrow(/closed/);
  });

  test('updateFunctionConfiguration: later events run in new environments with the new settings; a busy one finishes first', async () => {
    const lambda = await service();
    const before = (await lambda.invoke('echo', {})).payload as Echo;
    const busy = lambda.invoke('sleepy', { ms: 500 });
    await new Promise((r) => setTimeout(r, 200));
    await lambda.updateFunctionConfiguration('echo', { environment: { FIXTURE_VALUE: 'changed' }, memoryMb: 200 });
    await lambda.updateFunctionConfiguration('sleepy', { timeoutSeconds: 6 });
    expect(alive(before.pid)).toBe(false);
    const after = (await lambda.invoke('echo', {})).payload as Echo;
    expect(after.pid).not.toBe(before.pid);
    expect(after.env).toMatchObject({ custom: 'changed', memory: '200' });
    const sleptIn = ((await busy).payload as { pid: number }).pid;
    await eventually(() => !alive(sleptIn)); // retired after its event, not put back
    expect(lambda.stats().functions.sleepy!.instances).toBe(0);
    expect(lambda.configuration('sleepy').timeoutSeconds).toBe(6);
  });

  test('unknown function: ResourceNotFoundException', async () => {
    const lambda = await service();
    await expect(lambda.invoke('nope', {})).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Function not found: arn:aws:lambda:eu-central-1:000000000000:function:nope',
    });
  });

  test('instances\' output reaches the log sink, with START/END/REPORT lines', async () => {
    const { service: lambda, logs } = await fixtureService();
    services.push(lambda);
    const r = await lambda.invoke('throwNamed', {});
    expect(logs).toEqual(expect.arrayContaining([
      `throwNamed platform START RequestId: ${r.requestId} Version: $LATEST`,
      expect.stringMatching(/^throwNamed stderr Invoke Error \t\{"errorType":"RangeExpired"/),
      expect.stringMatching(new RegExp(`^throwNamed platform REPORT RequestId: ${r.requestId}\tDuration: .* ms\tBilled Duration: \\d+ ms\tMemory Size: 256 MB\tMax Memory Used: [1-9]\\d* MB\tInit Duration: .*\tStatus: error\tError Type: RangeExpired$`)),
    ]));
  });
});
