/**
 * The Data API 3 simulators (data buffer and image buffer) for the retrieval
 * benchmarks, in a process of their own (started over IPC by
 * bench/lib/fixtures.ts): `{ type: 'ready', dataUrl, imageUrl, dataReplayUrl,
 * imageReplayUrl }` once listening; they close on `{ type: 'stop' }`.
 * Clock DEFAULT_CLOCK; retention one day of pulses.
 *
 * Replay fronts: the simulator makes every value on the fly, in JS, on one
 * core, which caps how fast it can send (hundreds of MB/s at best). To measure
 * the broker rather than the simulator, each simulator also has a replay front:
 * the first time a query body is seen, the front passes it to the simulator
 * and records the response body on disk (argv[2], a temp directory); every
 * later identical query is answered from the recording (page cache), with the
 * recorded request status. Pulse map and anything else go to the simulator.
 */
import '../lib/runtime/polyfills';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_CLOCK, FacilityClock } from '../lib/core/clock';
import { startDataApiSimulator, type DataApiSimulator } from '../local/simulators/data-api';

const clock = new FacilityClock(DEFAULT_CLOCK);
const retentionPulses = 100 * 86_400;
const cacheDir = process.argv[2] ?? join(process.cwd(), 'bench', 'results', '.replay');
mkdirSync(cacheDir, { recursive: true });

const [data, image] = await Promise.all([
  startDataApiSimulator({ backend: 'sf-databuffer', clock, retentionPulses }),
  startDataApiSimulator({ backend: 'sf-imagebuffer', clock, retentionPulses }),
]);

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Forward a request to the simulator; `record` receives the 200 body of a query. */
function forward(sim: DataApiSimulator, req: IncomingMessage, body: Buffer, res: ServerResponse, record?: (id: string) => NodeJS.WritableStream & { done: (ok: boolean) => void }): void {
  const upstream = http.request(`${sim.url}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(sim.url).host } }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    const id = up.headers['x-daqbuffer-request-id'];
    const tape = record && up.statusCode === 200 && typeof id === 'string' ? record(id) : undefined;
    up.on('data', (chunk: Buffer) => {
      tape?.write(chunk);
      if (!res.write(chunk)) {
        up.pause();
        res.once('drain', () => up.resume());
      }
    });
    up.on('end', () => {
      res.end();
      tape?.done(up.complete);
    });
    up.on('error', () => {
      res.destroy();
      tape?.done(false);
    });
  });
  upstream.on('error', (error) => {
    if (!res.headersSent) res.writeHead(502).end(String(error));
    else res.destroy();
  });
  upstream.end(body);
}

/** Recordings not yet committed (body written, status being fetched). */
const pending = new Set<Promise<void>>();

async function startReplay(sim: DataApiSimulator, name: string): Promise<{ url: string; close: () => Promise<void> }> {
  const statusOf = new Map<string, string>(); // replay id -> recorded status JSON
  const server = http.createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = new URL(req.url ?? '/', 'http://replay').pathname;
      const status = /^\/api\/1\/requestStatus\/(replay-[0-9a-f]+)$/.exec(path);
      if (status) {
        const json = statusOf.get(status[1]!) ?? '{"error_count":1,"warn_count":0,"channel_not_found":0,"errors":["request-id not found"]}';
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) }).end(json);
        return;
      }
      if (req.method !== 'POST' || path !== '/api/1/query') return forward(sim, req, body, res);
      const key = createHash('sha1').update(body).digest('hex');
      const file = join(cacheDir, `${name}-${key}.body`);
      if (existsSync(file) && existsSync(`${file}.status`)) {
        const id = `replay-${key}`;
        statusOf.set(id, readFileSync(`${file}.status`, 'utf8'));
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'x-daqbuffer-request-id': id });
        createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
        return;
      }
      forward(sim, req, body, res, (id) => {
        const partial = `${file}.partial`;
        const out = createWriteStream(partial);
        let settle!: () => void;
        const committed = new Promise<void>((resolve) => (settle = resolve));
        pending.add(committed);
        void committed.then(() => pending.delete(committed));
        return Object.assign(out, {
          done: (ok: boolean) => {
            out.end(() => {
              if (!ok) return settle();
              // The request status of the recorded query, replayed with the body.
              http.get(`${sim.url}/api/1/requestStatus/${id}`, (r) => {
                let text = '';
                r.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => {
                  writeFileSync(`${file}.status`, text);
                  renameSync(partial, file);
                  settle();
                });
              }).on('error', () => settle());
            });
          },
        });
      });
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const [dataReplay, imageReplay] = await Promise.all([startReplay(data, 'data'), startReplay(image, 'image')]);

const stop = async () => {
  await Promise.allSettled([dataReplay.close(), imageReplay.close(), data.close(), image.close()]);
  process.exit(0);
};
process.on('message', (m: { type?: string }) => {
  if (m.type === 'stop') void stop();
  // Answered once every recording begun so far is on disk.
  if (m.type === 'recorded') void Promise.all([...pending]).then(() => process.send?.({ type: 'recorded' }));
});
process.on('disconnect', () => void stop());
process.send?.({ type: 'ready', dataUrl: data.url, imageUrl: image.url, dataReplayUrl: dataReplay.url, imageReplayUrl: imageReplay.url });
