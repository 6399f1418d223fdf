import '../../lib/runtime/polyfills';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli';
import { readPedestalFile } from '../../lib/adapters/jungfrau-files';
import { newestPedestalAtOrBefore, pedestalStamp } from '../../lib/core/jungfrau/calibration-files';
import { MASK_BITS, MODULE_COLS, MODULE_PIXELS } from '../../lib/core/jungfrau/constants';
import { moduleDefects, NOISE_RMS, PUBLISHED_PEDESTAL_STAMP, simulatedPedestal } from '../../local/simulators/detector';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { waitForRun } from '../helpers/runs';

/**
 * A pedestal run end to end through the local stack: take_pedestal makes the
 * simulated JF07T01V01 (bernina, one module) take dark frames (40 per gain),
 * the broker retrieves them as a run into raw/JF_pedestals/, the pedestal
 * workflow computes the pedestal and installs it where conversion looks;
 * the result is compared with the simulator's own truth.
 */
const DET = 'JF07T01V01';
const BERNINA = { 'x-api-key': 'bernina-demo-key' };
const FRAMES_PER_STAGE = 40;
let stack: TestStack;
let raw: string;

beforeAll(async () => {
  stack = await startTestStack({ pedestalFramesPerStage: FRAMES_PER_STAGE, calibration: true });
  raw = join(stack.dataRoot, 'bernina', 'data', 'p23456', 'raw');
});
afterAll(async () => {
  await stack?.sfn.idle();
  await stack?.destroy();
});

async function waitForPedestal(run: number, timeoutMs = 90_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await stack.get(`/pedestals/p23456/${run}`, BERNINA);
    const pedestal = json.pedestal as Record<string, any> | undefined;
    if (pedestal && (pedestal.state === 'done' || pedestal.state === 'failed')) return pedestal;
    if (Date.now() > deadline) throw new Error(`pedestal of run ${run} not finished: ${JSON.stringify(json).slice(0, 400)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const isIdPixel = (i: number) => i < 6; // row 0, columns 0..5 hold the pulse id, module and detector number

describe('take_pedestal -> run done -> the pedestal installed for conversion', () => {
  let run: number;
  let stamp: string;

  test('take_pedestal answers the facility\'s message, the run and its stamp; the request is saved as JF_pedestals/<stamp>.json', async () => {
    const before = Number((await stack.get('/get_current_run_number?pgroup=p23456', BERNINA)).json.run_number);
    const { status, json } = await stack.post('/take_pedestal', { pgroup: 'p23456', detectors: [DET] }, BERNINA);
    expect(status).toBe(200);
    expect(json).toMatchObject({ status: 'ok', run_number: before + 1, message: `request to take pedestal sent, wait at least ${Math.round((3 * FRAMES_PER_STAGE) / 100 + 10)} seconds` });
    run = json.run_number as number;
    stamp = json.stamp as string;
    expect(stamp).toMatch(/^\d{8}_\d{6}$/);
    expect(Number(json.stop_pulseid) - Number(json.start_pulseid) + 1).toBe(3 * FRAMES_PER_STAGE);
    expect(json.files).toEqual([join(raw, 'JF_pedestals', `run_${String(run).padStart(6, '0')}.${DET}.h5`)]);
    const saved = JSON.parse(readFileSync(join(raw, 'JF_pedestals', `${stamp}.json`), 'utf8'));
    expect(saved).toMatchObject({ pgroup: 'p23456', detectors: [DET], rate_multiplicator: 1, pedestalmode: false, directory_name: 'JF_pedestals', beamline: 'bernina', run_number: run });
  });

  test('the run retrieves the dark frames into JF_pedestals/; then the pedestal is computed and copied where conversion looks', async () => {
    const finished = await waitForRun(stack, 'p23456', run, 90_000, BERNINA);
    expect(finished.state).toBe('done');
    const pedestal = await waitForPedestal(run);
    const file = join(stack.dataRoot, 'jungfrau', 'data', 'pedestal', DET, `${stamp}.h5`);
    expect(pedestal).toMatchObject({ state: 'done', stamp, run_number: run });
    expect(pedestal.detectors).toEqual([
      expect.objectContaining({
        detector: DET, state: 'done', calibration_file: file,
        raw_file: join(raw, 'JF_pedestals', `run_${String(run).padStart(6, '0')}.${DET}.h5`),
        result_file: join(raw, 'JF_pedestals', `run_${String(run).padStart(6, '0')}.${DET}.res.h5`),
        frames: { analyzed: 3 * FRAMES_PER_STAGE, good: 3 * FRAMES_PER_STAGE, used_g0: FRAMES_PER_STAGE, used_g1: FRAMES_PER_STAGE, used_g2: FRAMES_PER_STAGE, wrong_gain: 0 },
        pixels: MODULE_PIXELS,
      }),
    ]);
    expect(existsSync(pedestal.detectors[0].result_file)).toBe(true);
    expect(existsSync(join(raw, 'JF_pedestals', 'gainMaps', `${DET}.h5`))).toBe(true);
    // The newest pedestal at or before a later run is this one, not the simulator's published one.
    const names = readdirSync(join(stack.dataRoot, 'jungfrau', 'data', 'pedestal', DET));
    expect(names.sort()).toEqual([`${PUBLISHED_PEDESTAL_STAMP}.h5`, `${stamp}.h5`]);
    expect(newestPedestalAtOrBefore(names, pedestalStamp(new Date(Date.now() + 2000)))).toBe(`${stamp}.h5`);
    const execution = stack.sfn.describe(`arn:aws:states:eu-central-1:000000000000:execution:sfdaq-pedestal-local:bernina-p23456-pedestal-run_${String(run).padStart(6, '0')}`);
    expect(execution?.status).toBe('SUCCEEDED');
  });

  test("its statistics are the simulator's: means within noise, RMS the noise, the mask bits of dead and stuck pixels", async () => {
    const file = join(stack.dataRoot, 'jungfrau', 'data', 'pedestal', DET, `${stamp}.h5`);
    const computed = await readPedestalFile(file, { modules: 1 });
    expect([computed.pedestal.length, computed.pixelMaskDtype]).toEqual([3, 'int64']);
    const truth = simulatedPedestal(7, 1);
    const rmsBits = (1 << MASK_BITS.rmsZero(0)) | (1 << MASK_BITS.rmsZero(1)) | (1 << MASK_BITS.rmsZero(2));
    const offsets = [0, 0, 0];
    let good = 0;
    let constantByChance = 0;
    for (let i = 0; i < MODULE_PIXELS; i++) {
      if (isIdPixel(i)) continue;
      // The published mask's bit 0 is the id pixels' extra mask: everything else the pedestal run finds by itself.
      // With 40 frames a gain, a live pixel may by chance show one word in all of them (its row drew only
      // versions in which it is equal, templates.ts): RMS 0, masked as the facility would; rare, nothing else differs.
      const extra = computed.pixelMask[i]! & ~truth.pixelMask[i]!;
      const missing = truth.pixelMask[i]! & ~computed.pixelMask[i]!;
      if (missing !== 0 || (extra & ~rmsBits) !== 0) expect(`pixel ${i}: mask ${computed.pixelMask[i]}`).toBe(`pixel ${i}: mask ${truth.pixelMask[i]}`);
      if (extra !== 0) constantByChance++;
      if (computed.pixelMask[i] !== 0) continue;
      for (let s = 0; s < 3; s++) offsets[s]! += Math.abs(computed.pedestal[s]![i]! - truth.pedestal[s]![i]!);
      good++;
    }
    // A pixel sees 8 noise versions (templates.ts): its mean is off by about RMS/sqrt(8).
    for (let s = 0; s < 3; s++) expect(offsets[s]! / good, `G${s} mean offset`).toBeLessThan(NOISE_RMS[s]! * 0.6);
    expect(constantByChance).toBeLessThan(MODULE_PIXELS * 1e-4);
    const { dead, stuck } = moduleDefects(7, 0);
    expect(dead.length + stuck.length).toBeGreaterThan(0);
    for (const i of dead) expect(computed.pixelMask[i]! & rmsBits).toBe(rmsBits);
    for (const i of stuck) expect(computed.pixelMask[i]! & ((1 << MASK_BITS.wrongGain(1, 0)) | (1 << MASK_BITS.wrongGain(3, 0)))).not.toBe(0);
    // A pixel far from row 0: its G0 pedestal within a few ADU of the truth.
    const probe = 300 * MODULE_COLS + 700;
    expect(Math.abs(computed.pedestal[0]![probe]! - truth.pedestal[0]![probe]!)).toBeLessThan(NOISE_RMS[0]);
  });
});

describe('sfdaq pedestal -d DET --wait drives a pedestal run to its installed file', () => {
  test('exit 0, the pedestal file printed', async () => {
    // The first pedestal's dark frames must be over before the detector takes another.
    let code = -1;
    let out = '';
    let err = '';
    for (let attempt = 0; attempt < 20; attempt++) {
      ({ code, out, err } = await runCli(['pedestal', '-p', 'p23456', '-d', DET, '--wait', '--interval', '0.3'], { env: { SFDAQ_BROKER: stack.url, SFDAQ_API_KEY: 'bernina-demo-key' } }));
      if (code !== 1) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(code, err).toBe(0);
    expect(out).toMatch(/^request to take pedestal sent, wait at least \d+ seconds: run \d+, pedestal \d{8}_\d{6}/);
    expect(out).toMatch(/pedestal \d{8}_\d{6} \(run \d+ of p23456\): done\n {2}JF07T01V01 {2}done {2}\d+ of 524288 pixels good, frames used G0\/G1\/G2 40\/40\/40 of 120\n {6}\S+jungfrau\/data\/pedestal\/JF07T01V01\/\d{8}_\d{6}\.h5/);
  });
});

describe('take_pedestal refusals', () => {
  test('while the detector still takes one (at rate_multiplicator 10: 12 s of dark frames), a second is refused and takes no run number; the first ends with its frames at the rate', async () => {
    let first: Record<string, unknown> = {};
    // The CLI's pedestal may still be running: the detector takes one at a time.
    for (let attempt = 0; attempt < 20; attempt++) {
      first = (await stack.post('/take_pedestal', { pgroup: 'p23456', detectors: [DET], rate_multiplicator: 10 }, BERNINA)).json;
      if (first.status === 'ok') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(first).toMatchObject({ status: 'ok', message: `request to take pedestal sent, wait at least ${Math.round((3 * FRAMES_PER_STAGE * 10) / 100 + 10)} seconds` });
    const { json } = await stack.post('/take_pedestal', { pgroup: 'p23456', detectors: [DET] }, BERNINA);
    expect(json).toMatchObject({ status: 'failed' });
    expect(json.message).toMatch(/JF07T01V01 is taking a pedestal until pulse \d+ \(about \d+ s more\): one at a time/);
    expect((await stack.get('/get_current_run_number?pgroup=p23456', BERNINA)).json.run_number).toBe(first.run_number);
    const pedestal = await waitForPedestal(first.run_number as number);
    expect(pedestal).toMatchObject({ state: 'done', rate_multiplicator: 10 });
    expect(pedestal.detectors[0].frames).toEqual({ analyzed: 120, good: 120, used_g0: 40, used_g1: 40, used_g2: 40, wrong_gain: 0 });
  });

  test.for([
    ['no detectors', { pgroup: 'p23456' }, 'detectors', /detectors is missing/],
    ['detectors not names', { pgroup: 'p23456', detectors: 'JF07T01V01' }, 'detectors', /must be a list of detector names/],
    ["another beamline's detector", { pgroup: 'p23456', detectors: ['JF01T03V01'] }, 'detectors', /JF01T03V01 is not known at beamline bernina \(known: JF07T01V01\)/],
    ['a bad rate', { pgroup: 'p23456', detectors: [DET], rate_multiplicator: 3 }, 'rate_multiplicator', /rate_multiplicator is not allowed one/],
    ['a dark run longer than a run', { pgroup: 'p23456', detectors: [DET], rate_multiplicator: 4, pedestalmode: true }, 'rate_multiplicator', /in pedestalmode at rate_multiplicator 4 lasts 120000 pulses, more than one run retrieves \(60001\): choose a rate_multiplicator of at most 2, or leave pedestalmode out/],
    ["another beamline's pgroup", { pgroup: 'p12345', detectors: [DET] }, 'pgroup', /pgroup p12345 does not exist at beamline bernina/],
  ] as const)('%s', async ([, body, field, message]) => {
    const { json } = await stack.post('/take_pedestal', body, BERNINA);
    expect(json).toMatchObject({ status: 'failed', field });
    expect(json.message).toMatch(message);
  });

  test('a pedestal status of a run that is not a pedestal run is refused', async () => {
    const { json } = await stack.get('/pedestals/p23456/999', BERNINA);
    expect(json).toMatchObject({ status: 'failed', field: 'run_number', message: 'run 999 of pgroup p23456 is not a pedestal run (take one with POST /take_pedestal)' });
  });
});
