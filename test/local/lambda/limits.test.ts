import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DestinationRecord } from '../../../local/lambda/async';
import type { LocalLambdaService } from '../../../local/lambda/service';
import { fixtureService } from './fixture-service';

let lambda: LocalLambdaService;
let dir: string;
let dlqFile: string;
const failed: DestinationRecord[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lambda-limits-'));
  dlqFile = join(dir, 'dlq', 'failed.jsonl');
  ({ service: lambda } = await fixtureService({ async: { retryDelaysMs: [50, 100], dlqFile, onFailure: (r) => failed.push(r) } }));
});
afterAll(async () => {
  await lambda.close();
  await rm(dir, { recursive: true, force: true });
});

/** An event for `big` whose JSON text is exactly `bytes` long (big answers with 'x' repeated event.bytes times). */
function eventOf(bytes: number, answer = 1): { bytes: number; pad: string } {
  const base = JSON.stringify({ bytes: answer, pad: '' }).length;
  return { bytes: answer, pad: 'p'.repeat(bytes - base) };
}

describe('synchronous payloads: 6 MB each way', () => {
  test('a request of 6,291,456 bytes runs; one byte more is refused before any instance runs (RequestEntityTooLargeException)', async () => {
    expect(JSON.stringify(eventOf(6_291_456)).length).toBe(6_291_456);
    expect((await lambda.invoke('big', eventOf(6_291_456))).payload).toBe('x');
    const before = lambda.stats().functions.big!.invocations;
    await expect(lambda.invoke('big', eventOf(6_291_457))).rejects.toMatchObject({
      name: 'RequestEntityTooLargeException',
      statusCode: 413,
      message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
    });
    expect(lambda.stats().functions.big!.invocations).toBe(before);
  });

  test('a response of 6,291,556 bytes passes; one more is Function.ResponseSizeTooLarge', async () => {
    const ok = await lambda.invoke('big', { bytes: 6_291_554 }); // the JSON string: 2 quotes more
    expect(ok.functionError).toBeUndefined();
    expect((ok.payload as string).length).toBe(6_291_554);
    const tooBig = await lambda.invoke('big', { bytes: 6_291_555 });
    expect(tooBig).toMatchObject({
      functionError: 'Unhandled',
      payload: { errorType: 'Function.ResponseSizeTooLarge', errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).' },
    });
  });
});

describe('asynchronous invocation (Event)', () => {
  test('256 KB: 262,144 bytes accepted (202), one more refused', async () => {
    expect(await lambda.invokeAsync('big', eventOf(262_144))).toMatchObject({ statusCode: 202 });
    await expect(lambda.invokeAsync('big', eventOf(262_145))).rejects.toMatchObject({
      name: 'RequestEntityTooLargeException',
      message: '262145 byte payload is too large for the Event invocation type (limit 262144 bytes)',
    });
    await lambda.drainAsync();
  });

  test('returns before the event runs; a failing event is tried 3 times with the waits, then recorded as Lambda\'s destination record', async () => {
    const attempts = join(dir, 'attempts');
    const event = { failures: attempts, note: 'scan step 7' };
    const t0 = performance.now();
    const { requestId } = await lambda.invokeAsync('flaky', event);
    const accepted = performance.now() - t0;
    expect(await readFile(attempts, 'utf8').catch(() => '')).toBe('');
    await lambda.drainAsync();
    expect(accepted).toBeLessThan(50);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
    expect(await readFile(attempts, 'utf8')).toBe('xxx');
    const lines = (await readFile(dlqFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as DestinationRecord);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toEqual({
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      requestContext: { requestId, functionArn: 'arn:aws:lambda:eu-central-1:000000000000:function:flaky:$LATEST', condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'Error', errorMessage: 'attempt 3 failed', trace: expect.any(Array) },
    });
    expect(failed).toEqual(lines);
  });

  test('a succeeding event leaves no record; maximumRetryAttempts 0 tries once', async () => {
    const before = failed.length;
    await lambda.invokeAsync('echo', { fine: true });
    await lambda.drainAsync();
    expect(failed.length).toBe(before);

    const records: DestinationRecord[] = [];
    const { service: once } = await fixtureService({ async: { maximumRetryAttempts: 0, retryDelaysMs: [10_000], onFailure: (r) => records.push(r) } });
    try {
      const attempts = join(dir, 'once');
      await once.invokeAsync('flaky', { failures: attempts });
      await once.drainAsync();
      expect(await readFile(attempts, 'utf8')).toBe('x');
      expect(records.map((r) => r.requestContext.approximateInvokeCount)).toEqual([1]);
    } finally {
      await once.close();
    }
  });
});
