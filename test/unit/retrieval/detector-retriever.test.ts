import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { MODULE_COLS, MODULE_ROWS } from '../../../lib/adapters/buffers/detector';
import { loadH5 } from '../../../lib/adapters/hdf5';
import { DEFAULT_CLOCK, FacilityClock } from '../../../lib/core/clock';
import type { DetectorOptions } from '../../../lib/core/run-request';
import { checkRun } from '../../../lib/retrieval/check-files';
import type { SourceCheck } from '../../../lib/core/check';
import { retrieveDetector, type DetectorRetrieverOptions } from '../../../lib/retrieval/detector-retriever';
import { RunLog } from '../../../lib/retrieval/run-log';
import type { BufferEndpoints, RetrieverInput } from '../../../lib/retrieval/types';
import { DetectorBufferSimulator, expectedFrameHeader, fillModulePixels, type DetectorFaultPlan } from '../../../local/simulators/detector';

const DET = 'JF01T03V01';
const MODULE_BYTES = MODULE_ROWS * MODULE_COLS * 2;
const temp = mkdtempSync(path.join(tmpdir(), 'detector-retriever-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
let serial = 0;

/** A fresh buffer root with `ranges` written by the simulator (sparse), and a fresh pgroup. */
async function setup(ranges: Array<[bigint, bigint]>, faults?: DetectorFaultPlan) {
  serial += 1;
  const root = path.join(temp, `buffer-${serial}`);
  const dataRoot = path.join(temp, `sf-${serial}`);
  mkdirSync(path.join(dataRoot, 'alvra', 'data', 'p12345', 'raw'), { recursive: true });
  mkdirSync(root);
  const sim = new DetectorBufferSimulator({ root, detectors: [], clock: new FacilityClock(), retentionPulses: 1e9, pixels: 'sparse', faults });
  for (const [from, to] of ranges) await sim.writeRange(DET, from, to);
  const endpoints: BufferEndpoints = {
    dataBufferUrl: 'http://unused', imageBufferUrl: 'http://unused', archiverUrl: 'http://unused',
    detectorBufferRoot: root, clock: DEFAULT_CLOCK, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 5 }, deadlineMs: 20_000,
  };
  return { root, dataRoot, endpoints };
}

function inputFor(dataRoot: string, start: number, stop: number, rate: number, options: DetectorOptions = {}, detector = DET): RetrieverInput {
  const raw = path.join(dataRoot, 'alvra', 'data', 'p12345', 'raw');
  return {
    source: detector, beamline: 'alvra', pgroup: 'p12345', run_number: 7,
    request: { pgroup: 'p12345', start_pulseid: start, stop_pulseid: stop, rate_multiplicator: rate, channels_list: [], camera_list: [], pv_list: [], detectors: { [detector]: options } },
    output_directory: path.join(raw, 'scan'),
    files: { [detector]: path.join(raw, 'scan', `run_000007.${detector}.h5`) },
    request_time_ms: 0,
  };
}

interface ReadBack {
  shape: number[];
  filters: number[];
  pulseId: bigint[];
  frameIndex: bigint[];
  daqRec: number[];
  isGoodFrame: number[];
  /** Frame i's pixels (enabled modules stacked). */
  frame(i: number): Buffer;
}

async function readBack(file: string, detector = DET): Promise<ReadBack> {
  const { lib } = await loadH5();
  const f = new lib.File(file, 'r');
  const ds = (name: string) => f.get(`/data/${detector}/${name}`) as InstanceType<typeof lib.Dataset>;
  const data = ds('data');
  const frames: Buffer[] = [];
  const shape = data.shape as number[];
  for (let i = 0; i < shape[0]!; i++) {
    const v = data.slice([[i, i + 1]]) as Uint16Array;
    frames.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  }
  const out: ReadBack = {
    shape,
    filters: data.filters.map((x) => x.id),
    pulseId: [...(ds('pulse_id').value as BigUint64Array)],
    frameIndex: [...(ds('frame_index').value as BigUint64Array)],
    daqRec: [...(ds('daq_rec').value as Uint32Array)],
    isGoodFrame: [...(ds('is_good_frame').value as Uint8Array)],
    frame: (i) => frames[i]!,
  };
  f.close();
  return out;
}

/** The bytes the simulator wrote for a module at a pulse (zeros when `zero`). */
function moduleBytes(module: number, pulseId: bigint, zero = false): Buffer {
  const px = new Uint16Array(MODULE_ROWS * MODULE_COLS);
  if (!zero) fillModulePixels(DET, module, pulseId, 'sparse', px);
  return Buffer.from(px.buffer);
}

function expectFrame(back: ReadBack, i: number, pulseId: bigint, modules: number[], zeroed: number[] = []): void {
  const got = back.frame(i);
  expect(got.length).toBe(modules.length * MODULE_BYTES);
  modules.forEach((m, k) => {
    const part = got.subarray(k * MODULE_BYTES, (k + 1) * MODULE_BYTES);
    expect(part.equals(moduleBytes(m, pulseId, zeroed.includes(m))), `frame ${i} (pulse ${pulseId}) module ${m}`).toBe(true);
  });
}

const logOf = (dataRoot: string, input: RetrieverInput) => readFileSync(RunLog.pathOf(dataRoot, input, input.source), 'utf8');

describe('retrieveDetector', () => {
  test('a range across a file boundary at 100 Hz: every frame, header and pixel as the buffer holds it', async () => {
    const { dataRoot, endpoints } = await setup([[985n, 1015n]]);
    const input = inputFor(dataRoot, 990, 1010, 1);

    const result = await retrieveDetector(input, endpoints, dataRoot);

    expect(result).toMatchObject({ source: DET, kind: 'detector', state: 'done', file: input.files[DET] });
    expect(result.counts).toMatchObject({ requested: 21, frames_written: 21, good_frames: 21, bad_frames: 0, enabled_modules: [0, 1, 2], bytes: 21 * 3 * MODULE_BYTES });
    expect(result.counts!.modules.M01).toEqual({ good: 21, 'bad-packets': 0, missing: 0, stale: 0 });
    const back = await readBack(input.files[DET]!);
    expect(back.shape).toEqual([21, 3 * 512, 1024]);
    expect(back.filters).toEqual([]);
    const pulses = Array.from({ length: 21 }, (_, i) => 990n + BigInt(i));
    expect(back.pulseId).toEqual(pulses);
    expect(back.frameIndex).toEqual(pulses.map((p) => expectedFrameHeader(DET, 0, p).frameIndex));
    expect(back.daqRec).toEqual(pulses.map((p) => Number(expectedFrameHeader(DET, 0, p).daqRec)));
    expect(back.isGoodFrame).toEqual(pulses.map(() => 1));
    pulses.forEach((p, i) => expectFrame(back, i, p, [0, 1, 2]));
    // no temp file left beside the output
    expect(readdirSync(path.dirname(input.files[DET]!))).toEqual([`run_000007.${DET}.h5`]);
    const log = logOf(dataRoot, input);
    expect(log).toMatch(/asked: detector JF01T03V01, pulses 990..1010 at rate_multiplicator 1: 21 frames \(pulse ids 990..1010 step 1\)/);
    expect(log).toMatch(/modules enabled M00,M01,M02/);
    expect(log).toMatch(/wrote 21 frames to .*: 21 good, 0 bad/);
    expect(log).toMatch(/ {2}M02: 21 good, 0 bad packets, 0 missing, 0 stale/);
    expect(log).toMatch(/MB of pixels in .* s of part time \(\d+ MB\/s a part\)/);
    // and the consistency check agrees
    const [checked] = await checkRun(input, [result], dataRoot);
    expect(checked).toMatchObject({ state: 'done', check: { verdict: 'ok', channels: { [DET]: { rows: 21, frame_index_per_pulse: 1 } } } });
  });

  test('rate 2, a disabled module and compression: [N, 2*512, 1024] bitshuffle+LZ4, pixels of the enabled modules', async () => {
    const { dataRoot, endpoints } = await setup([[995n, 1012n]]);
    const input = inputFor(dataRoot, 997, 1011, 2, { compression: true, disabled_modules: [1] });

    const result = await retrieveDetector(input, endpoints, dataRoot);

    expect(result.state).toBe('done');
    expect(result.counts).toMatchObject({ frames_written: 7, enabled_modules: [0, 2] });
    expect(Object.keys(result.counts!.modules)).toEqual(['M00', 'M02']);
    const back = await readBack(input.files[DET]!);
    expect(back.shape).toEqual([7, 1024, 1024]);
    expect(back.filters).toEqual([32008]);
    expect(back.pulseId).toEqual([998n, 1000n, 1002n, 1004n, 1006n, 1008n, 1010n]);
    back.pulseId.forEach((p, i) => expectFrame(back, i, p, [0, 2]));
    expect(back.frame(1).readUInt16LE(0)).toBe(1000); // expectedPixel(DET, 0, 1000n, 0, 0)
    expect(logOf(dataRoot, input)).toMatch(/modules enabled M00,M02, disabled M01/);
  });

  test('missing, stale and bad-packet module frames: counted, is_good_frame 0, missing/stale zero-filled', async () => {
    const faults = { missingPulseIds: [2001n], duplicatedPulseIds: [2002n], badPacketPulseIds: [2003n], faultModules: [1] };
    const { dataRoot, endpoints } = await setup([[990n, 1010n], [1995n, 2010n]], faults);
    const input = inputFor(dataRoot, 2000, 2005, 1);

    const result = await retrieveDetector(input, endpoints, dataRoot);

    expect(result.state).toBe('done_with_problems');
    expect(result.reason).toMatch(/3 of 6 frames are bad/);
    expect(result.counts).toMatchObject({ good_frames: 3, bad_frames: 3 });
    expect(result.counts!.modules).toEqual({
      M00: { good: 6, 'bad-packets': 0, missing: 0, stale: 0 },
      M01: { good: 3, 'bad-packets': 1, missing: 1, stale: 1 },
      M02: { good: 6, 'bad-packets': 0, missing: 0, stale: 0 },
    });
    const back = await readBack(input.files[DET]!);
    expect(back.isGoodFrame).toEqual([1, 0, 0, 0, 1, 1]);
    expect(back.pulseId).toEqual([2000n, 2001n, 2002n, 2003n, 2004n, 2005n]);
    // frame_index/daq_rec from the first good module (M00) even on bad frames
    expect(back.frameIndex[2]).toBe(expectedFrameHeader(DET, 0, 2002n).frameIndex);
    expectFrame(back, 1, 2001n, [0, 1, 2], [1]); // missing: zeros
    expectFrame(back, 2, 2002n, [0, 1, 2], [1]); // stale (holds 1002): zeros, not the old pulse's pixels
    expectFrame(back, 3, 2003n, [0, 1, 2]); // lost packets: what arrived is kept
    expect(logOf(dataRoot, input)).toMatch(/M01: 3 good, 1 bad packets, 1 missing, 1 stale/);
    const [checked] = await checkRun(input, [result], dataRoot);
    expect((checked!.check as SourceCheck).channels[DET]).toMatchObject({ bad_frames: 3, frame_index_jumps: 0, pulse_id_jumps: 0, missing: 0 });
    expect(logOf(dataRoot, input)).toMatch(/- 3 of 6 frames are bad \(is_good_frame != 1\)/);
  });

  test('selected pulse ids: those divisible by the rate, in order', async () => {
    const { dataRoot, endpoints } = await setup([[1000n, 1030n]]);
    const input = inputFor(dataRoot, 1000, 1030, 5, { selected_pulse_ids: [1000, 1003, 1015, 1030] });
    const result = await retrieveDetector(input, endpoints, dataRoot);
    expect(result.state).toBe('done');
    const back = await readBack(input.files[DET]!);
    expect(back.pulseId).toEqual([1000n, 1015n, 1030n]);
    back.pulseId.forEach((p, i) => expectFrame(back, i, p, [0, 1, 2]));
    expect(logOf(dataRoot, input)).toMatch(/3 selected pulse ids \(1 not divisible by rate_multiplicator 5 left out\)/);
  });

  test('a buffer file gone from the middle: its frames are missing, the run goes on', async () => {
    const { root, dataRoot, endpoints } = await setup([[1995n, 3005n]]);
    rmSync(path.join(root, DET, 'M02', '0', '2000.bin'));
    const input = inputFor(dataRoot, 1998, 3001, 1001);
    // The files are seconds old: with a clock a minute later no module counts as running.
    const later: DetectorRetrieverOptions = { now: () => Date.now() + 60_000 };
    const result = await retrieveDetector({ ...input, request: { ...input.request, rate_multiplicator: 1, detectors: { [DET]: { selected_pulse_ids: [1999, 2500, 3000] } } } }, endpoints, dataRoot, later);
    expect(result.state).toBe('done_with_problems');
    expect(result.counts!.modules.M02).toEqual({ good: 2, 'bad-packets': 0, missing: 1, stale: 0 });
    const back = await readBack(input.files[DET]!);
    expect(back.isGoodFrame).toEqual([1, 0, 1]);
    expectFrame(back, 1, 2500n, [0, 1, 2], [2]);
  });

  test('range expired from the buffer -> failed, no output', async () => {
    const { dataRoot, endpoints } = await setup([[5000n, 5010n]]);
    const input = inputFor(dataRoot, 1000, 1010, 1);
    const result = await retrieveDetector(input, endpoints, dataRoot);
    expect(result).toMatchObject({ state: 'failed', reason: expect.stringMatching(/^range expired from the detector buffer/) });
    expect(result.counts).toBeUndefined();
    expect(existsSync(input.files[DET]!)).toBe(false);
    expect(logOf(dataRoot, input)).toMatch(/failed: part 0 of 1 \(frames 0..10, pulse ids 1000..1010\) failed after 1 attempt: range expired from the detector buffer/);
  });

  test('not yet written: polls until the deadline, then fails naming the modules behind', async () => {
    const { dataRoot, endpoints } = await setup([[1000n, 1050n]]);
    const input = inputFor(dataRoot, 1000, 1100, 1);
    const t0 = Date.now();
    const result = await retrieveDetector(input, { ...endpoints, deadlineMs: 300 }, dataRoot, { pollMs: 50 });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(result.state).toBe('failed');
    expect(result.reason).toMatch(/has not written pulses up to 1100 within 0\.\d s \(waiting for M00 \(at file 1000\), M01 \(at file 1000\), M02 \(at file 1000\)\)/);
    expect(existsSync(input.files[DET]!)).toBe(false);
    expect(logOf(dataRoot, input)).toMatch(/waiting: the buffer has not yet written up to pulse 1100/);
  });

  test('no detector folder (retried, then left to the workflow), nothing to retrieve, bad module: failed with the reason', async () => {
    const { dataRoot, endpoints } = await setup([]);
    // An unmounted buffer looks like this: transient, so thrown for the workflow's Retry after the retriever's own.
    await expect(retrieveDetector(inputFor(dataRoot, 1000, 1010, 1), endpoints, dataRoot)).rejects.toMatchObject({
      name: 'BufferUnavailable', message: expect.stringMatching(/detector JF01T03V01 has no folder in the detector buffer/),
    });
    expect(logOf(dataRoot, inputFor(dataRoot, 1000, 1010, 1))).toMatch(/retry 1 in 5 ms[\s\S]*the workflow will retry/);
    const none = await retrieveDetector(inputFor(dataRoot, 1001, 1009, 10), endpoints, dataRoot);
    expect(none.reason).toMatch(/no pulse id to retrieve: none of the requested pulses \(1001..1009\) is divisible by rate_multiplicator 10/);
    const badModule = await retrieveDetector(inputFor(dataRoot, 1000, 1010, 1, { disabled_modules: [3] }), endpoints, dataRoot);
    expect(badModule.reason).toMatch(/has modules 0..2; cannot disable module 3/);
  });
});
