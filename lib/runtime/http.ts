import middy, { type MiddlewareObj } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { RequestRefused, RunNotStarted } from '../core/errors';
import { readableText } from '../core/failure-reason';
import type { Caller } from '../core/facility';
import { RequestInProgress } from '../core/idempotency';
import type { App } from './app';
import { lambdaApp } from './lambda';
import { log } from './logger';

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

export interface HttpRequest<TBody> {
  body: TBody;
  caller: Caller;
  event: Event;
  app: App;
}

/** The caller as the network saw it: API Gateway's (or the local socket's) source address, and an API key. Never X-Forwarded-For. */
export function callerOf(event: Event): Caller {
  return { sourceIp: event.requestContext.http.sourceIp, apiKey: event.headers?.['x-api-key'] };
}

export function reply(statusCode: number, body: Record<string, unknown>): Result {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Deepest nesting of arrays and objects a body may have (a scan_info needs about 4). */
export const MAX_BODY_DEPTH = 32;

/**
 * The nesting depth of a JSON text, counted without parsing it (brackets
 * outside strings). The parser's prototype-key reviver recurses and
 * overflows the stack at about 5,000 levels (a 10 KB body), which surfaced as
 * "not valid JSON"; below that, a deep document would be stored in the run
 * record. A limit refused up front says what is wrong.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** Refuse oversized and too deeply nested bodies before parsing them. */
const bodyLimit = (app: () => App): MiddlewareObj<Event, Result> => ({
  before: (request) => {
    const max = app().config.maxBodyBytes;
    const body = request.event.body ?? '';
    const bytes = request.event.isBase64Encoded ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body);
    if (bytes > max) return reply(413, { status: 'failed', message: `request body too large (${bytes} bytes; at most ${max})` });
    const text = request.event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
    if (jsonDepth(text) > MAX_BODY_DEPTH) {
      return reply(200, { status: 'failed', message: `request body is nested too deeply (at most ${MAX_BODY_DEPTH} levels of arrays and objects)` });
    }
    return undefined;
  },
});

/** GET endpoints take their parameters from the query string (and a JSON body if one is sent, as the original's clients do). */
const queryAsBody = (): MiddlewareObj<Event, Result> => ({
  before: (request) => {
    const event = request.event as Omit<Event, 'body'> & { body: unknown };
    if (event.requestContext.http.method === 'GET' && (event.body === undefined || event.body === null || event.body === '')) {
      event.body = { ...(event.queryStringParameters ?? {}), ...(event.pathParameters ?? {}) };
    }
  },
});

/** middy's JSON parser (content-type check, prototype-key protection), skipped when the body is already an object. */
const jsonBody = (): MiddlewareObj<Event, Result> => {
  const parser = httpJsonBodyParser({ disableContentTypeError: false }) as unknown as Required<Pick<MiddlewareObj<Event, Result>, 'before'>>;
  return {
    before: (request) => (typeof (request.event as { body: unknown }).body === 'object' ? undefined : parser.before(request)),
  };
};

/** Validate the parsed body with the compiled ajv schema; refusals become `{status:"failed"}`. */
const validateBody = <T>(validate: (body: unknown) => T): MiddlewareObj<Event, Result> => ({
  before: (request) => {
    (request.event as unknown as { body: T }).body = validate((request.event as unknown as { body: unknown }).body);
  },
});

/**
 * One error mapper for every handler: domain refusals answer HTTP 200 with
 * `{status:"failed", message}` (the original's contract: clients test
 * r.json()["status"]); malformed JSON or a wrong content type keep middy's
 * 4xx status with the same body shape; anything unexpected is logged and
 * answered 503 without a stack trace.
 */
const errorMapper = (): MiddlewareObj<Event, Result> => ({
  onError: (request) => {
    const error = request.error as Error & { statusCode?: number; expose?: boolean };
    if (error instanceof RequestRefused) {
      request.response = reply(200, { status: 'failed', message: error.message, ...(error.field ? { field: error.field } : {}) });
    } else if (error instanceof RunNotStarted) {
      request.response = reply(200, { status: 'failed', message: error.message, run_number: error.runNumber });
    } else if (error instanceof RequestInProgress) {
      // Not a refusal: the first request with this key is still being handled; its answer comes on a later retry.
      request.response = reply(409, { status: 'failed', message: error.message, field: error.field });
      request.response.headers = { ...request.response.headers, 'retry-after': String(error.retryAfterSeconds) };
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      const message = error.statusCode === 415
        ? 'request body must be JSON (Content-Type: application/json)'
        : error.statusCode === 422
          ? error.message === 'Forbidden key in JSON body'
            ? 'request body contains a forbidden key ("__proto__", or "constructor" holding a "prototype")'
            : 'request body is not valid JSON'
          : error.message;
      request.response = reply(error.statusCode === 422 ? 400 : error.statusCode, { status: 'failed', message });
    } else {
      log.error('unexpected error', { name: error.name, message: error.message, stack: error.stack });
      request.response = reply(503, { status: 'failed', message: `the broker could not handle the request (${error.name}: ${readableText(error.message)}); please retry` });
    }
  },
});

/**
 * The shared handler stack: body limit, JSON parsing, schema validation, one
 * error mapper. Handlers stay a few lines: parse, call the core, shape the reply.
 *
 * @example
 *   export const handler = httpHandler(validatePgroupBody, async ({ body, caller, app }) => ({ status: 'ok', ... }));
 */
export function httpHandler<T>(validate: (body: unknown) => T, fn: (request: HttpRequest<T>) => Promise<Record<string, unknown>>, app: () => App = lambdaApp) {
  return middy<Event, Result>()
    .use(errorMapper())
    .use(bodyLimit(app))
    .use(queryAsBody())
    .use(jsonBody())
    .use(validateBody(validate))
    .handler(async (event) => {
      const body = (event as unknown as { body: T }).body;
      return reply(200, await fn({ body, caller: callerOf(event), event, app: app() }));
    });
}
