/**
 * Benchmark `acceptance`: 50 concurrent clients POSTing retrieve requests
 * across 10 pgroups for 30 s (quick: 3 s) against the local stack (all of it,
 * emulators included, in one process: bench/stack-server.ts), from this
 * process over keep-alive HTTP. Requests/s, latency percentiles, errors; then
 * run numbers must be gap-free per pgroup (GET /get_current_run_number, the
 * .daq/run_*.json files, the numbers the clients were given).
 *
 * Also measured: one client alone (service time without queueing), and per
 * accept step inside the stack (DynamoDB, filesystem, S3, StartExecution), the
 * stack's CPU and event-loop delay. With --profile the V8 profiler runs in
 * the stack during the 50-client phase and the profile is summarised by
 * component (emulators, AWS SDK, broker code, ...).
 *
 * The workflows of accepted runs do their Plan step and then wait (a data
 * delay of one day), so no retrieval runs during the load.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startService, summarizeCpuProfile } from './lib/child';
import { tempDir } from './lib/fixtures';
import { fmt, profileTable, type Benchmark, type BenchOptions, type BenchResult, type Table } from './lib/report';

const CLIENTS = 50;
const PGROUPS = 10;

interface StepStats {
  count: number;
  mean_ms: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  total_ms: number;
}

interface StackStats {
  wall_s: number;
  cpu_s: number;
  event_loop_delay_ms: { p50: number; p99: number; max: number };
  steps: Record<string, StepStats>;
  rss_mb: number;
}

interface Phase {
  clients: number;
  seconds: number;
  requests: number;
  latencies: number[];
  errors: string[];
  /** Run numbers answered with status ok, per pgroup. */
  runs: Map<string, number[]>;
  stack: StackStats;
}

const body = (pgroup: string, i: number) =>
  JSON.stringify({
    pgroup,
    start_pulseid: 11_884_948_775 + i * 1000,
    stop_pulseid: 11_884_949_774 + i * 1000,
    channels_list: ['SAR-CVME-TIFALL5:EvtSet', 'SARFE10-PBPG050:HAMP-INTENSITY-CAL'],
    camera_list: ['SARES11-SPEC125-M1:FPICTURE'],
    pv_list: ['SARFE10-OPSH044:PRESSURE'],
    detectors: { JF01T03V01: {} },
    directory_name: 'bench',
  });

function request(agent: http.Agent, url: string, method: 'GET' | 'POST', path: string, payload?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method, agent, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> });
        } catch {
          reject(new Error(`HTTP ${res.statusCode}: not JSON: ${text.slice(0, 100)}`));
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** `clients` closed-loop clients, each POSTing one request after another for `seconds`. */
async function load(url: string, pgroups: string[], clients: number, seconds: number): Promise<Omit<Phase, 'stack'>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const latencies: number[] = [];
  const errors: string[] = [];
  const runs = new Map<string, number[]>(pgroups.map((p) => [p, []]));
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const client = async (c: number) => {
    for (let k = 0; performance.now() < end; k++) {
      const pgroup = pgroups[(c + k) % pgroups.length]!;
      const i = n++;
      const t0 = performance.now();
      try {
        const { status, json } = await request(agent, url, 'POST', '/retrieve_from_buffers', body(pgroup, i));
        latencies.push(performance.now() - t0);
        if (status !== 200 || json.status !== 'ok') errors.push(`HTTP ${status}: ${String(json.message)}`);
        else runs.get(pgroup)!.push(Number(json.run_number));
      } catch (error) {
        latencies.push(performance.now() - t0);
        errors.push((error as Error).message);
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  const wall = (performance.now() - t0) / 1000;
  agent.destroy();
  return { clients, seconds: wall, requests: latencies.length, latencies, errors, runs };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

export const acceptanceBenchmark: Benchmark = {
  name: 'acceptance',
  describe: `${CLIENTS} concurrent clients POSTing retrieve requests across ${PGROUPS} pgroups against the local stack: req/s, p50/p99, errors, gap-free run numbers`,
  async run(options: BenchOptions): Promise<BenchResult> {
    const seconds = options.seconds ?? (options.quick ? 3 : 30);
    const tmp = tempDir('acceptance');
    const profDir = options.profile ? mkdtempSync(join(tmp.path, 'prof-')) : undefined;
    const stack = await startService<{ url: string; dataRoot: string; pgroups: string[] }>('stack-server.ts', [tmp.path, String(PGROUPS)], {
      execArgv: ['--openssl-legacy-provider'],
      readyTimeoutMs: 120_000,
    });
    const { url, dataRoot, pgroups } = stack.info;
    const phases: Phase[] = [];
    const warmRuns = new Map<string, number[]>(pgroups.map((p) => [p, []]));
    let stopped = false;
    try {
      // Warm-up (module loading, connections, JIT): two requests per pgroup, not timed.
      const agent = new http.Agent({ keepAlive: true });
      for (const pgroup of pgroups) {
        for (let i = 0; i < 2; i++) {
          const { json } = await request(agent, url, 'POST', '/retrieve_from_buffers', body(pgroup, i));
          if (json.status !== 'ok') throw new Error(`warm-up request refused: ${String(json.message)}`);
          warmRuns.get(pgroup)!.push(Number(json.run_number));
        }
      }
      agent.destroy();
      for (const clients of [1, CLIENTS]) {
        await stack.ask({ type: 'reset' });
        const profiled = profDir !== undefined && clients === CLIENTS;
        if (profiled) await stack.ask({ type: 'profile', action: 'start' });
        const phase = await load(url, pgroups, clients, clients === 1 ? Math.max(1, Math.min(5, seconds / 3)) : seconds);
        const stats = await stack.ask<StackStats & { type: string }>({ type: 'stats' });
        if (profiled) await stack.ask({ type: 'profile', action: 'stop', file: join(profDir, 'stack.cpuprofile') });
        phases.push({ ...phase, stack: stats });
      }

      // Run numbers: what the counter says, what the bookkeeping files say, what the clients were given.
      const gapAgent = new http.Agent({ keepAlive: true });
      const gaps: Array<{ pgroup: string; current: number; files: number; answered: number; missing: number[]; duplicates: number[] }> = [];
      for (const pgroup of pgroups) {
        const { json } = await request(gapAgent, url, 'GET', `/get_current_run_number?pgroup=${pgroup}`);
        const current = Number(json.run_number);
        const files = readdirSync(join(dataRoot, 'alvra', 'data', pgroup, 'raw', '.daq'))
          .map((f) => /^run_(\d{6})\.json$/.exec(f)?.[1])
          .filter((x): x is string => x !== undefined)
          .map(Number);
        const answered = [...warmRuns.get(pgroup)!, ...phases.flatMap((p) => p.runs.get(pgroup)!)];
        const fileSet = new Set(files);
        const seen = new Set<number>();
        const duplicates = answered.filter((r) => (seen.has(r) ? true : (seen.add(r), false)));
        const missing: number[] = [];
        for (let r = 1; r <= current; r++) if (!fileSet.has(r) || !seen.has(r)) missing.push(r);
        gaps.push({ pgroup, current, files: files.length, answered: answered.length, missing, duplicates });
      }
      gapAgent.destroy();

      await stack.stop();
      stopped = true;
      const profile = profDir ? summarizeCpuProfile(profDir, 15, 'owner') : undefined;

      const loadTable: Table = {
        title: `Acceptance under load: POST /retrieve_from_buffers against the local stack, ${PGROUPS} pgroups`,
        columns: ['clients', 'seconds', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'stack CPU', 'loop delay p99 ms'],
        rows: phases.map((p) => {
          const s = [...p.latencies].sort((a, b) => a - b);
          return [p.clients, fmt(p.seconds, 1), p.requests, fmt(p.requests / p.seconds, 0), fmt(percentile(s, 0.5), 1), fmt(percentile(s, 0.99), 1), fmt(s[s.length - 1], 1), p.errors.length, `${fmt(p.stack.cpu_s / p.stack.wall_s, 2)} cores`, fmt(p.stack.event_loop_delay_ms.p99, 1)];
        }),
        notes: [
          'Closed loop: each client sends its next request when the previous one is answered, so with 50 clients mean latency = 50 / throughput (Little\'s law): p99 < 50 ms needs > 1,000 req/s from one process.',
          '"seconds" runs until the last answer (clients stop sending at the load\'s end); "stack CPU" counts all the stack\'s threads (GC, libuv pool).',
          'The stack process holds the HTTP front, DynamoDB (dynalite, LevelDB), S3 (s3rver, files) and Step Functions (executions persisted as files); every function runs in its own processes (the local Lambda service, up to two per core and function). The load generator is this process.',
          ...(phases[1]?.errors.length ? [`errors (first 3): ${phases[1].errors.slice(0, 3).join(' | ')}`] : []),
        ],
      };
      const big = phases[phases.length - 1]!;
      const stepRows = (p: Phase) =>
        Object.entries(p.stack.steps)
          .sort((a, b) => b[1].total_ms - a[1].total_ms)
          .map(([step, s]) => [step, s.count, fmt(s.mean_ms, 2), fmt(s.p50_ms, 2), fmt(s.p99_ms, 2), fmt(s.max_ms, 1),
            // The Plan step runs in the workflow, after the answer: it loads the stack but is not part of a request's latency.
            step.includes('Plan step') ? 'after reply' : fmt((s.total_ms / 1000 / p.stack.wall_s) * 100 / p.clients, 0) + '%']);
      const stepsTable = (p: Phase): Table => ({
        title: `Function instances started during the load (${p.clients} client${p.clients === 1 ? '' : 's'}): cold starts, ms`,
        columns: ['step', 'calls', 'mean ms', 'p50 ms', 'p99 ms', 'max ms', 'share of latency'],
        rows: stepRows(p),
        notes: [
          `"share of latency": the step's total time / (phase wall x clients), i.e. its part of the average request's life. The remainder is HTTP, JSON, validation (middy, ajv) and waiting for the event loop.`,
          `Stack process: ${fmt(p.stack.cpu_s, 1)} CPU s in ${fmt(p.stack.wall_s, 1)} s wall; event-loop delay p50 ${fmt(p.stack.event_loop_delay_ms.p50, 1)} ms, p99 ${fmt(p.stack.event_loop_delay_ms.p99, 1)} ms; RSS ${fmt(p.stack.rss_mb, 0)} MB.`,
        ],
      });
      const gapTable: Table = {
        title: 'Run numbers after the load, per pgroup',
        columns: ['pgroup', 'current run', '.daq/run_*.json', 'numbers answered', 'missing', 'duplicates'],
        rows: gaps.map((g) => [g.pgroup, g.current, g.files, g.answered, g.missing.length ? g.missing.slice(0, 5).join(',') : 0, g.duplicates.length ? g.duplicates.slice(0, 5).join(',') : 0]),
      };
      // Cold starts happen only while instances are added: a phase without any has no such table.
      const tables = [loadTable, ...[stepsTable(phases[0]!), stepsTable(big)].filter((t) => t.rows.length > 0), gapTable];
      if (profile) tables.push(profileTable(`Acceptance: where the stack's time goes during the ${CLIENTS}-client load (V8 profiler, by component)`, { stack: profile }));

      const sorted = [...big.latencies].sort((a, b) => a - b);
      const p99 = percentile(sorted, 0.99);
      const gapFree = gaps.every((g) => g.missing.length === 0 && g.duplicates.length === 0 && g.files === g.current && g.answered === g.current);
      return {
        tables,
        goals: [
          { goal: `p99 < 50 ms with ${CLIENTS} clients`, measured: `p99 ${fmt(p99, 1)} ms, p50 ${fmt(percentile(sorted, 0.5), 1)} ms at ${fmt(big.requests / big.seconds, 0)} req/s`, met: p99 < 50 },
          { goal: '0 errors', measured: `${big.errors.length} of ${big.requests}`, met: big.errors.length === 0 },
          { goal: 'run numbers gap-free per pgroup', measured: gapFree ? `yes (${gaps.reduce((n, g) => n + g.current, 0)} runs in ${gaps.length} pgroups)` : 'NO', met: gapFree },
        ],
        data: {
          seconds,
          phases: phases.map((p) => ({ ...p, runs: Object.fromEntries(p.runs), latencies: undefined, latency_ms: summaryOf(p.latencies) })),
          gaps,
          profile,
        },
      };
    } finally {
      if (!stopped) await stack.stop();
      tmp.cleanup();
    }
  },
};

function summaryOf(latencies: number[]) {
  const s = [...latencies].sort((a, b) => a - b);
  return { count: s.length, p50: percentile(s, 0.5), p90: percentile(s, 0.9), p99: percentile(s, 0.99), max: s[s.length - 1] };
}
