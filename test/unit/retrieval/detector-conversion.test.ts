/**
 * Conversion in the workers, part by part (issue 14 through issue 13's
 * pipeline): adc_to_energy with ROIs and bitshuffle+LZ4 on a dense simulated
 * 8-module buffer split into 3 parts; every converted pixel equals the formula
 * of jungfrau.md §4 over the raw word and the published calibration; bad
 * frames left out; the raw file kept under raw_data/ (or removed with
 * remove_raw_files); the check reads the converted file.
 *
 * The request schema does not accept these options yet (another branch wires
 * them at accept): the run is built here as its record would hold it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MODULE_PIXEL_BYTES } from '../../../lib/adapters/buffers/detector';
import { H5Engine } from '../../../lib/adapters/hdf5/engine';
import { readCalibration } from '../../../lib/adapters/jungfrau-files';
import { DEFAULT_CLOCK, FacilityClock } from '../../../lib/core/clock';
import type { SourceCheck } from '../../../lib/core/check';
import { rawDataFile } from '../../../lib/core/detector-files';
import { MODULE_COLS, MODULE_PIXELS } from '../../../lib/core/jungfrau/constants';
import type { RunRequest } from '../../../lib/core/run-request';
import { checkRun } from '../../../lib/retrieval/check-files';
import { retrieveDetector } from '../../../lib/retrieval/detector-retriever';
import type { BufferEndpoints, RetrieverInput } from '../../../lib/retrieval/types';
import { DetectorBufferSimulator, publishCalibration } from '../../../local/simulators/detector';

const python = '/usr/bin/python3';
const hasH5py = spawnSync(python, ['-c', 'import h5py, hdf5plugin']).status === 0;
const DET = 'JF06T08V04';
const MODULES = 8;
const START = 20_000n;
const FRAMES = 12;
const temp = mkdtempSync(path.join(tmpdir(), 'detector-conversion-'));
const root = path.join(temp, 'buffer');
const dataRoot = path.join(temp, 'sf');
/** Module 1 has no frame at START + 5: that frame is bad and is not converted. */
const BAD = START + 5n;
const endpoints: BufferEndpoints = {
  dataBufferUrl: 'http://unused', imageBufferUrl: 'http://unused', archiverUrl: 'http://unused',
  detectorBufferRoot: root, clock: DEFAULT_CLOCK, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 5 }, deadlineMs: 60_000,
};
const later = { now: () => Date.now() + 60_000 }; // the simulated files are old: no module is "running"

beforeAll(async () => {
  mkdirSync(root, { recursive: true });
  mkdirSync(path.join(dataRoot, 'alvra', 'data', 'p12345', 'raw'), { recursive: true });
  const sim = new DetectorBufferSimulator({ root, detectors: [], clock: new FacilityClock(), retentionPulses: 1e9, pixels: 'dense', faults: { missingPulseIds: [BAD], faultModules: [1] } });
  await sim.writeRange(DET, START, START + BigInt(FRAMES) - 1n);
  await publishCalibration({ root: dataRoot, detector: DET, gainDtype: 'float32' });
}, 120_000);
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function inputFor(run: number, options: Record<string, unknown>): RetrieverInput {
  const raw = path.join(dataRoot, 'alvra', 'data', 'p12345', 'raw');
  const request = {
    pgroup: 'p12345', start_pulseid: Number(START), stop_pulseid: Number(START) + FRAMES - 1, rate_multiplicator: 1,
    channels_list: [], camera_list: [], pv_list: [], detectors: { [DET]: options },
  } as unknown as RunRequest;
  return {
    source: DET, beamline: 'alvra', pgroup: 'p12345', run_number: run, request,
    output_directory: path.join(raw, `conv${run}`), files: { [DET]: path.join(raw, `conv${run}`, `run_00000${run}.${DET}.h5`) }, request_time_ms: Date.now(),
  };
}

/** Rows y1..y2-1, columns x1..x2-1 of the output image (gap pixels on: module m starts at row 514 m). */
const ROIS = { signal: [520, 560, 10, 250], edge: [0, 20, 0, 100] } as const;

/** A chip-border ("double") pixel of a module: masked by default (double_pixels "mask"). */
const isDouble = (y: number, x: number) => y === 255 || y === 256 || [255, 256, 511, 512, 767, 768].includes(x);

describe('adc_to_energy in the workers, 3 parts, ROIs, bitshuffle+LZ4', () => {
  test('every kept pixel is (adc - P[s]) / G[s] in float32, masked ones 0; bad frames left out; raw under raw_data/', async () => {
    const input = inputFor(1, { adc_to_energy: true, roi: ROIS, compression: true });
    // 4 frames a part: 8 raw MiB + 2 x the converted ROIs per frame
    const result = await retrieveDetector(input, endpoints, dataRoot, { ...later, itemBytes: 4 * (MODULES * MODULE_PIXEL_BYTES + 2e5) });
    expect(result).toMatchObject({ state: 'done_with_problems', counts: { parts: 3, frames_written: FRAMES, bad_frames: 1, converted_frames: FRAMES - 1 } });

    const file = input.files[DET]!;
    const rawFile = rawDataFile(file);
    expect(existsSync(rawFile)).toBe(true);
    expect(readdirSync(path.dirname(file)).sort()).toEqual(['raw_data', path.basename(file), `run_000001.${DET}.parts`]);
    const engine = await H5Engine.load();
    const calibration = await readCalibration(`${dataRoot}/jungfrau/config/gainMaps/${DET}/gains.h5`, `${dataRoot}/jungfrau/data/pedestal/${DET}/20000101_000000.h5`, MODULES);

    const raw = engine.open(rawFile, 'r');
    const out = engine.open(file, 'r');
    try {
      expect(out.exists(`data/${DET}/data`)).toBe(false); // with roi, only the ROI groups
      const keptIds = Array.from(out.dataset(`data/${DET}:ROI_signal/pulse_id`).readSlab([0, 0], [FRAMES - 1, 1]) as BigUint64Array, Number);
      expect(keptIds).toEqual(Array.from({ length: FRAMES }, (_, i) => Number(START) + i).filter((p) => p !== Number(BAD)));
      const rawIds = Array.from(raw.dataset(`data/${DET}/pulse_id`).readSlab([0, 0], [FRAMES, 1]) as BigUint64Array, Number);
      expect(rawIds).toEqual(Array.from({ length: FRAMES }, (_, i) => Number(START) + i));
      let compared = 0;
      for (const [label, [y1, y2, x1, x2]] of Object.entries(ROIS)) {
        const ds = out.dataset(`data/${DET}:ROI_${label}/data`);
        expect(ds.shape).toEqual([FRAMES - 1, y2 - y1, x2 - x1]);
        expect(ds.dtype).toBe('float32');
        for (const [k, pulse] of keptIds.entries()) {
          const got = ds.readSlab([k, 0, 0], [1, y2 - y1, x2 - x1]) as Float32Array;
          const frame = rawIds.indexOf(pulse);
          for (let oy = y1; oy < y2; oy++) {
            const m = Math.floor(oy / 514);
            const y = oy - 514 * m; // ROIs stay below row 256 of their module: no gap row shift
            const words = raw.dataset(`data/${DET}/data`).readSlab([frame, m * 512 + y, 0], [1, 1, MODULE_COLS]) as Uint16Array;
            for (let x = x1; x < x2; x++) {
              const w = words[x]!;
              const s = [0, 1, 2, 2][w >>> 14]!;
              const i = m * MODULE_PIXELS + y * MODULE_COLS + x;
              const masked = calibration.pixelMask[i] !== 0 || isDouble(y, x);
              const expected = masked ? 0 : Math.fround(Math.fround((w & 0x3fff) - calibration.pedestal[s]![i]!) * Math.fround(1 / calibration.gain[s]![i]!));
              const actual = got[(oy - y1) * (x2 - x1) + (x - x1)]!;
              if (actual !== expected) throw new Error(`${label} frame ${pulse} (${oy}, ${x}): ${actual} != ${expected} (word ${w})`);
              compared++;
            }
          }
        }
      }
      expect(compared).toBe((FRAMES - 1) * (40 * 240 + 20 * 100));
      expect(Number((out.dataset(`data/${DET}:ROI_signal/meta/conversion_factor`).readSlab([], []) as Float64Array)[0])).toBeNaN();
      expect(Array.from(out.dataset(`data/${DET}:ROI_edge/meta/roi`).readSlab([0, 0], [2, 2]) as BigInt64Array, Number)).toEqual([0, 20, 0, 100]);
    } finally {
      out.close();
      raw.close();
    }

    if (hasH5py) {
      // h5py + hdf5plugin read the virtual ROI datasets over the compressed parts as the engine does
      const script = `import h5py, hdf5plugin, sys, json; f = h5py.File(sys.argv[1]); d = f['data/${DET}:ROI_signal/data']; print(json.dumps([list(d.shape), float(d[-1].astype('float64').sum()), d.is_virtual]))`;
      const [shape, sum, virtual] = JSON.parse(execFileSync(python, ['-c', script, file], { cwd: '/', encoding: 'utf8' })) as [number[], number, boolean];
      expect(shape).toEqual([FRAMES - 1, 40, 240]);
      expect(virtual).toBe(true);
      const f = engine.open(file, 'r');
      const last = f.dataset(`data/${DET}:ROI_signal/data`).readSlab([FRAMES - 2, 0, 0], [1, 40, 240]) as Float32Array;
      f.close();
      expect(sum).toBeCloseTo(last.reduce((a, b) => a + b, 0), 0);
    }

    const [checked] = await checkRun(input, [result], dataRoot);
    const channel = (checked!.check as SourceCheck).channels[DET]!;
    expect(channel.problems).toEqual([]);
    expect(channel).toMatchObject({ rows: FRAMES - 1, missing: 1 });
  }, 120_000);

  test('one part, a factor, no ROI, remove_raw_files: an int32 photon count file alone, its check ok', async () => {
    const input = inputFor(2, { adc_to_energy: true, factor: 12.4, remove_raw_files: true, save_ppicker_events_only: true });
    const result = await retrieveDetector(input, endpoints, dataRoot, later);
    // pulse picker open on pulses divisible by 4 (the simulator): 20000, 20004, 20008; none of them bad
    expect(result).toMatchObject({ counts: { parts: 1, converted_frames: 3 } });
    const file = input.files[DET]!;
    expect(existsSync(rawDataFile(file))).toBe(false);
    expect(readdirSync(path.dirname(file)).sort()).toEqual(['raw_data', path.basename(file)]);
    const engine = await H5Engine.load();
    const f = engine.open(file, 'r');
    try {
      const ds = f.dataset(`data/${DET}/data`);
      expect(ds.dtype).toBe('int32');
      expect(ds.shape).toEqual([3, 8 * 514, 1030]);
      expect(Array.from(f.dataset(`data/${DET}/pulse_id`).readSlab([0, 0], [3, 1]) as BigUint64Array, Number)).toEqual([20000, 20004, 20008]);
    } finally {
      f.close();
    }
    const [checked] = await checkRun(input, [result], dataRoot);
    expect((checked!.check as SourceCheck).channels[DET]!.problems).toEqual([]);
  }, 120_000);
});
