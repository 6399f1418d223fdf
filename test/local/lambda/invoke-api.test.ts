import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { InvokeApi } from '../../../local/lambda/invoke-api';
import type { LocalLambdaService } from '../../../local/lambda/service';
import { fixtureService } from './fixture-service';

let lambda: LocalLambdaService;
let api: InvokeApi;
let client: LambdaClient;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

beforeAll(async () => {
  ({ service: lambda } = await fixtureService({ async: { retryDelaysMs: [10, 10] } }));
  api = await lambda.listen(0, '127.0.0.1');
  client = new LambdaClient({ endpoint: api.endpoint, region: 'eu-central-1', credentials, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await lambda.close();
});

const text = (payload?: Uint8Array) => Buffer.from(payload ?? new Uint8Array()).toString('utf8');

describe('the Lambda Invoke API through @aws-sdk/client-lambda', () => {
  test('RequestResponse: 200 and the payload', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: JSON.stringify({ hello: 'sdk' }) }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe('$LATEST');
    expect(JSON.parse(text(out.Payload))).toMatchObject({ event: { hello: 'sdk' }, context: { functionName: 'echo' } });
  });

  test('a function error: 200, FunctionError Unhandled, the error payload; LogType Tail returns the log', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'throwNamed', Payload: '{}', LogType: 'Tail' }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(text(out.Payload))).toMatchObject({ errorType: 'RangeExpired', errorMessage: 'pulses 1..2 are gone' });
    const log = Buffer.from(out.LogResult!, 'base64').toString('utf8');
    expect(log).toMatch(/^START RequestId: \S+ Version: \$LATEST\n/m);
    expect(log).toMatch(/Invoke Error/);
    expect(log).toMatch(/REPORT RequestId: .*Error Type: RangeExpired\n$/);
  });

  test('the function by ARN, with Qualifier $LATEST', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:eu-central-1:000000000000:function:echo', Qualifier: '$LATEST', Payload: '{}' }));
    expect(out.StatusCode).toBe(200);
  });

  test('Event: 202 at once; the event runs later', async () => {
    const out = await client.send(new InvokeCommand({ FunctionName: 'sleepy', InvocationType: 'Event', Payload: JSON.stringify({ ms: 300 }) }));
    expect(out.StatusCode).toBe(202);
    expect(lambda.stats().asyncPending).toBe(1);
    await lambda.drainAsync();
    expect(lambda.stats().functions.sleepy!.invocations).toBeGreaterThanOrEqual(1);
  });

  test('unknown function: ResourceNotFoundException, 404', async () => {
    const error = await client.send(new InvokeCommand({ FunctionName: 'nope', Payload: '{}' })).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Function not found: arn:aws:lambda:eu-central-1:000000000000:function:nope',
      $metadata: { httpStatusCode: 404 },
    });
  });

  test('over 6 MB (sync) and 256 KB (Event): 413 RequestEntityTooLargeException, the name AWS sends', async () => {
    const sync = await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: JSON.stringify({ pad: 'x'.repeat(6_291_456) }) })).catch((e: unknown) => e);
    expect(sync).toMatchObject({ name: 'RequestEntityTooLargeException', message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation', $metadata: { httpStatusCode: 413 } });
    const event = await client.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: JSON.stringify({ pad: 'x'.repeat(262_144) }) })).catch((e: unknown) => e);
    expect(event).toMatchObject({ name: 'RequestEntityTooLargeException', $metadata: { httpStatusCode: 413 } });
    expect((event as Error).message).toMatch(/^262154 byte payload is too large for the Event invocation type \(limit 262144 bytes\)$/);
  });

  test('a body that is not JSON: InvalidRequestContentException, 400', async () => {
    const error = await client.send(new InvokeCommand({ FunctionName: 'echo', Payload: '{not json' })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidRequestContentException', $metadata: { httpStatusCode: 400 } });
  });

  test('AWS_ENDPOINT_URL_LAMBDA points a client without an endpoint at the service', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_LAMBDA;
    process.env.AWS_ENDPOINT_URL_LAMBDA = api.endpoint;
    const fromEnv = new LambdaClient({ region: 'eu-central-1', credentials, maxAttempts: 1 });
    try {
      const out = await fromEnv.send(new InvokeCommand({ FunctionName: 'echo', Payload: '{"via":"env"}' }));
      expect(JSON.parse(text(out.Payload))).toMatchObject({ event: { via: 'env' } });
    } finally {
      fromEnv.destroy();
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
      else process.env.AWS_ENDPOINT_URL_LAMBDA = saved;
    }
  });
});
