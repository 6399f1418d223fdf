import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidRequestContentException, LIMITS, LambdaServiceError, RequestTooLargeException, ResourceNotFoundException } from './errors';
import type { LocalLambdaService } from './service';

export interface InvokeApi {
  /** For `AWS_ENDPOINT_URL_LAMBDA` / the SDK's `endpoint`. */
  endpoint: string;
  server: Server;
  close(): Promise<void>;
}

const PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/**
 * `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`,
 * `<account>:function:<name>`, `<name>[:<qualifier>]` -> name and qualifier,
 * as Invoke accepts them.
 */
export function parseFunctionName(raw: string): { name: string; qualifier?: string } {
  const parts = raw.split(':');
  const at = parts.indexOf('function');
  const [name, qualifier] = at >= 0 ? [parts[at + 1] ?? '', parts[at + 2]] : [parts[0] ?? '', parts[1]];
  return qualifier === undefined ? { name } : { name, qualifier };
}

/**
 * Lambda's Invoke API over HTTP, for `@aws-sdk/client-lambda`'s InvokeCommand
 * (and Step Functions' `lambda:invoke` through the SDK): 200 with the payload
 * (plus `X-Amz-Function-Error: Unhandled` for a function error), 202 for
 * Event, 204 for DryRun; service errors as the service answers them
 * (`x-amzn-ErrorType` + `{"Type":"User","message"}`): 404
 * ResourceNotFoundException, 413 RequestEntityTooLargeException, 400
 * InvalidRequestContentException.
 */
export async function startInvokeApi(service: LocalLambdaService, port: number, host: string): Promise<InvokeApi> {
  const server = createServer((req, res) => {
    handle(service, req, res).catch((error: Error) => {
      if (!res.headersSent) refuse(res, error instanceof LambdaServiceError ? error : new LambdaServiceError('ServiceException', error.message, 500));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    endpoint: `http://${shownHost}:${address.port}`,
    server,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function handle(service: LocalLambdaService, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const match = PATH.exec(url.pathname);
  if (!match || req.method !== 'POST') {
    await drain(req, 0);
    return refuse(res, new LambdaServiceError('UnknownOperationException', `no such operation: ${req.method} ${url.pathname}`, 404));
  }
  const { name, qualifier: inName } = parseFunctionName(decodeURIComponent(match[1]!));
  const qualifier = url.searchParams.get('Qualifier') ?? inName;
  const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  const limit = type === 'Event' ? service.asyncEventLimit : LIMITS.syncRequestBytes;
  const { body, bytes } = await drain(req, limit);
  if (!service.functionNames.includes(name) || (qualifier !== undefined && qualifier !== '$LATEST')) {
    return refuse(res, new ResourceNotFoundException(service.arn(name) + (qualifier ? `:${qualifier}` : '')));
  }
  if (body === undefined) return refuse(res, type === 'Event' ? RequestTooLargeException.async(bytes, limit) : RequestTooLargeException.sync());
  const payloadJson = body.length ? body.toString('utf8') : '{}';
  try {
    JSON.parse(payloadJson);
  } catch (error) {
    return refuse(res, new InvalidRequestContentException(`Could not parse request body into json: ${(error as Error).message}`));
  }
  if (type === 'DryRun') return void res.writeHead(204, { 'x-amzn-requestid': randomUUID() }).end();
  if (type === 'Event') {
    const { requestId } = await service.invokeAsyncJson(name, payloadJson);
    return void res.writeHead(202, { 'x-amzn-requestid': requestId, 'content-length': '0' }).end();
  }
  if (type !== 'RequestResponse') {
    return refuse(res, new LambdaServiceError('InvalidParameterValueException', `Unsupported invocation type ${type}`, 400));
  }
  const result = await service.invokeJson(name, payloadJson, { logTail: req.headers['x-amz-log-type'] === 'Tail' });
  const text = JSON.stringify(result.payload);
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    'x-amzn-requestid': result.requestId,
    'x-amz-executed-version': '$LATEST',
    ...(result.functionError ? { 'x-amz-function-error': result.functionError } : {}),
    ...(result.logTail ? { 'x-amz-log-result': result.logTail } : {}),
  }).end(text);
}

/** Read the body; past `limit` bytes keep reading but drop it (body undefined), so the client gets the answer. */
async function drain(req: IncomingMessage, limit: number): Promise<{ body?: Buffer; bytes: number }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req) {
    bytes += (chunk as Buffer).length;
    if (bytes <= limit) chunks.push(chunk as Buffer);
  }
  return bytes > limit ? { bytes } : { body: Buffer.concat(chunks), bytes };
}

function refuse(res: ServerResponse, error: LambdaServiceError): void {
  const text = JSON.stringify({ Type: 'User', message: error.message });
  res.writeHead(error.statusCode, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    'x-amzn-errortype': error.name,
    'x-amzn-requestid': randomUUID(),
  }).end(text);
}
