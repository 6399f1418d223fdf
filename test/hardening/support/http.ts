import { Agent, request } from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed, or undefined if it is not JSON. */
  json: Record<string, any> | undefined;
}

/**
 * A small HTTP client over node:http with keep-alive connections (the
 * suites send thousands of requests) and an optional local address, so a
 * test can call from 127.0.0.2 or 127.0.0.3 and be a different machine to
 * the broker's network check.
 */
export class Client {
  readonly agent: Agent;
  private readonly base: URL;

  constructor(baseUrl: string, options: { localAddress?: string; maxSockets?: number } = {}) {
    this.base = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 16, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
  }

  send(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}, timeoutMs = 60_000): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.base.hostname, port: this.base.port, method, path, agent: this.agent,
          headers: { ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: Record<string, any> | undefined;
            try {
              json = JSON.parse(text) as Record<string, any>;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    return this.send('POST', path, typeof body === 'string' ? body : JSON.stringify(body), headers);
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    return this.send('GET', path, undefined, headers);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Run `work` over `items` with at most `concurrency` in flight (the suites' "N concurrent clients"). */
export async function pool<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i]!, i);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
