import { connect } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHttpApi, type LocalHttpApi } from '../../local/http-api';
import type { LocalLambdaService } from '../../local/lambda/service';
import { fixtureService } from './lambda/fixture-service';

let lambda: LocalLambdaService;
let api: LocalHttpApi;
const routes = [
  { method: 'POST', path: '/things/{id}', functionName: 'respond', handler: 'x.respond' },
  { method: 'GET', path: '/things/{id}', functionName: 'respond', handler: 'x.respond' },
  { method: 'POST', path: '/slow', functionName: 'respond', handler: 'x.respond' },
  { method: 'POST', path: '/short', functionName: 'shortRespond', handler: 'x.respond' },
];

beforeAll(async () => {
  ({ service: lambda } = await fixtureService({}, { respond: { timeoutSeconds: 5 } }));
  // A second function on the same handler with a 1 s timeout.
  const short = await fixtureService({}, { respond: { timeoutSeconds: 1 } });
  const invoke = (fn: string, event: APIGatewayProxyEventV2) =>
    fn === 'shortRespond' ? short.service.invoke('respond', event) : lambda.invoke(fn, event);
  api = await startHttpApi({
    port: 0, host: '127.0.0.1', routes, invoke, integrationTimeoutMs: 2500,
    extra: (req, res) => {
      if (req.url !== '/local/hello') return false;
      res.writeHead(200).end('local');
      return true;
    },
  });
  // Warm both, so cold starts do not eat into the timings below.
  await Promise.all([lambda.invoke('respond', {}), short.service.invoke('respond', {})]);
  const close = api.close;
  api.close = async () => {
    await close();
    await short.service.close();
  };
});
afterAll(async () => {
  await api.close();
  await lambda.close();
});

/** Send a request as raw bytes (the `extra` header bytes are subtracted from the padding by the caller); the whole answer as text. */
function raw(request: string, extra: number): Promise<string> {
  const { hostname, port } = new URL(api.url);
  const adjusted = request.replace(/x-pad: (p+)/, (_m, pad: string) => `x-pad: ${pad.slice(extra)}`);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(adjusted)); // the server closes it (connection: close)
    let answer = '';
    socket.setEncoding('utf8').on('data', (d: string) => (answer += d)).on('end', () => resolve(answer)).on('error', reject);
  });
}

const post = (path: string, ask: unknown, headers: Record<string, string> = {}) =>
  fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(ask) });

describe('the event (payload format 2.0)', () => {
  test('built from the request; sourceIp is the socket peer, never X-Forwarded-For', async () => {
    const r = await post('/things/a%20b?q=1&r=two', {}, { 'X-Forwarded-For': '129.129.243.7', 'X-Custom': 'v' });
    expect(r.status).toBe(201);
    expect(r.headers.get('x-fixture')).toBe('yes');
    const { seen } = (await r.json()) as { seen: APIGatewayProxyEventV2 };
    expect(seen).toMatchObject({
      version: '2.0',
      routeKey: 'POST /things/{id}',
      rawPath: '/things/a%20b',
      rawQueryString: 'q=1&r=two',
      queryStringParameters: { q: '1', r: 'two' },
      pathParameters: { id: 'a b' },
      headers: { 'x-forwarded-for': '129.129.243.7', 'x-custom': 'v', 'content-type': 'application/json' },
      requestContext: { http: { method: 'POST', path: '/things/a%20b', sourceIp: '127.0.0.1' }, routeKey: 'POST /things/{id}', stage: '$default' },
      body: '{}',
      isBase64Encoded: false,
    });
  });
});

describe('results as API Gateway maps them', () => {
  test.for([
    ['an object without statusCode: 200 JSON', { a: 1 }, 200, 'application/json', '{"a":1}'],
    ['a string: 200, the string as the body', 'plain words', 200, 'application/json', 'plain words'],
    ['statusCode and headers: used as is', { statusCode: 418, headers: { 'Content-Type': 'text/plain' }, body: 'teapot' }, 418, 'text/plain', 'teapot'],
    ['isBase64Encoded: decoded', { statusCode: 200, body: Buffer.from('raw bytes').toString('base64'), isBase64Encoded: true }, 200, null, 'raw bytes'],
  ] as const)('%s', async ([, result, status, type, body]) => {
    const r = await post('/things/1', { result });
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toBe(type);
    expect(await r.text()).toBe(body);
  });

  test('cookies become set-cookie headers', async () => {
    const r = await post('/things/1', { result: { statusCode: 200, cookies: ['a=1', 'b=2'], body: '' } });
    expect(r.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  });

  test('a malformed result (statusCode not a number): 500', async () => {
    const r = await post('/things/1', { result: { statusCode: 'two hundred' } });
    expect(r.status).toBe(500);
    expect(await r.json()).toEqual({ message: 'Internal Server Error' });
  });
});

describe('gateway answers', () => {
  test('a function error: 500 {"message":"Internal Server Error"}', async () => {
    const r = await post('/things/1', { fail: true });
    expect(r.status).toBe(500);
    expect(await r.json()).toEqual({ message: 'Internal Server Error' });
  });

  test('the function timing out (Sandbox.Timedout): 500 as well', async () => {
    const r = await post('/short', { sleepMs: 1300 });
    expect(r.status).toBe(500);
    expect(await r.json()).toEqual({ message: 'Internal Server Error' });
  });

  test('no answer within the integration timeout: 503; the invocation runs to its end', async () => {
    const t0 = performance.now();
    const r = await post('/slow', { sleepMs: 4000, result: { done: true } });
    const waited = performance.now() - t0;
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ message: 'Service Unavailable' });
    expect(waited).toBeGreaterThanOrEqual(2450);
    expect(waited).toBeLessThan(3900);
    expect(lambda.stats().functions.respond!.busy).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 4000 - waited + 500));
    expect(lambda.stats().functions.respond).toMatchObject({ busy: 0, functionErrors: 1 }); // the one asked to fail above, not this one
  });

  test('a body over 10 MB: 413 {"message":"Request Entity Too Large"}; over Lambda\'s 6 MB but under 10 MB: 413 too', async () => {
    for (const bytes of [10 * 1024 * 1024 + 1, 7 * 1024 * 1024]) {
      const r = await fetch(`${api.url}/things/1`, { method: 'POST', body: Buffer.alloc(bytes, 0x20) }).catch((e: Error) => e);
      if (r instanceof Error) throw r;
      expect(r.status).toBe(413);
      expect(await r.json()).toEqual({ message: 'Request Entity Too Large' });
    }
  });

  test('request line + headers over 10,240 bytes: 431; exactly 10,240 passes', async () => {
    // Counted: the request line and every header's name and value (CR/LF and ": " not counted).
    const requestLine = 'GET /things/1 HTTP/1.1';
    const send = (total: number) => {
      const pad = total - requestLine.length - 'host'.length - 'h'.length - 'x-pad'.length;
      return raw(`${requestLine}\r\nhost: h\r\nx-pad: ${'p'.repeat(pad)}\r\nconnection: close\r\n\r\n`, 'connection'.length + 'close'.length);
    };
    const over = await send(10_241);
    expect(over).toMatch(/^HTTP\/1\.1 431 /);
    expect(over).toMatch(/\r\n\r\n\{"message":"Request Header Fields Too Large"\}$/);
    expect(await send(10_240)).toMatch(/^HTTP\/1\.1 201 /);
  });

  test('unknown path 404, wrong method 405, GET / the index, extra routes answered first', async () => {
    expect((await fetch(`${api.url}/nothing`)).status).toBe(404);
    const wrong = await fetch(`${api.url}/slow`);
    expect(wrong.status).toBe(405);
    expect(await wrong.json()).toMatchObject({ status: 'failed', message: 'method GET not allowed on /slow' });
    expect(await (await fetch(`${api.url}/`)).json()).toEqual({ service: 'sfdaq-broker', endpoints: routes.map((r) => `${r.method} ${r.path}`) });
    expect(await (await fetch(`${api.url}/local/hello`)).text()).toBe('local');
  });
});

describe('in-process handlers (routes with fn, no invoke): the same mapping', () => {
  test('a throwing handler: 500; a result: as Lambda would pass it', async () => {
    const local = await startHttpApi({
      port: 0, host: '127.0.0.1',
      routes: [
        { method: 'GET', path: '/boom', functionName: 'boom', handler: 'x.boom', fn: async () => { throw new Error('boom'); } },
        { method: 'GET', path: '/ok', functionName: 'ok', handler: 'x.ok', fn: async () => ({ statusCode: 200, body: 'fine' }) },
      ],
    });
    try {
      expect((await fetch(`${local.url}/boom`)).status).toBe(500);
      expect(await (await fetch(`${local.url}/ok`)).text()).toBe('fine');
    } finally {
      await local.close();
    }
  });
});
