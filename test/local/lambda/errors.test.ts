import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LambdaTaskError, taskHandler } from '../../../local/lambda/functions';
import { LocalLambdaService } from '../../../local/lambda/service';
import { alive, fixtureBundles, fixtureService } from './fixture-service';

let lambda: LocalLambdaService;
beforeAll(async () => {
  ({ service: lambda } = await fixtureService({}, { spin: { timeoutSeconds: 1 }, allocate: { memoryMb: 128 } }));
});
afterAll(() => lambda.close());

describe('errors as the Node.js runtime reports them', () => {
  test.for([
    ['throwNamed', 'RangeExpired', 'pulses 1..2 are gone', 'RangeExpired: pulses 1..2 are gone'],
    ['throwUnnamed', 'Error', 'no name set', 'Error: no name set'],
    ['throwTypeError', 'TypeError', "Cannot read properties of undefined (reading 'y')", "TypeError: Cannot read properties of undefined (reading 'y')"],
  ] as const)('%s: errorType = error.name, errorMessage, trace = stack lines', async ([fn, errorType, errorMessage, firstLine]) => {
    const r = await lambda.invoke(fn, {});
    expect(r.functionError).toBe('Unhandled');
    expect(r.payload).toMatchObject({ errorType, errorMessage });
    const trace = (r.payload as { trace: string[] }).trace;
    expect(trace[0]).toBe(firstLine);
    expect(trace[1]).toMatch(new RegExp(`^    at ${fn} \\(file://.*/handlers\\.mjs:\\d+:\\d+\\)$`));
  });

  test('a thrown string: errorType "string", its text, an empty trace', async () => {
    const r = await lambda.invoke('throwString', {});
    expect(r).toMatchObject({ functionError: 'Unhandled', payload: { errorType: 'string', errorMessage: 'just a string', trace: [] } });
  });

  test('a promise never settled, the event loop empty: Runtime.NodeJsExit', async () => {
    const r = await lambda.invoke('neverSettles', {});
    expect(r).toMatchObject({ functionError: 'Unhandled', payload: { errorType: 'Runtime.NodeJsExit' } });
    expect((r.payload as { errorMessage: string }).errorMessage).toMatch(/^The Lambda runtime client detected an unexpected Node\.js exit code\./);
  });

  test('a result JSON cannot hold: "Unable to stringify response body"', async () => {
    const r = await lambda.invoke('circular', {});
    expect(r).toMatchObject({ functionError: 'Unhandled', payload: { errorType: 'Error', errorMessage: 'Unable to stringify response body' } });
  });

  test('a function error keeps the instance (warm next call)', async () => {
    const before = lambda.stats().functions.throwNamed!;
    await lambda.invoke('throwNamed', {});
    const after = lambda.stats().functions.throwNamed!;
    expect(after.pids).toEqual(before.pids);
    expect(after.coldStarts).toBe(before.coldStarts);
  });
});

describe('the environment dies', () => {
  test('unhandled rejection: Runtime.UnhandledPromiseRejection, the process exits, the next call is cold', async () => {
    const r = await lambda.invoke('rejectLater', {});
    expect(r).toMatchObject({ functionError: 'Unhandled', payload: { errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: 'Error: nobody awaited me' } });
    expect((r.payload as { trace: string[] }).trace[0]).toBe('Runtime.UnhandledPromiseRejection: Error: nobody awaited me');
    await lambda.invoke('rejectLater', {});
    expect(lambda.stats().functions.rejectLater).toMatchObject({ coldStarts: 2, instances: 0 });
  });

  test('uncaught exception: reported as the error itself, then the process exits', async () => {
    const r = await lambda.invoke('throwInTimer', {});
    expect(r).toMatchObject({ functionError: 'Unhandled', payload: { errorType: 'TypeError', errorMessage: 'thrown from a timer' } });
    expect(lambda.stats().functions.throwInTimer!.instances).toBe(0);
  });

  test('process.exit(1): Runtime.ExitError "exit status 1"', async () => {
    const r = await lambda.invoke('exitOne', {});
    expect(r).toEqual({
      requestId: r.requestId,
      functionError: 'Unhandled',
      payload: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${r.requestId} Error: Runtime exited with error: exit status 1` },
    });
  });

  test('timeout: the process is killed, Sandbox.Timedout, the next call is cold', async () => {
    const t0 = performance.now();
    const spinning = lambda.invoke('spin', {});
    await new Promise((r) => setTimeout(r, 300));
    const [pid] = lambda.stats().functions.spin!.pids;
    expect(alive(pid!)).toBe(true);
    const r = await spinning;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(r).toEqual({
      requestId: r.requestId,
      functionError: 'Unhandled',
      payload: { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${r.requestId} Error: Task timed out after 1.00 seconds` },
    });
    expect(alive(pid!)).toBe(false);
    expect(lambda.stats().functions.spin).toMatchObject({ instances: 0, timeouts: 1 });
    await lambda.invoke('spin', {});
    expect(lambda.stats().functions.spin).toMatchObject({ coldStarts: 2, timeouts: 2 });
  });

  test('memory: Buffers past the memory size (outside the V8 heap) -> Runtime.OutOfMemory, killed', async () => {
    const r = await lambda.invoke('allocate', { mb: 200, kind: 'buffer' });
    expect(r).toMatchObject({
      functionError: 'Unhandled',
      payload: { errorType: 'Runtime.OutOfMemory', errorMessage: `RequestId: ${r.requestId} Error: Runtime exited with error: signal: killed` },
    });
    const fine = await lambda.invoke('allocate', { mb: 20, kind: 'buffer' });
    expect(fine.functionError).toBeUndefined();
  });

  test('memory: the V8 heap limit alone (no RSS sampling) -> Runtime.OutOfMemory', async () => {
    const { service } = await fixtureService({ memoryCheckMs: 0 }, { allocate: { memoryMb: 128, timeoutSeconds: 30 } }); // GC thrashes near the limit: slow on a busy machine
    try {
      const r = await service.invoke('allocate', { mb: 400, kind: 'heap' });
      expect(r).toMatchObject({ functionError: 'Unhandled', payload: { errorType: 'Runtime.OutOfMemory' } });
      expect((r.payload as { errorMessage: string }).errorMessage).toMatch(/^RequestId: \S+ Error: Runtime exited with error: signal: aborted$/);
    } finally {
      await service.close();
    }
  });

  test('a missing export: Runtime.HandlerNotFound, as the init error of the call that started it', async () => {
    const bundle = (await fixtureBundles()).functions.echo!;
    const broken = new LocalLambdaService({
      functions: [{ name: 'broken', file: bundle.file, exportName: 'nope', handler: 'test/local/lambda/fixtures/handlers.nope', timeoutSeconds: 5, memoryMb: 128, environment: {} }],
      logSink: () => undefined,
    });
    try {
      const r = await broken.invoke('broken', {});
      expect(r).toMatchObject({ functionError: 'Unhandled', payload: { errorType: 'Runtime.HandlerNotFound', errorMessage: 'test/local/lambda/fixtures/handlers.nope is undefined or not exported' } });
      expect(broken.stats().functions.broken!.instances).toBe(0);
    } finally {
      await broken.close();
    }
  });
});

describe('as a Step Functions task', () => {
  test('a function error is thrown with name = errorType and the payload as JSON (the Cause)', async () => {
    const error = await taskHandler(lambda, 'throwNamed')({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LambdaTaskError);
    expect(error).toMatchObject({ name: 'RangeExpired' });
    expect(JSON.parse((error as Error).message)).toMatchObject({ errorType: 'RangeExpired', errorMessage: 'pulses 1..2 are gone', trace: expect.any(Array) });
    expect(await taskHandler(lambda, 'sleepy')({ ms: 0 })).toMatchObject({ pid: expect.any(Number) });
  });
});

describe('callbackWaitsForEmptyEventLoop (callback handlers)', () => {
  test('true: the answer waits until the event loop is empty; false: it goes at once', async () => {
    await lambda.invoke('callbackWaits', { wait: false, ms: 0 }); // warm
    let t0 = performance.now();
    await lambda.invoke('callbackWaits', { wait: true, ms: 500 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(480);
    t0 = performance.now();
    await lambda.invoke('callbackWaits', { wait: false, ms: 2000 });
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
