/**
 * Detectors split across workers, through the local stack (sparse simulated
 * buffer, small parts so a few hundred pulses make several parts): one file
 * for the scientist whatever the number of workers, a killed worker's part
 * retried alone, a part that keeps failing fails the source with its pulse
 * range, progress per detector, and a request too large refused at the door.
 * The 32-module x 2,000-pulse run is in the bench (`npm run bench -- detector-scale`).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bufferFilePath, MODULE_PIXEL_BYTES } from '../../lib/adapters/buffers/detector';
import { RunLog } from '../../lib/retrieval/run-log';
import { DEMO_FACILITY } from '../../local/demo-facility';
import { expectedPixel } from '../../local/simulators/detector';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { waitForRun } from '../helpers/runs';

const python = '/usr/bin/python3';
const hasH5py = spawnSync(python, ['-c', 'import h5py, hdf5plugin, numpy']).status === 0;
const DET = 'JF01T03V01';
const BIG = 'JF06T08V04';
/** 40 frames of 3 modules a part: 200 pulses make 5 parts. */
const ITEM_BYTES = 40 * 3 * MODULE_PIXEL_BYTES;
const MAX_BYTES = 10e9;

let stack: TestStack;
beforeAll(async () => {
  // The demo facility as `npm start` has it: alvra with JF01T03V01 and the 8-module JF06T08V04.
  stack = await startTestStack({ facility: DEMO_FACILITY, env: { SFDAQ_DETECTOR_ITEM_BYTES: String(ITEM_BYTES), SFDAQ_MAX_DETECTOR_BYTES: String(MAX_BYTES), SFDAQ_PROGRESS_INTERVAL_MS: '50' } });
}, 180_000);
afterAll(async () => {
  await stack?.destroy();
}, 180_000);

const ref = (run: number) => ({ beamline: 'alvra', pgroup: 'p12345', run_number: run });
const logOf = (run: number, det = DET) => readFileSync(RunLog.pathOf(stack.dataRoot, ref(run), det), 'utf8');
const attemptsIn = (log: string) => [...log.matchAll(/part (\d+): attempt (\d+) \(worker pid (\d+)\)/g)].map((m) => ({ part: Number(m[1]), attempt: Number(m[2]), pid: Number(m[3]) }));

/** h5py's view: shape, pulse ids, virtual or not, and row 0 of a few frames (module k's first words). */
async function h5py(file: string, det: string, frames: number[]): Promise<{ shape: number[]; ids: number[]; virtual: boolean; row0: number[][]; sources: string[] }> {
  const script = `
import h5py, hdf5plugin, json, sys
f = h5py.File(sys.argv[1], 'r'); d = f['data/${det}/data']
print(json.dumps({'shape': list(d.shape), 'ids': f['data/${det}/pulse_id'][:, 0].tolist(), 'virtual': d.is_virtual,
  'row0': [d[i, 0, 0:8].tolist() for i in ${JSON.stringify(frames)}],
  'sources': sorted({s.file_name for s in d.virtual_sources()}) if d.is_virtual else []}))`;
  return JSON.parse((await promisify(execFile)(python, ['-c', script, file], { cwd: '/', maxBuffer: 1 << 24 })).stdout);
}

/** A range of `n` pulses that the simulated buffer holds now, starting on an even pulse. */
function recentRange(n: number, back = 600n): { start: number; stop: number } {
  const now = stack.clock.currentPulseId();
  const start = now - back - (now % 2n);
  return { start: Number(start), stop: Number(start) + n - 1 };
}

describe.skipIf(!hasH5py)('one file for the scientist, written by several workers', () => {
  test('uncompressed: 200 pulses in 5 parts, pwritten into one pre-allocated file; progress per detector', async () => {
    const { start, stop } = recentRange(200);
    const { json } = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', start_pulseid: start, stop_pulseid: stop, directory_name: 'scale/raw', detectors: { [DET]: {} } });
    expect(json.status).toBe('ok');
    const runNumber = Number(json.message);
    const run = await waitForRun(stack, 'p12345', runNumber);
    expect(run.state).toBe('done');
    const source = run.sources.find((s: { source: string }) => s.source === DET);
    expect(source.check.verdict).toBe('ok');
    // The finished run keeps the detector's last progress, folded from its parts.
    expect(source.progress).toMatchObject({ pulses_written: 200, pulses_expected: 200, items_done: 5, items_total: 5 });

    const file = (json.files as string[])[0]!;
    const seen = await h5py(file, DET, [0, 199]);
    expect(seen.shape).toEqual([200, 3 * 512, 1024]);
    expect(seen.ids).toEqual(Array.from({ length: 200 }, (_, i) => start + i));
    expect(seen.virtual).toBe(false);
    expect(seen.row0[1]![0]).toBe(expectedPixel(DET, 0, BigInt(stop), 0, 0));
    expect(seen.row0[0]!.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5].map((c) => expectedPixel(DET, 0, BigInt(start), 0, c)));

    const log = logOf(runNumber);
    expect(log).toMatch(/split into 5 parts of at most 40 frames/);
    const attempts = attemptsIn(log);
    expect(attempts.map((a) => a.part).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(attempts.map((a) => a.pid)).size).toBeGreaterThan(1); // more than one worker
    expect(readdirSync(join(stack.raw, 'scale', 'raw'))).toEqual([`run_${String(runNumber).padStart(6, '0')}.${DET}.h5`]); // no temp, no work folder
  });

  test('bitshuffle+LZ4: the parts beside the file, its data one virtual dataset over them', async () => {
    const { start, stop } = recentRange(200, 900n);
    const { json } = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', start_pulseid: start, stop_pulseid: stop, directory_name: 'scale/lz4', detectors: { [DET]: { compression: true } } });
    const runNumber = Number(json.message);
    const run = await waitForRun(stack, 'p12345', runNumber);
    expect(run.state).toBe('done');
    expect(run.sources[0].check.verdict).toBe('ok');
    const file = (json.files as string[])[0]!;
    const label = `run_${String(runNumber).padStart(6, '0')}.${DET}`;
    const seen = await h5py(file, DET, [0, 117, 199]);
    expect(seen).toMatchObject({ shape: [200, 1536, 1024], virtual: true, sources: [0, 1, 2, 3, 4].map((p) => `${label}.parts/part_000${p}.h5`) });
    expect(seen.ids).toEqual(Array.from({ length: 200 }, (_, i) => start + i));
    expect(seen.row0[1]![0]).toBe(expectedPixel(DET, 0, BigInt(start + 117), 0, 0));
    expect(readdirSync(join(stack.raw, 'scale', 'lz4')).sort()).toEqual([`${label}.h5`, `${label}.parts`]);
    expect(readdirSync(join(stack.raw, 'scale', 'lz4', `${label}.parts`)).sort()).toEqual([0, 1, 2, 3, 4].map((p) => `part_000${p}.h5`));
  });
});

describe('failures and retries per part', () => {
  test('a worker killed while writing its part: that part alone runs again, the file is whole', async () => {
    // 600 pulses of an 8-module detector in 2 parts: long enough to be caught while writing.
    // (only the Plan splits: the workers follow its manifest)
    await stack.lambda.updateFunctionConfiguration('planRetrieval', { environment: { ...stack.env, SFDAQ_DETECTOR_ITEM_BYTES: String(300 * 8 * MODULE_PIXEL_BYTES) } });
    const { start, stop } = recentRange(600, 1500n);
    const { json } = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', start_pulseid: start, stop_pulseid: stop, directory_name: 'scale/kill', detectors: { [BIG]: {} } });
    expect(json.status).toBe('ok');
    const runNumber = Number(json.message);
    const app = stack.app();
    let killed: { part: number; pid: number } | undefined;
    let sawProgress = false;
    const until = Date.now() + 60_000;
    while (!killed && Date.now() < until) {
      const progress = await app.progress.read(ref(runNumber));
      const status = (await stack.get(`/runs/p12345/${runNumber}`)).json.run as { sources?: Array<{ progress?: { items_total?: number } }> };
      if (status.sources?.[0]?.progress?.items_total === 2) sawProgress = true;
      const log = existsSync(RunLog.pathOf(stack.dataRoot, ref(runNumber), BIG)) ? logOf(runNumber, BIG) : '';
      const busy = new Set(stack.lambda.stats().functions.retrieveDetectorPart?.pids ?? []);
      for (const a of attemptsIn(log)) {
        const p = progress[`${BIG}#${a.part}`];
        if (p && p.pulses_written > 0 && p.pulses_written < p.pulses_expected && busy.has(a.pid)) {
          process.kill(a.pid, 'SIGKILL');
          killed = { part: a.part, pid: a.pid };
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(killed, 'a worker caught mid-part').toBeDefined();
    expect(sawProgress).toBe(true);
    const run = await waitForRun(stack, 'p12345', runNumber, 120_000);
    expect(run.state).toBe('done');
    const attempts = attemptsIn(logOf(runNumber, BIG));
    expect(attempts.filter((a) => a.attempt === 2).map((a) => a.part)).toEqual([killed!.part]);
    expect(attempts.filter((a) => a.attempt === 1).map((a) => a.part).sort()).toEqual([0, 1]);
    expect(logOf(runNumber, BIG)).toMatch(/in 2 parts \(1 part attempt retried\)/);
    expect(run.sources[0].check.verdict).toBe('ok');
    if (hasH5py) {
      const seen = await h5py((json.files as string[])[0]!, BIG, [0, 599]);
      expect(seen.shape).toEqual([600, 8 * 512, 1024]);
      expect(seen.ids).toEqual(Array.from({ length: 600 }, (_, i) => start + i));
      expect(seen.row0[1]![0]).toBe(expectedPixel(BIG, 0, BigInt(stop), 0, 0));
    }
    await stack.lambda.updateFunctionConfiguration('planRetrieval', { environment: stack.env });
  });

  test('a part that keeps failing fails the source with its pulse range; nothing is left under a final name', async () => {
    // Pulses across a buffer file boundary F: part 0 holds F-40..F-1 (the file before), parts 1..4 the file from F.
    const now = Number(stack.clock.currentPulseId());
    const boundary = Math.floor((now - 260) / 1000) * 1000;
    const start = boundary - 40;
    const broken = bufferFilePath(stack.buffers!.detectorBufferRoot, DET, 1, BigInt(start));
    rmSync(broken);
    mkdirSync(broken); // opens, but every read fails (EISDIR): the buffer is unreadable there for good
    const { json } = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', start_pulseid: start, stop_pulseid: start + 199, directory_name: 'scale/broken', detectors: { [DET]: {} } });
    expect(json.status).toBe('ok');
    const runNumber = Number(json.message);
    const run = await waitForRun(stack, 'p12345', runNumber, 120_000);
    expect(run.state).toBe('failed');
    expect(run.sources[0].reason).toMatch(new RegExp(`^part 0 of 5 \\(frames 0..39, pulse ids ${start}..${boundary - 1}\\) failed after 6 attempts: cannot read detector buffer file .*EISDIR[^(]*$`)); // the Map's Retry: 5 more after the first
    expect(run.reason).toContain(`pulse ids ${start}..${boundary - 1}`);
    const dir = join(stack.raw, 'scale', 'broken');
    expect(readdirSync(dir).filter((n) => n !== `run_${String(runNumber).padStart(6, '0')}.${DET}.h5.err`)).toEqual([]);
    // the other parts were not retried
    expect(attemptsIn(logOf(runNumber)).filter((a) => a.part !== 0).every((a) => a.attempt === 1)).toBe(true);
  });
});

describe('refused at the door', () => {
  test('more detector data than the deployment writes in one run: the size and the limit, no run number taken', async () => {
    const before = (await stack.get('/get_current_run_number?pgroup=p12345')).json.run_number;
    const { start } = recentRange(1);
    const { json } = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', start_pulseid: start, stop_pulseid: start + 1999, detectors: { [BIG]: {} } });
    expect(json).toMatchObject({ status: 'failed', field: 'detectors' });
    expect(json.message).toMatch(/^the detectors ask for 17 GB of frames \(JF06T08V04: 17 GB in 2,000 frames\), more than this deployment writes in one run: 10 GB/);
    expect((await stack.get('/get_current_run_number?pgroup=p12345')).json.run_number).toBe(before);
  });
});
