import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BsreadFileWriter, CamerasFileWriter, DetectorFileWriter } from '../../../lib/adapters/hdf5';
import type { SourceCheck } from '../../../lib/core/check';
import type { WorkflowInput } from '../../../lib/core/ports';
import type { RunRequest } from '../../../lib/core/run-request';
import type { SourceResult } from '../../../lib/core/run-status';
import { checkRun } from '../../../lib/retrieval/check-files';
import { RunLog } from '../../../lib/retrieval/run-log';

const DET = 'JF01T01V01';
const START = 18_940_426_900;
const STOP = START + 19; // 20 pulses
const GENERAL = { created: '2020-05-27 18:06:39.772622', instrument: 'alvra', process: 'test', user: 'p12345' };

const dataRoot = mkdtempSync(path.join(tmpdir(), 'check-files-'));
const raw = path.join(dataRoot, 'alvra', 'data', 'p12345', 'raw');
afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

const ids = (from: number, to: number, skip: number[] = []): bigint[] => {
  const out: bigint[] = [];
  for (let p = from; p <= to; p++) if (!skip.includes(p)) out.push(BigInt(p));
  return out;
};

function inputFor(run: number, request: Partial<RunRequest>): WorkflowInput {
  const label = `run_${String(run).padStart(6, '0')}`;
  return {
    beamline: 'alvra',
    pgroup: 'p12345',
    run_number: run,
    request: { pgroup: 'p12345', start_pulseid: START, stop_pulseid: STOP, rate_multiplicator: 1, channels_list: [], camera_list: [], pv_list: [], detectors: {}, ...request },
    output_directory: raw,
    files: Object.fromEntries(['BSREAD', 'CAMERAS', 'PVCHANNELS', DET].map((s) => [s, path.join(raw, `${label}.${s}.h5`)])),
    request_time_ms: 0,
  };
}

async function bsread(file: string, channels: Record<string, bigint[]>, pvTimes = false): Promise<void> {
  const w = await BsreadFileWriter.create(file, GENERAL);
  for (const [name, pulses] of Object.entries(channels)) {
    w.addChannel(name, { dtype: 'float64', shape: [] });
    w.append(name, pulses.map((p, i) => ({ pulseId: p, timestampNs: pvTimes ? BigInt(i) : p * 10_000_000n, value: Number(p % 7n) })));
  }
  w.close();
}

async function cameras(file: string, cams: Record<string, bigint[]>): Promise<void> {
  const w = await CamerasFileWriter.create(file);
  for (const [name, pulses] of Object.entries(cams)) {
    w.addCamera(name, { dtype: 'uint8', shape: [2, 3] });
    for (const p of pulses) w.appendImage(name, p, p * 10_000_000n, new Uint8Array(6));
  }
  w.close();
}

async function detector(file: string, pulses: bigint[], bad: number[], frameJumpAt?: number): Promise<void> {
  const w = await DetectorFileWriter.create(file, { detector: DET, modules: 1, frames: pulses.length });
  pulses.forEach((p, i) => {
    const pixels = w.frameBuffer();
    pixels.fill(0);
    const jump = frameJumpAt !== undefined && i >= frameJumpAt ? 3n : 0n;
    w.writeFrame(i, { pixels, pulseId: p, frameIndex: p - 18_000_000_000n + jump, daqRec: 0, isGoodFrame: !bad.includes(i) });
  });
  w.close();
}

const result = (input: WorkflowInput, source: string, kind: SourceResult['kind'], state: SourceResult['state'] = 'done'): SourceResult => ({ source, kind, file: input.files[source]!, state });
const log = (input: WorkflowInput, suffix: string) => readFileSync(RunLog.pathOf(dataRoot, input, suffix), 'utf8');

beforeAll(() => {
  mkdirSync(raw, { recursive: true });
});

describe('checkRun', () => {
  test('clean run: every source ok, reports appended to the logs, states kept', async () => {
    const input = inputFor(1, { channels_list: ['SAR:A', 'SAR:B'], camera_list: ['CAM:FPICTURE'], pv_list: ['PV:X'], detectors: { [DET]: {} } });
    await bsread(input.files.BSREAD!, { 'SAR:A': ids(START, STOP), 'SAR:B': ids(START, STOP) });
    await cameras(input.files.CAMERAS!, { 'CAM:FPICTURE': ids(START, STOP) });
    await bsread(input.files.PVCHANNELS!, { 'PV:X': [BigInt(START - 500), BigInt(START + 3)] }, true);
    await detector(input.files[DET]!, ids(START, STOP), []);
    const results = [result(input, 'BSREAD', 'data'), result(input, 'CAMERAS', 'image'), result(input, 'PVCHANNELS', 'archiver'), result(input, DET, 'detector')];

    const checked = await checkRun(input, results, dataRoot);

    expect(checked.map((r) => [r.source, r.state, (r.check as SourceCheck).verdict])).toEqual([
      ['BSREAD', 'done', 'ok'], ['CAMERAS', 'done', 'ok'], ['PVCHANNELS', 'done', 'ok'], [DET, 'done', 'ok'],
    ]);
    const bs = checked[0]!.check as SourceCheck;
    expect(bs.channels['SAR:A']).toMatchObject({ present: true, expected: 20, found_unique: 20, first: START, last: STOP });
    expect((checked[3]!.check as SourceCheck).channels[DET]).toMatchObject({ rows: 20, bad_frames: 0, frame_index_per_pulse: 1 });
    expect(log(input, 'BSREAD')).toMatch(/ {2}SAR:A: ok, 20\/20 pulses 18940426900..18940426919\n/);
    expect(log(input, 'BSREAD')).toMatch(/verdict BSREAD: ok \(2 channels\)\n$/);
    expect(log(input, 'PVCHANNELS')).toMatch(/PV:X: ok, 2 samples \(1 before \/ 1 in range \/ 0 after\)/);
    expect(log(input, DET)).toMatch(new RegExp(`verdict ${DET}: ok`));
  });

  test('defects: each is found, the source is done_with_problems; failed sources are skipped', async () => {
    const input = inputFor(2, { channels_list: ['SAR:GAPS', 'SAR:DUP', 'SAR:ABSENT'], camera_list: ['CAM:FPICTURE', 'NOCAM:FPICTURE'], pv_list: ['PV:LATE'], detectors: { [DET]: {} } });
    await bsread(input.files.BSREAD!, { 'SAR:GAPS': ids(START, STOP, [START + 3, START + 4]), 'SAR:DUP': [...ids(START, START + 9), BigInt(START + 9), ...ids(START + 10, STOP + 5)] });
    await cameras(input.files.CAMERAS!, { 'CAM:FPICTURE': [...ids(START + 10, STOP), ...ids(START, START + 9)] });
    await bsread(input.files.PVCHANNELS!, { 'PV:LATE': [BigInt(START + 5)] }, true);
    await detector(input.files[DET]!, ids(START, STOP), [2, 7], 12);
    const results = [
      result(input, 'BSREAD', 'data'), result(input, 'CAMERAS', 'image'), result(input, 'PVCHANNELS', 'archiver'),
      result(input, DET, 'detector', 'done_with_problems'), { ...result(input, 'JF02T01V01', 'detector', 'failed'), reason: 'range expired' },
    ];

    const checked = await checkRun(input, results, dataRoot);

    expect(checked.map((r) => r.state)).toEqual(['done_with_problems', 'done_with_problems', 'done_with_problems', 'done_with_problems', 'failed']);
    expect(checked[4]).toBe(results[4]);
    const [bs, cams, pvs, det] = checked.map((r) => r.check as SourceCheck);
    expect(bs!.channels['SAR:GAPS']).toMatchObject({ missing: 2, found_unique: 18 });
    expect(bs!.channels['SAR:DUP']).toMatchObject({ duplicates: 1, out_of_range: 5, missing: 0 });
    expect(bs!.channels['SAR:ABSENT']).toMatchObject({ present: false });
    expect(cams!.channels['CAM:FPICTURE']).toMatchObject({ monotonic: false, found_unique: 20 });
    expect(cams!.channels['NOCAM:FPICTURE']).toMatchObject({ present: false });
    expect(pvs!.channels['PV:LATE']).toMatchObject({ value_at_start: false });
    expect(det!.channels[DET]).toMatchObject({ bad_frames: 2, frame_index_jumps: 1, pulse_id_jumps: 0 });

    const text = log(input, 'BSREAD');
    expect(text).toMatch(/SAR:GAPS: PROBLEMS, 18\/20 pulses/);
    expect(text).toMatch(/- missing 2 of 20 expected pulses \(18940426903, 18940426904\)/);
    expect(text).toMatch(/SAR:ABSENT: PROBLEMS\n.*- not present in the file/);
    expect(text).toMatch(/verdict BSREAD: problems \(3 of 3 channels with problems\)/);
    expect(log(input, DET)).toMatch(/- 2 of 20 frames are bad/);
  });

  test('a file that is missing or not HDF5: problems named for every channel asked for', async () => {
    const input = inputFor(3, { channels_list: ['SAR:A'], camera_list: ['CAM:FPICTURE'] });
    writeFileSync(input.files.BSREAD!, 'not an hdf5 file');
    const checked = await checkRun(input, [result(input, 'BSREAD', 'data'), result(input, 'CAMERAS', 'image')], dataRoot);
    expect(checked.map((r) => r.state)).toEqual(['done_with_problems', 'done_with_problems']);
    const [bs, cams] = checked.map((r) => r.check as SourceCheck);
    expect(bs!.channels['SAR:A']!.problems).toEqual([`cannot open ${input.files.BSREAD}: file signature not found`]);
    expect(cams!.channels['CAM:FPICTURE']!.problems).toEqual([`cannot read ${input.files.CAMERAS}: the file does not exist`]);
  });

  test('speed: a BSREAD file of 100 channels x 6,000 pulses', async () => {
    const stop = START + 5_999;
    const names = Array.from({ length: 100 }, (_, i) => `SAR:CH${String(i).padStart(3, '0')}`);
    const input = { ...inputFor(4, { channels_list: names }), request: { ...inputFor(4, {}).request, channels_list: names, stop_pulseid: stop } };
    const pulses = ids(START, stop);
    const w = await BsreadFileWriter.create(input.files.BSREAD!, GENERAL);
    for (const name of names) {
      w.addChannel(name, { dtype: 'float64', shape: [] });
      w.append(name, pulses.map((p) => ({ pulseId: p, timestampNs: p, value: 1.5 })));
    }
    w.close();

    const t0 = performance.now();
    const [checked] = await checkRun(input, [result(input, 'BSREAD', 'data')], dataRoot);
    const ms = performance.now() - t0;
    console.log(`check of 100 channels x 6,000 pulses: ${ms.toFixed(0)} ms`);
    expect((checked!.check as SourceCheck).verdict).toBe('ok');
    expect(ms).toBeLessThan(5_000);
  });
});
