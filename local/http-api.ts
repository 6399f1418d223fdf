import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpRoute } from './serverless-config';

type Handler = (event: APIGatewayProxyEventV2, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>;

export interface LocalHttpApi {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Bytes accepted before the body is even handed to a handler (API Gateway's own limit is 10 MB). */
const HARD_BODY_LIMIT = 10 * 1024 * 1024;

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

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * API Gateway (HTTP API, payload 2.0) in front of the same handlers Lambda
 * runs. The source address is the socket's peer, as API Gateway reports the
 * TCP peer: an X-Forwarded-For header is passed along but never trusted.
 */
export async function startHttpApi(options: {
  port: number;
  host: string;
  routes: Array<HttpRoute & { fn: Handler }>;
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean;
}): Promise<LocalHttpApi> {
  const server = createServer(async (req, res) => {
    try {
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
        if (size > HARD_BODY_LIMIT) return json(res, 413, { status: 'failed', message: `request body too large (more than ${HARD_BODY_LIMIT} bytes)` });
        chunks.push(chunk as Buffer);
      }
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
          requestId: crypto.randomUUID(), routeKey: `${route.method} ${route.path}`, stage: '$default',
          time: new Date().toUTCString(), timeEpoch: Date.now(),
        },
        ...(chunks.length ? { body } : {}),
        isBase64Encoded: false,
      };
      const result = await route.fn(event, { functionName: route.functionName });
      res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>).end(result.body ?? '');
    } catch (error) {
      // The handlers map every error themselves; this only guards the emulator.
      if (!res.headersSent) json(res, 503, { status: 'failed', message: `local API gateway error: ${(error as Error).message}` });
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
