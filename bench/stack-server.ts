/**
 * The local stack (local/stack.ts) for the acceptance benchmark, in a process
 * of its own (started over IPC by bench/acceptance.ts):
 *
 *   node --openssl-legacy-provider [--cpu-prof] --import tsx bench/stack-server.ts <root> <pgroups>
 *
 * Temp directories under <root>; pgroups p10001.. (<pgroups> of them) at
 * beamline alvra. `simulators: false` and a data/detector delay of one day:
 * each accepted run's workflow does its Plan step (an S3 status put) and then
 * waits in WaitForBuffer until the stack closes, so retrieval never competes
 * with acceptance for the CPU.
 *
 * The accept path runs in the `retrieve` function's own processes (the local
 * Lambda service), so its steps are not timed here; the stats report this
 * process's CPU and event loop and the functions' cold starts.
 *
 * IPC: sends `{ type: 'ready', url, dataRoot }`; answers `{ type: 'stats' }`
 * with the step timings, event-loop delay and CPU since the last `reset`;
 * `{ type: 'reset' }` clears them; `{ type: 'profile', action: 'start' }`
 * starts the V8 CPU profiler, `{ type: 'profile', action: 'stop', file }`
 * writes the .cpuprofile; `{ type: 'stop' }` closes and exits.
 */
import '../lib/runtime/polyfills';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { startLocalStack } from '../local/stack';

const [root = '.', pgroupCount = '10'] = process.argv.slice(2);
const dataRoot = join(root, 'data');
const pgroups = Array.from({ length: Number(pgroupCount) }, (_, i) => `p${10001 + i}`);
for (const pgroup of pgroups) mkdirSync(join(dataRoot, 'alvra', 'data', pgroup, 'raw'), { recursive: true });

const stack = await startLocalStack({
  port: 0,
  dataRoot,
  stateDir: join(root, 'state'),
  simulators: false,
  delays: { dataSeconds: 86_400, detectorSeconds: 86_400 },
  env: { SFDAQ_LOG_LEVEL: 'silent' },
  logSink: () => undefined,
});

/** Cold starts of the stack's function instances since the last reset (each function runs in its own processes). */
let initBefore = new Map<string, number>();
const coldStarts = () => {
  const out: Record<string, number[]> = {};
  for (const [fn, stats] of Object.entries(stack.lambda.stats().functions)) {
    const fresh = stats.initMs.slice(initBefore.get(fn) ?? 0);
    if (fresh.length) out[`Lambda cold start: ${fn}`] = fresh;
  }
  return out;
};
const markCold = () => {
  initBefore = new Map(Object.entries(stack.lambda.stats().functions).map(([fn, s]) => [fn, s.initMs.length]));
};

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
let cpu0 = process.cpuUsage();
let t0 = performance.now();

const summary = (list: number[]) => {
  const s = [...list].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  return { count: s.length, mean_ms: s.reduce((a, b) => a + b, 0) / (s.length || 1), p50_ms: q(0.5), p99_ms: q(0.99), max_ms: s[s.length - 1] ?? 0, total_ms: s.reduce((a, b) => a + b, 0) };
};

let inspector: Session | undefined;
async function profile(action: 'start' | 'stop', file?: string): Promise<void> {
  if (action === 'start') {
    inspector = new Session();
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.setSamplingInterval', { interval: 1000 });
    await inspector.post('Profiler.start');
  } else if (inspector) {
    const { profile: data } = await inspector.post('Profiler.stop');
    if (file) writeFileSync(file, JSON.stringify(data));
    inspector.disconnect();
    inspector = undefined;
  }
}

process.on('message', (m: { type?: string; action?: 'start' | 'stop'; file?: string }) => {
  if (m.type === 'profile') {
    void profile(m.action ?? 'stop', m.file).then(() => process.send?.({ type: 'profile' }));
  } else if (m.type === 'reset') {
    markCold();
    loop.reset();
    cpu0 = process.cpuUsage();
    t0 = performance.now();
    process.send?.({ type: 'reset' });
  } else if (m.type === 'stats') {
    const cpu = process.cpuUsage(cpu0);
    const wall = (performance.now() - t0) / 1000;
    process.send?.({
      type: 'stats',
      wall_s: wall,
      cpu_s: (cpu.user + cpu.system) / 1e6,
      event_loop_delay_ms: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
      steps: Object.fromEntries(Object.entries(coldStarts()).map(([step, list]) => [step, summary(list)])),
      rss_mb: process.memoryUsage().rss / 2 ** 20,
    });
  } else if (m.type === 'stop') {
    void stack.close().finally(() => process.exit(0));
  }
});
process.on('disconnect', () => void stack.close().finally(() => process.exit(0)));
process.send?.({ type: 'ready', url: stack.url, dataRoot, pgroups });
