/**
 * Benchmark `detector-e2e`: the issue's acceptance run through the whole local
 * stack (`npm start`'s system: HTTP API, strict Step Functions, the functions
 * bundled as deployed, each instance its own process): bernina's 16M
 * detector JF07T32V01 (32 modules) x 2,000 pulses (64 GiB of frames; the
 * simulated buffer is sparse, so the disk holds a few hundred MB), split into
 * parts of the deployment's default size, uncompressed and bitshuffle+LZ4.
 * Each run must end `done` with one file that h5py and the check read as
 * [2000, 16384, 1024] with every pulse id in order, written by more than one
 * worker. Too slow for CI (minutes): test/e2e/detector-scale.test.ts runs the
 * same path on a 3-module detector.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunLog } from '../lib/retrieval/run-log';
import { startLocalStack } from '../local/stack';
import { fmt, type Benchmark, type BenchOptions, type BenchResult, type Goal } from './lib/report';

const DET = 'JF07T32V01';

export const detectorE2eBenchmark: Benchmark = {
  name: 'detector-e2e',
  describe: 'JF07T32V01 x 2,000 pulses through the local stack (sparse buffer): one file [2000, 16384, 1024] from several workers, raw and compressed',
  async run(options: BenchOptions): Promise<BenchResult> {
    const pulses = options.pulses ?? (options.quick ? 200 : 2000);
    const root = mkdtempSync(join(tmpdir(), 'sfdaq-bench-detector-e2e-'));
    const stack = await startLocalStack({
      port: 0, dataRoot: join(root, 'data'), stateDir: join(root, 'state'), delays: { dataSeconds: 0, detectorSeconds: 0 },
      logSink: () => undefined, env: { SFDAQ_LOG_LEVEL: 'silent', ...(options.quick ? { SFDAQ_DETECTOR_ITEM_BYTES: String(2 ** 30) } : {}) },
    });
    try {
      const rows: string[][] = [];
      const goals: Goal[] = [];
      const data: Record<string, unknown> = {};
      let n = 0;
      for (const compression of [false, true]) {
        n += 1;
        // Ends some seconds in the future: the Wait state holds the parts until the buffer has it.
        const now = stack.clock.currentPulseId();
        const start = Number(now) - 900;
        const stop = start + pulses - 1;
        const t0 = performance.now();
        const answer = await post(stack.url, { pgroup: 'p23456', start_pulseid: start, stop_pulseid: stop, directory_name: `bench/${n}`, detectors: { [DET]: compression ? { compression: true } : {} } });
        if (answer.status !== 'ok') throw new Error(`refused: ${JSON.stringify(answer)}`);
        const run = await waitDone(stack.url, Number(answer.message));
        const wall = (performance.now() - t0) / 1000;
        const file = (answer.files as string[])[0]!;
        const script = `import h5py, hdf5plugin, json, sys; f = h5py.File(sys.argv[1]); d = f['data/${DET}/data']; p = f['data/${DET}/pulse_id'][:, 0]
print(json.dumps({'shape': list(d.shape), 'in_order': bool((p[1:] - p[:-1] == 1).all()), 'first': int(p[0]), 'last': int(p[-1]), 'virtual': d.is_virtual, 'row0': int(d[${pulses - 1}, 0, 0])}))`;
        const seen = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, file], { cwd: '/', encoding: 'utf8' })) as { shape: number[]; in_order: boolean; first: number; last: number; virtual: boolean; row0: number };
        const log = readFileSync(RunLog.pathOf(stack.dataRoot, { beamline: 'bernina', pgroup: 'p23456', run_number: Number(answer.message) }, DET), 'utf8');
        const pids = new Set([...log.matchAll(/worker pid (\d+)/g)].map((m) => m[1]));
        const parts = Number(/split into (\d+) part/.exec(log)?.[1] ?? 0);
        const source = run.sources[0];
        const name = compression ? 'bitshuffle+LZ4' : 'uncompressed';
        rows.push([name, String(pulses), run.state, source.check?.verdict ?? '-', JSON.stringify(seen.shape), String(seen.in_order && seen.first === start && seen.last === stop), String(parts), String(pids.size), fmt(wall, 1), fmt((pulses * 32 * 2 ** 20) / 1e6 / wall, 0)]);
        goals.push({
          goal: `${name}: done, [${pulses}, 16384, 1024], every pulse id in order, more than one worker`,
          measured: `${run.state}, check ${source.check?.verdict}, ${JSON.stringify(seen.shape)}, in order ${seen.in_order}, ${parts} parts by ${pids.size} workers, ${fmt(wall, 1)} s`,
          met: run.state === 'done' && source.check?.verdict === 'ok' && seen.shape[0] === pulses && seen.in_order && seen.first === start && pids.size > 1,
        });
        data[name] = { run, seen, parts, workers: pids.size, wall_s: wall };
      }
      return {
        tables: [{
          title: `${DET} (32 modules) x ${pulses} pulses through the local stack (sparse simulated buffer)`,
          columns: ['case', 'pulses', 'state', 'check', 'h5py shape', 'ids in order', 'parts', 'workers', 'accept to done s', 'MB/s of frames'],
          rows,
          notes: ['Sparse buffer: rows 1..511 of each module are holes, read as zeros; the uncompressed file skips writing pages of zeros (a fresh file reads zeros there), the compressed one compresses them. The wall time includes the Wait until the last pulse exists (the range ends in the future).'],
        }],
        goals,
        data,
      };
    } catch (error) {
      console.error(`detector-e2e: ${(error as Error).stack ?? String(error)}`);
      throw error;
    } finally {
      // The emulators may still answer a worker's last progress report while closing.
      const ignore = (e: Error) => console.error(`detector-e2e: while closing the stack: ${e.message}`);
      process.on('uncaughtException', ignore);
      await stack.sfn.idle().catch(() => undefined);
      await stack.close();
      process.off('uncaughtException', ignore);
      rmSync(root, { recursive: true, force: true });
    }
  },
};

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/retrieve_from_buffers`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'bernina-demo-key' }, body: JSON.stringify(body) });
  return (await res.json()) as Record<string, unknown>;
}

async function waitDone(url: string, run: number): Promise<Record<string, any>> {
  for (const deadline = Date.now() + 30 * 60_000; Date.now() < deadline; ) {
    // A loaded machine may answer a poll late (the HTTP front's 503 after 30 s): ask again.
    const json = await fetch(`${url}/runs/p23456/${run}`, { headers: { 'x-api-key': 'bernina-demo-key' } })
      .then((res) => res.json() as Promise<{ run?: { state?: string } }>)
      .catch(() => ({}) as { run?: { state?: string } });
    if (json.run?.state && ['done', 'done_with_problems', 'failed'].includes(json.run.state)) return json.run as Record<string, any>;
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`run ${run} did not finish in 30 minutes`);
}
