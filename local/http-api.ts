import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { InvokeResult } from './lambda/errors';
import type { HttpRoute } from './serverless-config';

type Handler = (event: APIGatewayProxyEventV2, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>;

/** Invoke a function with an API Gateway event, as Lambda's Invoke does (LocalLambdaService.invoke fits). */
export type Invoke = (functionName: string, event: APIGatewayProxyEventV2) => Promise<InvokeResult>;

export interface LocalHttpApi {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export interface HttpApiOptions {
  port: number;
  host: string;
  /** serverless.yml's httpApi routes. `fn` (in-process handlers) is the old way, used only when `invoke` is not given. */
  routes: Array<HttpRoute & { fn?: Handler }>;
  /** How a route's function runs: normally the local Lambda service. */
  invoke?: Invoke;
  /** Local-only routes, tried first; true = answered. */
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** API Gateway's integration timeout (30 s, its maximum); tests shorten it. */
  integrationTimeoutMs?: number;
}

/** API Gateway HTTP API quotas (http-api-quotas.html): payload 10 MB; request line + headers 10,240 bytes. */
export const GATEWAY_LIMITS = { bodyBytes: 10 * 1024 * 1024, requestLineAndHeadersBytes: 10_240 } as const;

/** A body this far past the limit is not read any further: the connection is closed. */
const DISCARD_AT_MOST = 64 * 1024 * 1024;

/** `/runs/{pgroup}/{run_number}` against a path -> the parameters, or undefined if it does not match. */
function matchPath(template: string, path: string): Record<string, string> | undefined {
  const t = template.split('/');
  const p = path.split('/');
  if (t.length !== p.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const name = /^\{(.+)\}$/.exec(t[i]!)?.[1];
    if (name) {
      try {
        params[name] = decodeURIComponent(p[i]!);
      } catch {
        return undefined;
      }
    } else if (t[i] !== p[i]) return undefined;
  }
  return params;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers }).end(text);
}

/** API Gateway's own answers (not the function's). */
const gateway = {
  internalError: (res: ServerResponse, id: string) => json(res, 500, { message: 'Internal Server Error' }, { 'apigw-requestid': id }),
  unavailable: (res: ServerResponse, id: string) => json(res, 503, { message: 'Service Unavailable' }, { 'apigw-requestid': id }),
  tooLarge: (res: ServerResponse, id: string) => json(res, 413, { message: 'Request Entity Too Large' }, { 'apigw-requestid': id, connection: 'close' }),
  headersTooLarge: (res: ServerResponse, id: string) => json(res, 431, { message: 'Request Header Fields Too Large' }, { 'apigw-requestid': id, connection: 'close' }),
};

/** Request line + every header's name and value, in bytes (the quota names the values; names are counted too, to be safe). */
function requestHeadBytes(req: IncomingMessage): number {
  let bytes = Buffer.byteLength(`${req.method ?? ''} ${req.url ?? ''} HTTP/${req.httpVersion}`);
  for (const part of req.rawHeaders) bytes += Buffer.byteLength(part);
  return bytes;
}

/**
 * What API Gateway makes of a function's result (payload format 2.0): a
 * result with `statusCode` is the response (headers, cookies -> set-cookie,
 * body, isBase64Encoded); anything else is a 200 JSON body (a string as is,
 * another value as its JSON). A malformed result is a 500.
 */
export function responseFromResult(result: unknown): { status: number; headers: Record<string, string | string[]>; body: Buffer } | undefined {
  if (typeof result === 'object' && result !== null && !Array.isArray(result) && 'statusCode' in result) {
    const r = result as Record<string, unknown>;
    const status = r.statusCode;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) return undefined;
    if (r.body !== undefined && r.body !== null && typeof r.body !== 'string') return undefined;
    if (r.headers !== undefined && (typeof r.headers !== 'object' || r.headers === null)) return undefined;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries((r.headers ?? {}) as Record<string, unknown>)) {
      if (value !== undefined && value !== null) headers[name.toLowerCase()] = String(value);
    }
    if (Array.isArray(r.cookies) && r.cookies.length) headers['set-cookie'] = r.cookies.map(String);
    const text = (r.body as string | undefined) ?? '';
    return { status, headers, body: r.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text) };
  }
  const text = typeof result === 'string' ? result : JSON.stringify(result);
  return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(text) };
}

/** Before the Lambda service: call the handlers in this process, with the result's JSON round trip a real invoke has. */
function inProcess(routes: HttpApiOptions['routes']): Invoke {
  return async (functionName, event) => {
    const fn = routes.find((r) => r.functionName === functionName)?.fn;
    if (!fn) throw new Error(`no handler for function ${functionName}`);
    try {
      const result = await fn(event, { functionName });
      return { requestId: event.requestContext.requestId, payload: JSON.parse(JSON.stringify(result ?? null)) as unknown };
    } catch (error) {
      const e = error as Error;
      return { requestId: event.requestContext.requestId, functionError: 'Unhandled', payload: { errorType: e?.name ?? typeof error, errorMessage: e?.message ?? String(error) } };
    }
  };
}

/**
 * API Gateway (HTTP API, payload 2.0) in front of the functions. It only
 * routes: builds the event, invokes the route's function, maps the answer.
 * The source address is the socket's peer, as API Gateway reports the TCP
 * peer: an X-Forwarded-For header is passed along but never trusted.
 *
 * Gateway answers, as API Gateway gives them: a function error (any
 * errorType, Sandbox.Timedout included) -> 500 `{"message":"Internal Server
 * Error"}`; no answer within the integration timeout -> 503 `{"message":
 * "Service Unavailable"}` (the invocation goes on, as on AWS); a body over
 * 10 MB, or an event over Lambda's 6 MB request limit -> 413 `{"message":
 * "Request Entity Too Large"}`; request line + headers over 10,240 bytes ->
 * 431 `{"message":"Request Header Fields Too Large"}` (the quota is
 * documented, the status is not: 431 is what callers report seeing).
 */
export async function startHttpApi(options: HttpApiOptions): Promise<LocalHttpApi> {
  const invoke = options.invoke ?? inProcess(options.routes);
  const integrationTimeoutMs = options.integrationTimeoutMs ?? 30_000;
  const server = createServer({ maxHeaderSize: 64 * 1024 }, async (req, res) => {
    const requestId = randomUUID();
    try {
      if (requestHeadBytes(req) > GATEWAY_LIMITS.requestLineAndHeadersBytes) {
        req.resume();
        return gateway.headersTooLarge(res, requestId);
      }
      const url = new URL(req.url ?? '/', 'http://local');
      if (options.extra?.(req, res)) return;
      const matching = options.routes.map((r) => ({ r, params: matchPath(r.path, url.pathname) })).filter((m) => m.params !== undefined);
      const found = matching.find((m) => m.r.method === req.method);
      const route = found?.r;
      if (!route) {
        const known = matching.length > 0;
        if (url.pathname === '/' && req.method === 'GET') {
          return json(res, 200, { service: 'sfdaq-broker', endpoints: options.routes.map((r) => `${r.method} ${r.path}`) });
        }
        return json(res, known ? 405 : 404, { status: 'failed', message: known ? `method ${req.method} not allowed on ${url.pathname}` : `unknown path ${url.pathname}` });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size <= GATEWAY_LIMITS.bodyBytes) chunks.push(chunk as Buffer);
        else if (size > GATEWAY_LIMITS.bodyBytes + DISCARD_AT_MOST) break;
      }
      if (size > GATEWAY_LIMITS.bodyBytes) return gateway.tooLarge(res, requestId);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
      const query: Record<string, string> = {};
      url.searchParams.forEach((v, k) => (query[k] = v));
      const sourceIp = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
      const body = Buffer.concat(chunks).toString('utf8');
      const event: APIGatewayProxyEventV2 = {
        version: '2.0',
        routeKey: `${route.method} ${route.path}`,
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
        ...(found?.params && Object.keys(found.params).length ? { pathParameters: found.params } : {}),
        requestContext: {
          accountId: 'local', apiId: 'local', domainName: 'localhost', domainPrefix: 'localhost',
          http: { method: req.method ?? 'GET', path: url.pathname, protocol: 'HTTP/1.1', sourceIp, userAgent: headers['user-agent'] ?? '' },
          requestId, routeKey: `${route.method} ${route.path}`, stage: '$default',
          time: new Date().toUTCString(), timeEpoch: Date.now(),
        },
        ...(chunks.length ? { body } : {}),
        isBase64Encoded: false,
      };
      const answer = await withTimeout(invoke(route.functionName, event), integrationTimeoutMs);
      if (answer === 'timeout') return gateway.unavailable(res, requestId);
      if (answer instanceof Error) {
        // Lambda refused the invoke itself: over its 6 MB request limit, or a configuration fault.
        return answer.name === 'RequestEntityTooLargeException' ? gateway.tooLarge(res, requestId) : gateway.internalError(res, requestId);
      }
      if (answer.functionError) return gateway.internalError(res, requestId);
      const response = responseFromResult(answer.payload);
      if (!response) return gateway.internalError(res, requestId);
      res.writeHead(response.status, { ...response.headers, 'content-length': String(response.body.length), 'apigw-requestid': requestId }).end(response.body);
    } catch {
      if (!res.headersSent) gateway.internalError(res, requestId);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    server,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}

/** The invocation's answer, its refusal (an Error), or 'timeout'; a late answer is dropped (the invocation itself runs on). */
async function withTimeout(invocation: Promise<InvokeResult>, ms: number): Promise<InvokeResult | Error | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const settled = invocation.then((r) => r, (e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  const expired = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), ms); });
  try {
    return await Promise.race([settled, expired]);
  } finally {
    clearTimeout(timer);
  }
}
