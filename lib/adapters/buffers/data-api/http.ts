/**
 * The HTTP plumbing of the Data API client: one request, its response as a
 * stream of chunks with an idle timeout, and network failures turned into
 * BufferUnavailable (transient) in one place.
 *
 * node:http rather than fetch: it streams with backpressure (we only read the
 * next chunk when the caller wants it) and lets the idle timeout count only
 * the time spent waiting for the server, not the caller's own work.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { BufferUnavailable } from '../../../core/errors';

export interface HttpCall {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** No byte from the server for this long -> BufferUnavailable. */
  idleTimeoutMs: number;
  /** Buffer name for errors ('data', 'image'). */
  buffer: string;
}

/** Marks a timeout we raised ourselves, so it is reported as such. */
class IdleTimeout extends Error {
  constructor(readonly ms: number) {
    super(`no answer for ${ms} ms`);
  }
}

function isAbort(error: unknown, signal?: AbortSignal): boolean {
  return (signal?.aborted ?? false) || (error as { name?: string })?.name === 'AbortError';
}

/** Network-level failure -> BufferUnavailable; an abort by the caller passes through unchanged. */
export function networkError(error: unknown, call: Pick<HttpCall, 'buffer' | 'url' | 'signal'>, during: string): unknown {
  if (isAbort(error, call.signal)) return call.signal?.reason ?? error;
  if (error instanceof BufferUnavailable) return error;
  const e = error as { code?: string; message?: string };
  const what = error instanceof IdleTimeout ? `timed out (${e.message})` : `${e.code ? `${e.code}: ` : ''}${e.message ?? String(error)}`;
  return new BufferUnavailable(call.buffer, `${call.buffer} buffer ${during} failed: ${what} [${call.url}]`, { cause: error });
}

/**
 * Send a request and resolve with the response once its headers arrived.
 *
 * @example
 *   const res = await send({ method: 'GET', url, idleTimeoutMs: 30_000, buffer: 'data' });
 *   const text = await readText(res, call);
 */
export function send(call: HttpCall): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const url = new URL(call.url);
    const lib = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { ...call.headers };
    if (call.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(call.body));
    const req = lib.request(url, { method: call.method, headers, signal: call.signal });
    const timer = setTimeout(() => req.destroy(new IdleTimeout(call.idleTimeoutMs)), call.idleTimeoutMs);
    req.once('response', (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.once('error', (error) => {
      clearTimeout(timer);
      reject(networkError(error, call, `${call.method} request`));
    });
    req.end(call.body);
  });
}

/**
 * The response body chunk by chunk, pulled only as fast as the caller asks.
 * Waiting longer than the idle timeout for a chunk destroys the response.
 */
export async function* chunks(res: IncomingMessage, call: HttpCall): AsyncGenerator<Uint8Array> {
  const it = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // One watchdog per response, not a timer per chunk (a BS body has tens of thousands of chunks): it
  // destroys the response once a wait for the next chunk exceeds the idle timeout (checked 4x per period).
  let waitingSince = 0;
  const watchdog = setInterval(() => {
    if (waitingSince > 0 && Date.now() - waitingSince > call.idleTimeoutMs) res.destroy(new IdleTimeout(call.idleTimeoutMs));
  }, Math.max(5, Math.min(1_000, call.idleTimeoutMs / 4)));
  watchdog.unref();
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      waitingSince = Date.now();
      try {
        next = await it.next();
      } catch (error) {
        throw networkError(error, call, 'response');
      } finally {
        waitingSince = 0;
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    clearInterval(watchdog);
    // Stopping early (caller broke out, or an error) must free the socket.
    if (!res.complete) res.destroy();
  }
}

/** Read a (small) body as text, at most `limit` bytes. */
export async function readText(res: IncomingMessage, call: HttpCall, limit = 64 * 1024): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks(res, call)) {
    if (size < limit) parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(chunk.length, limit - size)));
    size += chunk.length;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Pull the server's reason out of an error body (JSON with requestId + message, or plain text). */
export function errorReason(body: string): { requestId?: string; reason: string } {
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    const requestId = typeof json.requestId === 'string' ? json.requestId : undefined;
    const reason = [json.message, json.msg, json.error, json.reason].find((v) => typeof v === 'string') as string | undefined;
    return { requestId, reason: reason ?? body.trim() };
  } catch {
    return { reason: body.trim() || '(empty body)' };
  }
}
