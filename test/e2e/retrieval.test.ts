import { execFile, spawnSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadH5 } from '../../lib/adapters/hdf5/h5';
import { typedValueAt, valueAt } from '../../local/simulators/data-api';
import { samplesBetween } from '../../local/simulators/archiver';
import { expectedFrameHeader, expectedPixel } from '../../local/simulators/detector';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { waitForRun } from '../helpers/runs';

const python = '/usr/bin/python3';
const hasH5py = spawnSync(python, ['-c', 'import h5py, numpy']).status === 0;

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.destroy();
});

const CHANNELS = ['SARFE10-PBPG050:HAMP-INTENSITY-CAL', 'SAR-CVME-TIFALL5:EvtSet', 'SIM-DTYPE:INT64', 'SIM-DTYPE:STRING', 'SIM-WAVE:INT16-100', 'NO-SUCH:CHANNEL'];
const CAMERA = 'SATES21-CAMS154-M1:FPICTURE';
const PVS = ['SARFE10-OPSH044:PRESSURE', 'motor1_PV'];
const DETECTOR = 'JF01T03V01';

type H5Dataset = { value: any; shape: number[]; dtype: string; filters: Array<{ id: number }>; slice(ranges: number[][]): unknown };

/** Open a file read-only; `ds(path)` is its dataset (throws if absent, so a missing dataset fails loudly). */
async function openH5(path: string) {
  const { lib } = await loadH5();
  const file = new lib.File(path, 'r');
  return Object.assign(file, {
    ds(name: string): H5Dataset {
      const entity = file.get(name);
      if (!entity) throw new Error(`${path}: no dataset ${name}`);
      return entity as unknown as H5Dataset;
    },
  });
}

describe('a request to the local stack produces the facility\'s files', () => {
  let run: Record<string, any>;
  let files: string[];
  let start: bigint;
  let stop: bigint;

  beforeAll(async () => {
    const now = stack.clock.currentPulseId();
    start = now - 400n;
    stop = now - 201n; // 200 pulses, all inside the simulators' retention and the detector's backfill
    const { json } = await stack.post('/retrieve_from_buffers', {
      pgroup: 'p12345', start_pulseid: Number(start), stop_pulseid: Number(stop), directory_name: 'e2e/run',
      channels_list: CHANNELS, camera_list: [CAMERA], pv_list: PVS, detectors: { [DETECTOR]: {} },
      // NO-SUCH:CHANNEL on purpose: a name the buffer does not know is retrieved (empty) when the request allows it.
      allow_unknown_channels: true,
    });
    expect(json.status).toBe('ok');
    files = json.files as string[];
    run = await waitForRun(stack, 'p12345', Number(json.message));
  });

  test('the run ends done_with_problems only because of the unknown channel, every source retrieved', () => {
    expect(run.sources.map((s: any) => [s.source, s.state])).toEqual([
      ['BSREAD', 'done_with_problems'], ['CAMERAS', 'done'], ['PVCHANNELS', 'done'], [DETECTOR, 'done'],
    ]);
    expect(run.state).toBe('done_with_problems');
    const bs = run.sources[0].check;
    expect(bs.channels['NO-SUCH:CHANNEL'].problems.join(' ')).toMatch(/no data|not present|0 rows|missing/i);
    expect(bs.channels['SARFE10-PBPG050:HAMP-INTENSITY-CAL'].problems).toEqual([]);
    expect(files.map((f) => f.split('/').pop())).toEqual(['BSREAD', 'CAMERAS', 'PVCHANNELS', DETECTOR].map((s) => `run_${String(run.run_number).padStart(6, '0')}.${s}.h5`));
  });

  test('BSREAD: the 2020 layout, values equal to what the data buffer sent', async () => {
    const f = await openH5(files[0]!);
    try {
      for (const name of ['created', 'instrument', 'process', 'user']) expect(typeof f.ds(`general/${name}`).value).toBe('string');
      expect(f.ds('general/instrument').value).toBe('alvra');
      for (const channel of CHANNELS.slice(0, 5)) {
        const pulseIds = f.ds(`data/${channel}/pulse_id`).value as BigInt64Array;
        expect(pulseIds.length, channel).toBe(200);
        expect(pulseIds[0]).toBe(start);
        expect(pulseIds[199]).toBe(stop);
        const ts = f.ds(`data/${channel}/timestamp`).value as BigInt64Array;
        expect(ts[0]).toBe(stack.clock.timestampNs(start));
        expect((f.ds(`data/${channel}/is_data_present`).value as Uint8Array).every((v) => v === 1)).toBe(true);
        expect((f.ds(`data/${channel}/global_date`).value as string[])[0]).toMatch(/^\d{4}-\d\d-\d\dT/);
      }
      const intensity = f.ds('data/SARFE10-PBPG050:HAMP-INTENSITY-CAL/data');
      expect(intensity.dtype).toBe('<d');
      expect((intensity.value as Float64Array)[17]).toBe((typedValueAt('SARFE10-PBPG050:HAMP-INTENSITY-CAL', start + 17n) as Float64Array)[0]);
      const evt = f.ds('data/SAR-CVME-TIFALL5:EvtSet/data');
      expect(evt.shape).toEqual([200, 256]);
      expect(Array.from((evt.value as Uint8Array).subarray(256 * 5, 256 * 6))).toEqual(Array.from(valueAt('SAR-CVME-TIFALL5:EvtSet', start + 5n) as Uint8Array));
      expect((f.ds('data/SIM-DTYPE:INT64/data').value as BigInt64Array)[3]).toBe((typedValueAt('SIM-DTYPE:INT64', start + 3n) as BigInt64Array)[0]);
      expect((f.ds('data/SIM-DTYPE:STRING/data').value as string[])[9]).toBe(valueAt('SIM-DTYPE:STRING', start + 9n));
      expect(f.ds('data/SIM-WAVE:INT16-100/data').shape).toEqual([200, 100]);
      expect(f.ds('data/NO-SUCH:CHANNEL/pulse_id').shape).toEqual([0]); // present, zero rows
    } finally {
      f.close();
    }
  });

  test('CAMERAS: images (N, h, w) compressed with bitshuffle+LZ4, pixel for pixel', async () => {
    const f = await openH5(files[1]!);
    try {
      const data = f.ds(`${CAMERA}/data`);
      expect(data.shape).toEqual([200, 128, 256]);
      expect(data.filters.map((x) => x.id)).toContain(32008);
      const image = data.slice([[42, 43]]) as Uint16Array;
      expect(Array.from(image)).toEqual(Array.from(typedValueAt(CAMERA, start + 42n) as Uint16Array));
      expect((f.ds(`${CAMERA}/pulse_id`).value as BigInt64Array)[42]).toBe(start + 42n);
    } finally {
      f.close();
    }
  });

  test('PVCHANNELS: every archived sample with its pulse id, the last one before the run first', async () => {
    const f = await openH5(files[2]!);
    try {
      for (const pv of PVS) {
        const ts = f.ds(`data/${pv}/timestamp`).value as BigInt64Array;
        const pulses = f.ds(`data/${pv}/pulse_id`).value as BigInt64Array;
        expect(ts.length, pv).toBeGreaterThan(0);
        expect(ts[0]! <= stack.clock.timestampNs(start), `${pv} starts with the value in force at the start`).toBe(true);
        expect(pulses[0]).toBe(stack.clock.pulseIdAtNs(ts[0]!));
        const expected = samplesBetween(pv, ts[0]!, ts[ts.length - 1]!);
        expect(expected.length).toBe(ts.length);
      }
    } finally {
      f.close();
    }
  });

  test('Jungfrau: the sf_writer layout exactly, frames equal to the detector buffer\'s', async () => {
    const f = await openH5(files[3]!);
    try {
      expect(f.ds('general/detector_name').value).toBe(DETECTOR);
      const data = f.ds(`data/${DETECTOR}/data`);
      expect(data.shape).toEqual([200, 3 * 512, 1024]);
      expect(data.dtype).toBe('<H');
      const shapes = Object.fromEntries(['pulse_id', 'frame_index', 'daq_rec', 'is_good_frame'].map((d) => [d, [f.ds(`data/${DETECTOR}/${d}`).dtype, f.ds(`data/${DETECTOR}/${d}`).shape]]));
      expect(shapes).toEqual({ pulse_id: ['<Q', [200, 1]], frame_index: ['<Q', [200, 1]], daq_rec: ['<I', [200, 1]], is_good_frame: ['<B', [200, 1]] });
      const pulseIds = f.ds(`data/${DETECTOR}/pulse_id`).value as BigUint64Array;
      expect(pulseIds[10]).toBe(BigInt.asUintN(64, start + 10n));
      expect((f.ds(`data/${DETECTOR}/frame_index`).value as BigUint64Array)[10]).toBe(expectedFrameHeader(DETECTOR, 0, start + 10n).frameIndex);
      expect(Array.from(f.ds(`data/${DETECTOR}/is_good_frame`).value as Uint8Array).every((g) => g === 1)).toBe(true);
      const frame = data.slice([[10, 11], [512, 513]]) as Uint16Array; // module 1, row 0
      for (const col of [0, 1, 2, 3, 100, 1023]) expect(frame[col], `col ${col}`).toBe(expectedPixel(DETECTOR, 1, start + 10n, 0, col));
    } finally {
      f.close();
    }
  });

  test('a log per source beside the bookkeeping, with the check\'s findings', async () => {
    const daq = `${stack.raw}/.daq`;
    const label = `run_${String(run.run_number).padStart(6, '0')}`;
    expect((await readdir(daq)).filter((f) => f.startsWith(label)).sort()).toEqual(
      [`${label}.BSREAD.log`, `${label}.CAMERAS.log`, `${label}.JF01T03V01.log`, `${label}.PVCHANNELS.log`, `${label}.json`],
    );
    const log = await readFile(`${daq}/${label}.BSREAD.log`, 'utf8');
    expect(log).toMatch(/NO-SUCH:CHANNEL/);
    expect(log).toMatch(/verdict/i);
  });

  test.skipIf(!hasH5py)('a scientist opens every file with h5py and reads every dataset', async () => {
    const script = new URL('../python/h5_to_json.py', import.meta.url).pathname;
    for (const file of files) {
      const { stdout } = await promisify(execFile)(python, [script, file, '--max-values', '2'], { maxBuffer: 64 * 1024 * 1024 });
      const out = JSON.parse(stdout);
      expect(Object.keys(out.datasets).length, file).toBeGreaterThan(0);
    }
    const det = JSON.parse((await promisify(execFile)(python, [script, files[3]!, '--max-values', '1'])).stdout);
    expect(det.datasets[`data/${DETECTOR}/pulse_id`]).toMatchObject({ dtype: '<u8', shape: [200, 1] });
    const cams = JSON.parse((await promisify(execFile)(python, [script, files[1]!, '--max-values', '1'])).stdout);
    expect(cams.datasets[`${CAMERA}/data`]).toMatchObject({ shape: [200, 128, 256] });
    expect(cams.datasets[`${CAMERA}/data`].filter_ids).toContain(32008);
  });
});

describe('detector options', () => {
  test('compression, a disabled module and selected pulse ids', async () => {
    const now = stack.clock.currentPulseId();
    const start = now - 300n - (now % 2n); // even, so the selection below holds pulses with beam at rate 2
    const stop = start + 99n;
    const selected = [start + 2n, start + 4n, start + 50n].map(Number);
    const { json } = await stack.post('/retrieve_from_buffers', {
      pgroup: 'p12345', start_pulseid: Number(start), stop_pulseid: Number(stop), rate_multiplicator: 2,
      detectors: { [DETECTOR]: { compression: true, disabled_modules: [1], selected_pulse_ids: selected } },
    });
    expect(json.status).toBe('ok');
    const run = await waitForRun(stack, 'p12345', Number(json.message));
    expect(run.state).toBe('done');
    const f = await openH5((json.files as string[])[0]!);
    try {
      const data = f.ds(`data/${DETECTOR}/data`);
      expect(data.filters.map((x) => x.id)).toContain(32008);
      const pulseIds = Array.from(f.ds(`data/${DETECTOR}/pulse_id`).value as BigUint64Array).map(Number);
      expect(pulseIds).toEqual(selected.filter((p) => p % 2 === 0));
      expect(data.shape).toEqual([pulseIds.length, 2 * 512, 1024]);
      const secondModuleRow0 = data.slice([[0, 1], [512, 513]]) as Uint16Array; // module 2, now in rows 512..1023
      expect(secondModuleRow0[1]).toBe(expectedPixel(DETECTOR, 2, BigInt(pulseIds[0]!), 0, 1));
    } finally {
      f.close();
    }
  });
});
