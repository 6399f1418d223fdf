/**
 * The child process of every throughput and memory measurement: one job per
 * process, so VmHWM (peak RSS, read from /proc/self/status at the end) is the
 * measured code's own. The dispatcher bundles this file with esbuild (h5wasm
 * and h5wasm-plugins external, as serverless-esbuild packages the Lambdas) and
 * runs it under plain `node`; it also runs under `node --import tsx` to compare.
 *
 *   node bench/results/.bundle-<pid>/worker.mjs '<job JSON>'
 *
 * Prints one line `BENCH-RESULT <json>` on stdout. Imports only lib/: no
 * simulator code is loaded here (the buffers are served by other processes).
 * A mode imports what it needs when it starts: `client` and `plain-write`
 * never load h5wasm.
 */
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { DEFAULT_CLOCK, FacilityClock, formatDataApiDate } from '../lib/core/clock';
import type { WorkflowInput } from '../lib/core/ports';
import type { SourceResult } from '../lib/core/run-status';
import { queryRange } from '../lib/retrieval/rate';
import type { BufferEndpoints, RetrieverInput } from '../lib/retrieval/types';

// Everything else is imported by the mode that needs it (the bundle is split
// per dynamic import), so the client-only and plain-write processes never load
// h5wasm: their RSS is their own.
const loadH5 = async () => (await import('../lib/adapters/hdf5')).loadH5();
/** The WebAssembly HDF5 engine of the BS and camera writers (its own wasm, not h5wasm). */
const loadEngine = async () => (await import('../lib/adapters/hdf5/engine')).H5Engine.load();

export type WorkerJob =
  /** fs.writeSync of `bytes` in `chunkBytes` pieces from one buffer, optionally fsync at the end (the physical limit). */
  | { mode: 'plain-write'; file: string; bytes: number; chunkBytes: number; fsync: boolean; keep?: boolean }
  /** retrieveDetector of one run. */
  | { mode: 'detector'; input: RetrieverInput; endpoints: SerialEndpoints; dataRoot: string }
  /** The Plan's part of a detector (split, skeleton, manifest): lib/retrieval/detector/prepare.ts. */
  | { mode: 'detector-prepare'; input: RetrieverInput; dataRoot: string; itemBytes: number }
  /** One part of a detector, as one workflow worker runs it. */
  | { mode: 'detector-part'; input: RetrieverInput; endpoints: SerialEndpoints; dataRoot: string; part: number }
  /** The finishing step of a detector (rename, or a file over its parts). */
  | { mode: 'detector-finish'; input: RetrieverInput; dataRoot: string }
  /**
   * retrieveFromDataApi (BSREAD or CAMERAS) of one run; `repeat` more times in the same process (warm:
   * as a resident writer or a warm Lambda instance), each retrieval's wall time in `result.walls_s`.
   */
  | { mode: 'data-api'; kind: 'data' | 'image'; input: RetrieverInput; endpoints: SerialEndpoints; dataRoot: string; repeat?: number }
  /** The Data API client alone: every event's batch taken as the retriever takes it (values as received, not decompressed), nothing written. */
  | { mode: 'client'; kind: 'data' | 'image'; url: string; mapUrl: string; channels: string[]; start: number; stop: number }
  /** The query's HTTP body drained as bytes, nothing decoded: what the simulator and the socket can deliver. */
  | { mode: 'raw'; kind: 'data' | 'image'; url: string; channels: string[]; start: number; stop: number }
  /** checkRun over files already written; `repeats` warm calls after the first (cold) one. */
  | { mode: 'check'; input: WorkflowInput; results: SourceResult[]; dataRoot: string; repeats: number }
  /** Nothing but loading h5wasm: the baseline RSS of a process. */
  | { mode: 'idle'; loadH5: boolean };

/** BufferEndpoints as JSON (the clock's bigint as a string). */
export type SerialEndpoints = Omit<BufferEndpoints, 'clock'> & { clock: { epochPulseId: string; epochTimeMs: number } };

export interface WorkerOutput {
  mode: WorkerJob['mode'];
  wall_s: number;
  /** Seconds spent loading h5wasm before the timed part (0 when not loaded). */
  h5_init_s: number;
  /** CPU seconds (user + system, every thread) during the timed part. */
  cpu_s: number;
  /** CPU seconds of the main (JavaScript) thread alone during the timed part; the rest is worker threads, GC and I/O threads. */
  main_cpu_s: number;
  /** Peak and final resident set size, MiB. */
  vmhwm_mb: number;
  vmrss_mb: number;
  /** /proc/self/io over the whole process: bytes through read/write syscalls and their counts. */
  io: { rchar: number; wchar: number; syscr: number; syscw: number };
  /** Bytes the job moved (pixels, decoded values or body bytes). */
  bytes: number;
  events?: number;
  result?: unknown;
  error?: string;
}

/** CPU seconds of this process's main thread (Linux: /proc/self/task/<pid>/stat, in clock ticks of 10 ms). */
function mainThreadCpu(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function memory(): { vmhwm_mb: number; vmrss_mb: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { vmhwm_mb: kb('VmHWM') / 1024, vmrss_mb: kb('VmRSS') / 1024 };
}

function io(): WorkerOutput['io'] {
  const text = readFileSync('/proc/self/io', 'utf8');
  const get = (key: string) => Number(new RegExp(`^${key}: (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rchar: get('rchar'), wchar: get('wchar'), syscr: get('syscr'), syscw: get('syscw') };
}

const endpointsOf = (e: SerialEndpoints): BufferEndpoints => ({ ...e, clock: { epochPulseId: BigInt(e.clock.epochPulseId), epochTimeMs: e.clock.epochTimeMs } });

async function plainWrite(job: Extract<WorkerJob, { mode: 'plain-write' }>): Promise<{ bytes: number }> {
  const chunk = Buffer.allocUnsafe(job.chunkBytes);
  // Non-trivial content (a filesystem that compresses or dedups must not get an easy ride).
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((Math.imul(i, 2654435761) ^ i) >>> 0, i);
  const fd = openSync(job.file, 'w');
  let written = 0;
  try {
    while (written < job.bytes) {
      const n = Math.min(chunk.length, job.bytes - written);
      let at = 0;
      while (at < n) at += writeSync(fd, chunk, at, n - at);
      written += n;
    }
    if (job.fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (!job.keep) rmSync(job.file, { force: true });
  return { bytes: written };
}

async function clientOnly(job: Extract<WorkerJob, { mode: 'client' }>): Promise<{ bytes: number; events: number; result: unknown }> {
  const { DataApiClient } = await import('../lib/adapters/buffers/data-api');
  const client = new DataApiClient({
    baseUrl: job.url,
    backend: job.kind === 'data' ? 'sf-databuffer' : 'sf-imagebuffer',
    sendDefaultBackend: job.kind === 'data',
    pulseMapBaseUrl: job.mapUrl,
    pulseMapBackend: 'sf-databuffer',
  });
  const range = queryRange(job.start, job.stop, 1);
  // The batches the retriever takes (runs of events as columns); every value's last byte is read, nothing decoded.
  const query = client.retrievePulseBatches(job.channels, BigInt(range.start), BigInt(range.stop));
  let bytes = 0;
  let events = 0;
  let touch = 0;
  let next = await query.next();
  for (; !next.done; next = await query.next()) {
    for (const item of next.value.items) {
      if (item.kind !== 'events') continue;
      events += item.count;
      for (let i = 0; i < item.count; i++) {
        bytes += item.ends[i]! - item.starts[i]!;
        touch ^= item.bytes[item.ends[i]! - 1]!;
      }
    }
  }
  return { bytes, events, result: { report: next.value, touch } };
}

async function rawDrain(job: Extract<WorkerJob, { mode: 'raw' }>): Promise<{ bytes: number }> {
  const range = queryRange(job.start, job.stop, 1);
  // The simulators' clock is DEFAULT_CLOCK (bench/sim-server.ts): no pulse-map round trip needed here.
  const clock = new FacilityClock(DEFAULT_CLOCK);
  const body = JSON.stringify({
    channels: job.channels,
    range: { type: 'date', startDate: formatDataApiDate(clock.timestampNs(BigInt(range.start))), endDate: formatDataApiDate(clock.timestampNs(BigInt(range.stop) + 1n)) },
    ...(job.kind === 'data' ? { defaultBackend: 'sf-databuffer' } : {}),
  });
  return new Promise((resolve, reject) => {
    const req = http.request(`${job.url}/api/1/query`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/octet-stream', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => (res.statusCode === 200 ? resolve({ bytes }) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function run(job: WorkerJob): Promise<Omit<WorkerOutput, 'vmhwm_mb' | 'vmrss_mb' | 'mode' | 'wall_s' | 'cpu_s' | 'main_cpu_s' | 'h5_init_s' | 'io'>> {
  switch (job.mode) {
    case 'plain-write':
      return plainWrite(job);
    case 'detector': {
      const { retrieveDetector } = await import('../lib/retrieval/detector-retriever');
      const result = await retrieveDetector(job.input, endpointsOf(job.endpoints), job.dataRoot);
      if (result.state === 'failed') return { bytes: 0, result, error: result.reason };
      return { bytes: result.counts?.bytes ?? 0, result: { ...result, file_bytes: statSync(result.file).size } };
    }
    case 'detector-prepare': {
      const { prepareDetector } = await import('../lib/retrieval/detector/prepare');
      const { parts, frames } = await prepareDetector(job.input, job.dataRoot, { itemBytes: job.itemBytes });
      return { bytes: 0, result: { parts, frames } };
    }
    case 'detector-part': {
      const { retrieveDetectorPart } = await import('../lib/retrieval/detector/part');
      const result = await retrieveDetectorPart(job.input, job.part, endpointsOf(job.endpoints), job.dataRoot, { now: () => Date.now() + 60_000 });
      if (result.state === 'failed') return { bytes: 0, result, error: result.reason };
      return { bytes: result.counts?.bytes ?? 0, result };
    }
    case 'detector-finish': {
      const { finishDetector } = await import('../lib/retrieval/detector/finish');
      const result = await finishDetector(job.input, undefined, job.dataRoot);
      if (result.state === 'failed') return { bytes: 0, result, error: result.reason };
      return { bytes: 0, result: { ...result, file_bytes: statSync(result.file).size } };
    }
    case 'data-api': {
      const { retrieveFromDataApi } = await import('../lib/retrieval/data-api-retriever');
      const walls: number[] = [];
      let result: Awaited<ReturnType<typeof retrieveFromDataApi>> | undefined;
      for (let i = 0; i <= (job.repeat ?? 0); i++) {
        const t = performance.now();
        result = await retrieveFromDataApi(job.input, endpointsOf(job.endpoints), job.dataRoot, job.kind);
        walls.push((performance.now() - t) / 1000);
        if (result.state === 'failed') return { bytes: 0, result, error: result.reason };
      }
      const rows = Object.values(result!.channels).reduce((n, c) => n + c.rows, 0);
      return { bytes: 0, events: rows, result: { state: result!.state, file: result!.file, rows, retries: result!.retries, file_bytes: statSync(result!.file).size, walls_s: walls } };
    }
    case 'client':
      return clientOnly(job);
    case 'raw':
      return rawDrain(job);
    case 'check': {
      const { checkRun } = await import('../lib/retrieval/check-files');
      const timed = async (results: SourceResult[]) => {
        const t = performance.now();
        const checked = await checkRun(job.input, results, job.dataRoot);
        return { s: (performance.now() - t) / 1000, checked };
      };
      // The first call loads h5wasm (cold, as in a fresh Lambda); then warm calls, all sources and one by one.
      const cold = await timed(job.results);
      const warm: number[] = [];
      for (let i = 0; i < job.repeats; i++) warm.push((await timed(job.results)).s);
      const perSource: Record<string, number[]> = {};
      for (const r of job.results) {
        perSource[r.source] = [];
        for (let i = 0; i < job.repeats; i++) perSource[r.source]!.push((await timed([r])).s);
      }
      const verdicts = cold.checked.map((r) => ({ source: r.source, state: r.state, verdict: (r.check as { verdict?: string } | undefined)?.verdict }));
      return { bytes: 0, result: { cold_s: cold.s, warm_s: warm, per_source_s: perSource, verdicts } };
    }
    case 'idle':
      return { bytes: 0 };
  }
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as WorkerJob;
  let h5InitS = 0;
  const needsH5 = job.mode === 'detector' || job.mode === 'check' || (job.mode === 'idle' && job.loadH5);
  // Loaded before the clock starts (a Lambda's cold start pays it once): the timed part is the retrieval.
  // The check is the exception: its first call loads h5wasm (cold), its repeats are timed warm.
  // The Data API retriever writes with the engine: that is what it loads.
  if ((needsH5 && job.mode !== 'check') || job.mode === 'data-api') {
    const t = performance.now();
    await (job.mode === 'data-api' ? loadEngine() : loadH5());
    h5InitS = (performance.now() - t) / 1000;
  }
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpu();
  const t0 = performance.now();
  let out: Awaited<ReturnType<typeof run>>;
  try {
    out = await run(job);
  } catch (error) {
    out = { bytes: 0, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const output: WorkerOutput = { mode: job.mode, wall_s: wall, h5_init_s: h5InitS, cpu_s: (cpu.user + cpu.system) / 1e6, main_cpu_s: mainThreadCpu() - main0, ...memory(), ...out, io: io() };
  process.stdout.write(`BENCH-RESULT ${JSON.stringify(output, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}

await main();
