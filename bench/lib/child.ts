/**
 * Child processes of the benchmarks: the measured worker (bench/worker.ts,
 * bundled with esbuild and run under plain node as Lambda runs it, or under
 * tsx), and long-running services (simulators, the local stack).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { loadServerlessYml, packagedExternals } from '../../local/serverless-config';
import type { WorkerJob, WorkerOutput } from '../worker';
import { BENCH_DIR, PROJECT_ROOT, RESULTS_DIR, type ProfileSummary } from './report';

export type Runtime = 'bundle' | 'tsx';

/** Per process, so two benchmark runs at once do not rebuild each other's bundle. */
const BUNDLE_DIR = join(RESULTS_DIR, `.bundle-${process.pid}`);
let bundling: Promise<string> | undefined;

/**
 * Bundle bench/worker.ts as serverless-esbuild bundles a Lambda (serverless.yml
 * `custom.esbuild`): ESM, node platform, the packages of `custom.esbuild.external`
 * external (h5wasm, its plugins, the HDF5 engine's sfdaq-hdf5-engine: they load their
 * .wasm, plugins and worker scripts from the package folder), a createRequire
 * banner; split at the worker's dynamic imports. The bundle lives inside the
 * project (bench/results/.bundle-<pid>, git-ignored, removed at exit) so node_modules resolves.
 */
export function workerBundle(): Promise<string> {
  bundling ??= (async () => {
    mkdirSync(BUNDLE_DIR, { recursive: true });
    process.once('exit', () => rmSync(BUNDLE_DIR, { recursive: true, force: true }));
    await build({
      entryPoints: { worker: join(BENCH_DIR, 'worker.ts') },
      outdir: BUNDLE_DIR,
      outExtension: { '.js': '.mjs' },
      // One chunk per dynamic import of the worker: a mode loads only its own code.
      splitting: true,
      bundle: true,
      minify: false,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      external: packagedExternals(loadServerlessYml(PROJECT_ROOT)),
      banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
      logLevel: 'warning',
    });
    return join(BUNDLE_DIR, 'worker.mjs');
  })();
  return bundling;
}

/** Environment of a child: without NODE_OPTIONS, so "plain node" means plain node. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

export interface WorkerRunOptions {
  runtime?: Runtime;
  /** Flush dirty pages before starting (default true): earlier writes must not throttle this run's. */
  sync?: boolean;
  /** Write a V8 CPU profile into this directory (node --cpu-prof). */
  cpuProfDir?: string;
  timeoutMs?: number;
}

/**
 * Run one job in a fresh process and return its output (throws if the process
 * fails or the job reports an error).
 *
 * @example
 *   const out = await runWorker({ mode: 'plain-write', file, bytes: 1e9, chunkBytes: 4 << 20 });
 *   out.wall_s, out.vmhwm_mb
 */
export async function runWorker(job: WorkerJob, options: WorkerRunOptions = {}): Promise<WorkerOutput & { runtime: Runtime }> {
  const runtime = options.runtime ?? 'bundle';
  const entry = runtime === 'bundle' ? await workerBundle() : join(BENCH_DIR, 'worker.ts');
  const args = [
    ...(runtime === 'tsx' ? ['--import', 'tsx'] : []),
    ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []),
    entry,
    JSON.stringify(job, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
  ];
  if (options.sync !== false) syncDisks();
  const { code, stdout, stderr } = await collect(spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] }), options.timeoutMs ?? 15 * 60_000);
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH-RESULT '));
  if (code !== 0 || !line) throw new Error(`worker ${job.mode} (${runtime}) exited with ${code}: ${tail(stderr || stdout)}`);
  const output = JSON.parse(line.slice('BENCH-RESULT '.length)) as WorkerOutput;
  if (output.error) throw new Error(`worker ${job.mode} (${runtime}) failed: ${output.error}`);
  return { ...output, runtime };
}

function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function collect(child: ChildProcess, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Service<T> {
  info: T;
  child: ChildProcess;
  /** Send a message (IPC) and wait for the answer with the same `type`. */
  ask<R>(message: { type: string } & Record<string, unknown>, timeoutMs?: number): Promise<R>;
  stop(): Promise<void>;
  stderr(): string;
}

/**
 * Start a long-running TypeScript service (under tsx) with an IPC channel; it
 * sends `{ type: 'ready', ... }` once listening. `stop()` asks it to close
 * (message `{ type: 'stop' }`), then waits for the exit (SIGKILL after 20 s).
 *
 * @example
 *   const sim = await startService<{ dataUrl: string }>('sim-server.ts', []);
 */
export function startService<T>(script: string, args: string[], options: { execArgv?: string[]; env?: Record<string, string>; readyTimeoutMs?: number } = {}): Promise<Service<T>> {
  const child = spawn(process.execPath, [...(options.execArgv ?? []), '--import', 'tsx', join(BENCH_DIR, script), ...args], {
    cwd: PROJECT_ROOT,
    env: childEnv(options.env),
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ask = <R>(message: { type: string } & Record<string, unknown>, timeoutMs = 120_000): Promise<R> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script}: no answer to ${message.type} within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (m: { type?: string }) => {
        if (m.type !== message.type) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(m as R);
      };
      child.on('message', onMessage);
      child.send(message);
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not get ready: ${tail(stderr)}`));
    }, options.readyTimeoutMs ?? 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready: ${tail(stderr)}`));
    });
    child.once('message', (m: { type?: string }) => {
      if (m.type !== 'ready') return;
      clearTimeout(timer);
      resolve({
        info: m as T,
        child,
        ask,
        stderr: () => stderr,
        stop: async () => {
          if (child.exitCode !== null) return;
          const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
          if (child.connected) child.send({ type: 'stop' });
          else child.kill('SIGTERM');
          await exited;
          clearTimeout(kill);
        },
      });
    });
  });
}

/** Flush dirty pages of every filesystem, so one measurement's writeback does not bill the next. */
export function syncDisks(): void {
  spawnSync('sync', { stdio: 'ignore' });
}

/**
 * The hottest functions (self time) of the one .cpuprofile in `dir`, the whole
 * profile's duration, and the time per coarse bucket. Buckets by `self`: where
 * the sampled frame itself lives (wasm, fs syscalls, our JS, a dependency); by
 * `owner`: which component the sampled call stack belongs to (an emulator, the
 * AWS SDK, the broker's code...), for a process that hosts several.
 */
export function summarizeCpuProfile(dir: string, top = 12, attribution: 'self' | 'owner' = 'self'): ProfileSummary {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ownerCache = new Map<number, string>();
  const ownerOf = (id: number): string => {
    const cached = ownerCache.get(id);
    if (cached) return cached;
    const urls: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) urls.push(byId.get(at)?.callFrame.url ?? '');
    const owner = ownerGroup(byId.get(id)!.callFrame.functionName, urls);
    ownerCache.set(id, owner);
    return owner;
  };
  const self = new Map<string, { fn: string; where: string; us: number }>();
  const groups: Record<string, number> = {};
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const node = byId.get(id);
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
    const key = `${functionName}@${where}`;
    const entry = self.get(key) ?? { fn: functionName || '(anonymous)', where, us: 0 };
    entry.us += dt;
    self.set(key, entry);
    const group = attribution === 'owner' ? ownerOf(id) : groupOf(functionName, url);
    groups[group] = (groups[group] ?? 0) + dt / 1000;
  });
  const entries = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ function: e.fn, where: e.where, self_ms: e.us / 1000, share: total > 0 ? e.us / total : 0 }));
  rmSync(join(dir, file), { force: true });
  return { total_ms: total / 1000, entries, groups: Object.fromEntries(Object.entries(groups).sort((a, b) => b[1] - a[1])) };
}

/** The component a sampled stack (frame urls, innermost first) belongs to. */
function ownerGroup(fn: string, urls: string[]): string {
  if (fn === '(idle)') return 'idle (waiting: I/O, sockets, other processes)';
  if (fn === '(garbage collector)') return 'garbage collector';
  if (fn === '(program)') return 'V8/native (program)';
  const any = (re: RegExp) => urls.some((u) => re.test(u));
  if (any(/node_modules\/(s3rver|koa|@koa|xmlbuilder|busboy|fast-xml-parser)/)) return 'S3 emulator (s3rver)';
  if (any(/node_modules\/(dynalite|levelup|leveldown|abstract-leveldown|level-|deferred-leveldown|encoding-down|memdown|lazy|big\.js)/)) return 'DynamoDB emulator (dynalite, LevelDB)';
  if (any(/node_modules\/(aws-local-stepfunctions|asl-validator|jsonpath)|\/local\/emulators\/stepfunctions/)) return 'Step Functions emulator (incl. ASL validation)';
  if (any(/node_modules\/(@aws-sdk|@smithy|@aws-crypto)/)) return 'AWS SDK clients';
  if (any(/node_modules\/(@middy|ajv|fast-uri)/)) return 'request parsing + validation (middy, ajv)';
  if (any(/node_modules\/h5wasm/)) return 'h5wasm';
  if (any(/\/(functions|lib|local)\//)) return 'broker code (handlers, adapters, local HTTP API)';
  if (any(/^node:internal\/modules|^node:internal\/main/)) return 'start-up (module loading)';
  if (any(/^node:/)) return 'node core without a JS owner (sockets, HTTP parser, timers)';
  return 'other native';
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\//, '').replace(`${PROJECT_ROOT}/`, '').replace(/^.*node_modules\//, '');
}

/** A coarse bucket for a profile frame: where the CPU went. */
function groupOf(fn: string, url: string): string {
  if (fn === '(idle)') return 'idle (waiting: I/O, sockets, other processes)';
  if (fn === '(garbage collector)') return 'garbage collector';
  if (fn === '(program)') return 'V8/native (program)';
  if (url.startsWith('wasm://')) return /bshuf|LZ4/i.test(fn) ? 'wasm: bitshuffle+LZ4 plugin' : 'wasm: HDF5';
  if (url.includes('h5wasm')) return 'h5wasm JS glue';
  if (!url) {
    if (/^write(Buffer|String|v)?$/.test(fn)) return 'fs write syscalls';
    if (/^(read|readBuffer|readv)$/.test(fn)) return 'fs read syscalls';
    if (/^f?sync$|^fdatasync$/.test(fn)) return 'fsync';
    if (/^(compile|instantiate|Module|Instance)/.test(fn)) return 'start-up (wasm and module compile)';
    return 'other native';
  }
  if (url.startsWith('node:internal/modules') || fn === 'compileSourceTextModule') return 'start-up (wasm and module compile)';
  if (url.startsWith('node:')) return 'node core (fs, net, streams)';
  if (url.includes('node_modules')) return `dependency ${url.replace(/^.*node_modules\/((?:@[^/]+\/)?[^/]+).*$/, '$1')}`;
  return 'our JS';
}
