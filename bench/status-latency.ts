/**
 * Issue 12's responsiveness figure: GET /runs/{pgroup}/{n} answers in
 * < 100 ms p99 while a 4-source 1,000-pulse retrieval runs (BS channels, a
 * camera, PVs and a detector). With every function in its own process the
 * retrievers' HDF5 writing no longer stalls the API; the figure shows it.
 *
 * The local stack runs in this process (its emulators, front and simulators);
 * the functions run in their own processes, as on Lambda.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLocalStack } from '../local/stack';
import type { Benchmark, BenchOptions, BenchResult } from './lib/report';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

async function run(options: BenchOptions): Promise<BenchResult> {
  const pulses = options.pulses ?? (options.quick ? 200 : 1_000);
  const root = await mkdtemp(join(tmpdir(), 'sfdaq-bench-status-'));
  const stack = await startLocalStack({
    port: 0, dataRoot: join(root, 'data'), stateDir: join(root, 'state'),
    delays: { dataSeconds: 0, detectorSeconds: 0 }, env: { SFDAQ_LOG_LEVEL: 'silent' }, logSink: () => undefined,
  });
  try {
    const get = async (path: string) => {
      const t0 = performance.now();
      const res = await fetch(`${stack.url}${path}`);
      const json = (await res.json()) as { message?: string; run?: { state: string } };
      return { ms: performance.now() - t0, status: res.status, json };
    };
    // Warm: one status call per instance the polling will use, so cold starts are not counted as latency.
    await get('/get_current_run_number?pgroup=p12345');
    const now = Number(stack.clock.currentPulseId());
    const body = {
      pgroup: 'p12345', start_pulseid: now - pulses - 300, stop_pulseid: now - 301, directory_name: 'bench-status',
      channels_list: ['SAR-CVME-TIFALL5:EvtSet', 'SARFE10-PBPG050:HAMP-INTENSITY-CAL'], camera_list: ['SARES11-SPEC125-M1:FPICTURE'],
      pv_list: ['SARFE10-OPSH044:PRESSURE', 'motor1_PV'], detectors: { JF01T03V01: {} },
    };
    const accepted = await fetch(`${stack.url}/retrieve_from_buffers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const { run_number: runNumber } = (await accepted.json()) as { run_number: number };
    await get(`/runs/p12345/${runNumber}`);

    const latencies: number[] = [];
    const during: number[] = [];
    let state = 'accepted';
    let errors = 0;
    const t0 = performance.now();
    while (!['done', 'done_with_problems', 'failed'].includes(state) && performance.now() - t0 < 600_000) {
      const answer = await get(`/runs/p12345/${runNumber}`);
      if (answer.status !== 200) errors++;
      state = answer.json.run?.state ?? state;
      latencies.push(answer.ms);
      if (state === 'retrieving') during.push(answer.ms);
      await new Promise((r) => setTimeout(r, 50));
    }
    const wall = (performance.now() - t0) / 1000;
    const sorted = [...during].sort((a, b) => a - b);
    const p50 = percentile(sorted, 0.5);
    const p99 = percentile(sorted, 0.99);
    const max = sorted.at(-1) ?? 0;
    return {
      tables: [{
        title: `GET /runs/{pgroup}/{n} while a ${pulses}-pulse run retrieves BS, a 1280x1024 camera, PVs and JF01T03V01 (every 50 ms)`,
        columns: ['calls while retrieving', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'run state', 'retrieval s'],
        rows: [[during.length, p50.toFixed(1), p99.toFixed(1), max.toFixed(1), errors, state, wall.toFixed(1)]],
        notes: ['Each function runs in its own processes (the local Lambda service): the retrievers write HDF5 there, the status is answered by runStatus\'s instance.'],
      }],
      goals: [{ goal: 'p99 < 100 ms while a 4-source 1,000-pulse retrieval runs', measured: `p99 ${p99.toFixed(1)} ms over ${during.length} calls`, met: pulses >= 1_000 ? p99 < 100 && errors === 0 : null }],
      data: { pulses, run_state: state, calls: latencies.length, during: during.length, p50_ms: p50, p99_ms: p99, max_ms: max, errors, retrieval_s: wall },
    };
  } finally {
    await stack.close();
    await rm(root, { recursive: true, force: true });
  }
}

export const statusLatencyBenchmark: Benchmark = {
  name: 'status-latency',
  describe: 'GET /runs/{pgroup}/{n} latency while a 4-source retrieval runs (issue 12: p99 < 100 ms)',
  run,
};
