import '../../lib/runtime/polyfills';
import { existsSync, readFileSync } from 'node:fs';
import { rename, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { OpenApiDocument } from '../../lib/openapi/document';
import { latestFilePath } from '../../lib/adapters/buffers/detector/layout';
import { SMALL_DEMO_FACILITY } from '../../local/demo-facility';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { schemaValidator } from '../unit/openapi/schema-validator';

/**
 * The detector endpoints and the detector options at accept, over HTTP
 * through the local stack (functions as Lambda runs them, the simulated
 * detector buffer and its control).
 */
const DET = 'JF01T03V01';
const BERNINA = { 'x-api-key': 'bernina-demo-key' };
let stack: TestStack;
let doc: OpenApiDocument;

beforeAll(async () => {
  // The demo facility, with what the facility says about alvra's detector.
  const facility = structuredClone(SMALL_DEMO_FACILITY);
  facility.beamlines.alvra!.detectors = { [DET]: { description: '1p5M Alvra detector', daq: 12 } };
  stack = await startTestStack({ facility, calibration: true });
  doc = (await stack.get('/openapi.json')).json as unknown as OpenApiDocument;
});
afterAll(async () => {
  // The runs accepted here finish first: a workflow still writing when the emulators close fails the process.
  await stack?.sfn.idle();
  await stack?.destroy();
}, 180_000);

const check = (name: string, body: unknown) => {
  const validate = schemaValidator(doc)(name);
  expect(validate(body), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
};

/** A range the buffers hold now. */
function recentRange() {
  const now = Number(stack.clock.currentPulseId());
  return { start_pulseid: now - 300, stop_pulseid: now - 291 };
}

const currentRun = async () => Number((await stack.get('/get_current_run_number?pgroup=p12345')).json.run_number);

describe('detector options at accept, over HTTP', () => {
  test.for([
    ['adc_to_energy', { adc_to_energy: 'yes' }, 'adc_to_energy'],
    ['factor', { adc_to_energy: true, factor: 0 }, 'factor'],
    ['geometry', { adc_to_energy: true, geometry: 'on' }, 'geometry'],
    ['gap_pixels', { adc_to_energy: true, gap_pixels: 2 }, 'gap_pixels'],
    ['double_pixels', { adc_to_energy: true, double_pixels: 'interp', gap_pixels: false }, 'double_pixels'],
    ['module_edge_pixels', { adc_to_energy: true, module_edge_pixels: true }, 'module_edge_pixels'],
    ['roi', { adc_to_energy: true, roi: { signal: [0, 100, 5] } }, 'roi.signal'],
    ['downsample', { adc_to_energy: true, downsample: [2] }, 'downsample'],
    ['save_ppicker_events_only', { save_ppicker_events_only: 'always' }, 'save_ppicker_events_only'],
    ['remove_raw_files', { remove_raw_files: 'yes' }, 'remove_raw_files'],
    ['compression', { compression: 1 }, 'compression'],
    ['disabled_modules', { disabled_modules: [3] }, 'disabled_modules'],
    ['selected_pulse_ids', { selected_pulse_ids: [1] }, 'selected_pulse_ids'],
  ] as const)('%s: a bad value is refused naming it, and no run number is taken', async ([, options, option]) => {
    const before = await currentRun();
    const { status, json } = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', ...recentRange(), detectors: { [DET]: options } });
    expect(status).toBe(200);
    expect(json).toMatchObject({ status: 'failed', field: `detectors.${DET}.${option}` });
    expect(json.message).toMatch(new RegExp(`^detectors\\.${DET}\\.${option}: `));
    expect(await currentRun()).toBe(before);
  });

  test('accepted options are stored in the run record as sent (file and object store); what they do not do is noted in the status', async () => {
    const options = {
      adc_to_energy: true, factor: 12.4, geometry: true, gap_pixels: true, double_pixels: 'mask', module_edge_pixels: 'mask',
      roi: { signal: [0, 100, 0, 200], background: [200, 300, 0, 200] }, save_ppicker_events_only: true, remove_raw_files: false,
      compression: true, disabled_modules: [2],
    };
    const { json } = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', ...recentRange(), detectors: { [DET]: options, } });
    expect(json).toMatchObject({ status: 'ok' });
    const run = json.run_number as number;
    const label = `run_${String(run).padStart(6, '0')}`;
    const file = JSON.parse(readFileSync(join(stack.raw, '.daq', `${label}.json`), 'utf8'));
    expect(file.detectors).toEqual({ [DET]: options });
    const record = await stack.app().store.getRecord('alvra', 'p12345', run);
    expect(record?.detectors).toEqual({ [DET]: options });

    const quirk = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', ...recentRange(), detectors: { [DET]: { compression: true } } });
    const status = (await stack.get(`/runs/p12345/${quirk.json.run_number}`)).json.run as { notes?: string[] };
    expect(status.notes).toContain(`${DET}: compression alone converts nothing (as at the facility): the raw file is kept whole, its frames bitshuffle+LZ4 compressed`);
  });

  test('a conversion without a pedestal at or before the run is refused with how to take one; with the pedestal back it is accepted', async () => {
    const pedestals = join(stack.dataRoot, 'jungfrau', 'data', 'pedestal', DET);
    const aside = `${pedestals}.aside`;
    await rename(pedestals, aside);
    try {
      const before = await currentRun();
      const { json } = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', ...recentRange(), detectors: { [DET]: { adc_to_energy: true } } });
      expect(json).toMatchObject({ status: 'failed', field: `detectors.${DET}.adc_to_energy` });
      expect(json.message).toMatch(/no pedestal of JF01T03V01 taken at or before this run \(\d{8}_\d{6}\) in \/sf\/jungfrau\/data\/pedestal\/JF01T03V01\/: take a pedestal run first \(POST \/take_pedestal/);
      expect(await currentRun()).toBe(before);
    } finally {
      await rename(aside, pedestals);
    }
    const gains = join(stack.dataRoot, 'jungfrau', 'config', 'gainMaps', DET, 'gains.h5');
    await rename(gains, `${gains}.aside`);
    try {
      const { json } = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', ...recentRange(), detectors: { [DET]: { adc_to_energy: true } } });
      expect(json.message).toMatch(/JF01T03V01 has no gain file \(\/sf\/jungfrau\/config\/gainMaps\/JF01T03V01\/gains.h5\)/);
    } finally {
      await rename(`${gains}.aside`, gains);
    }
    expect((await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', ...recentRange(), detectors: { [DET]: { adc_to_energy: true } } })).json).toMatchObject({ status: 'ok' });
  });
});

describe('get_allowed_detectors', () => {
  test("the caller's beamline's detectors, their descriptions and live views", async () => {
    const alvra = (await stack.get('/get_allowed_detectors')).json;
    expect(alvra).toEqual({ status: 'ok', message: 'successfully retrieved list of allowed detectors for alvra', detectors: [DET], descriptions: ['1p5M Alvra detector'], visualisation_address: ['sf-daq-12:5001'] });
    check('AllowedDetectors', alvra);
    const bernina = (await stack.get('/get_allowed_detectors', BERNINA)).json;
    expect(bernina).toMatchObject({ detectors: ['JF07T01V01'], descriptions: ['JF07T01V01'], visualisation_address: [null] });
  });

  test('parameters are refused, as the original refused a body; an unknown key is nobody', async () => {
    const { json } = await stack.get('/get_allowed_detectors?beamline=bernina');
    expect(json).toEqual({ status: 'failed', message: "get_allowed_detectors takes no parameters (got beamline): the beamline is the caller's" });
    check('Refused', json);
    expect((await stack.get('/get_allowed_detectors', { 'x-api-key': 'nobody' })).json).toMatchObject({ status: 'failed', message: 'the API key is not known to any beamline' });
  });
});

describe('get_running_detectors and power_on_detector', () => {
  const control = async (path: string, body: unknown) => {
    const res = await fetch(`${stack.endpoints.detectorControl}${path}`, { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(200);
  };
  /** Make modules' LATEST markers a minute old (the simulator no longer touches powered-off modules). */
  const age = async (modules: number[]) => {
    const old = new Date(Date.now() - 60_000);
    for (const m of modules) await utimes(latestFilePath(stack.endpoints.detectorBuffer!, DET, m), old, old);
  };
  const running = async () => (await stack.get('/get_running_detectors')).json;
  const until = async (predicate: (answer: Record<string, any>) => boolean) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const answer = await running();
      if (predicate(answer)) return answer;
      if (Date.now() > deadline) throw new Error(`not reached: ${JSON.stringify(answer)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  };

  test('running, limping (a module stopped), missing (all stopped), running again after power_on_detector', async () => {
    const all = await until((a) => a.running_detectors?.includes(DET));
    expect(all).toEqual({ status: 'ok', message: 'successfully retrieved list of running detectors for alvra', detectors: [DET], running_detectors: [DET], missing_detectors: [], limping_detectors: {} });
    check('RunningDetectors', all);

    await control('/power_off', { detector: DET, modules: [1] });
    await age([1]);
    expect(await running()).toMatchObject({ detectors: [], running_detectors: [], missing_detectors: [], limping_detectors: { [DET]: { running_modules: [0, 2], missing_modules: [1] } } });

    await control('/power_off', { detector: DET });
    await age([0, 1, 2]);
    const missing = await running();
    expect(missing).toMatchObject({ running_detectors: [], missing_detectors: [DET], limping_detectors: {} });
    check('RunningDetectors', missing);

    const on = (await stack.post('/power_on_detector', { detector_name: DET })).json;
    expect(on).toEqual({ status: 'ok', message: `request to power on detector ${DET} sent, wait a few minutes` });
    check('Message', on);
    await until((a) => a.running_detectors?.includes(DET));
  });

  test("power_on_detector refuses another beamline's detector, and says so clearly where the detectors are not simulated", async () => {
    expect((await stack.post('/power_on_detector', { detector_name: 'JF07T01V01' })).json).toMatchObject({
      status: 'failed', field: 'detector_name', message: 'JF07T01V01 does not belong to beamline alvra (its detectors: JF01T03V01)',
    });
    expect((await stack.post('/power_on_detector', { detector_name: 'JF1' })).json).toMatchObject({ status: 'failed', field: 'detector_name' });
    await stack.lambda.updateFunctionConfiguration('powerOnDetector', { environment: { ...stack.lambda.configuration('powerOnDetector').environment, SFDAQ_DETECTOR_CONTROL_URL: '' } });
    try {
      const { json } = await stack.post('/power_on_detector', { detector_name: DET });
      expect(json).toMatchObject({ status: 'failed', field: 'detector_name' });
      expect(json.message).toMatch(/^power_on_detector works with simulated detectors only: this broker is not connected to a detector control system/);
    } finally {
      await stack.lambda.updateFunctionConfiguration('powerOnDetector', { environment: { ...stack.lambda.configuration('powerOnDetector').environment, SFDAQ_DETECTOR_CONTROL_URL: stack.env.SFDAQ_DETECTOR_CONTROL_URL! } });
    }
  });
});

describe('get_pvlist, set_pvlist and the default PV list at accept', () => {
  const s3 = () => new S3Client({ endpoint: stack.env.AWS_ENDPOINT_URL_S3, region: 'eu-central-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });

  test('empty at first; set_pvlist stores it de-duplicated in order, per beamline, keeping the previous list as a timestamped backup', async () => {
    const empty = (await stack.get('/get_pvlist')).json;
    expect(empty).toMatchObject({ status: 'ok', pv_list: [] });
    check('PvList', empty);
    const set = (await stack.post('/set_pvlist', { pv_list: ['SARFE10-OPSH044:PRESSURE', 'motor1_PV', 'SARFE10-OPSH044:PRESSURE'] })).json;
    expect(set).toMatchObject({ status: 'ok', pv_list: ['SARFE10-OPSH044:PRESSURE', 'motor1_PV'] });
    check('PvList', set);
    expect((await stack.get('/get_pvlist')).json).toMatchObject({ pv_list: ['SARFE10-OPSH044:PRESSURE', 'motor1_PV'] });
    expect((await stack.get('/get_pvlist', BERNINA)).json).toMatchObject({ pv_list: [] });
    await stack.post('/set_pvlist', { pv_list: ['motor2_PV'] });
    const keys = ((await s3().send(new ListObjectsV2Command({ Bucket: 'sfdaq-bookkeeping', Prefix: 'config/alvra/' }))).Contents ?? []).map((c) => c.Key);
    const backup = keys.find((k) => /^config\/alvra\/pv_list\.\d{8}_\d{6}\.json$/.test(k ?? ''));
    expect(backup, JSON.stringify(keys)).toBeDefined();
    const old = JSON.parse(await (await s3().send(new GetObjectCommand({ Bucket: 'sfdaq-bookkeeping', Key: backup! }))).Body!.transformToString());
    expect(old).toMatchObject({ pv_list: ['SARFE10-OPSH044:PRESSURE', 'motor1_PV'], pulse_id_pv: 'SLAAR11-LTIM01-EVR0:RX-PULSEID' });
  });

  test('set_pvlist refusals name the field', async () => {
    expect((await stack.post('/set_pvlist', { pv_list: 'motor1_PV' })).json).toMatchObject({ status: 'failed', field: 'pv_list' });
    expect((await stack.post('/set_pvlist', { pv: [] })).json).toMatchObject({ status: 'failed' });
  });

  test('a request without pv_list gets the default list only where SFDAQ_DEFAULT_PV_LIST says so; an explicit [] stays empty', async () => {
    const body = { pgroup: 'p12345', ...recentRange(), channels_list: ['SAR-CVME-TIFALL5:EvtSet'] };
    const off = (await stack.post('/retrieve_from_buffers', body)).json;
    expect((off.files as string[]).some((f) => f.endsWith('.PVCHANNELS.h5'))).toBe(false);
    const environment = stack.lambda.configuration('retrieve').environment;
    await stack.lambda.updateFunctionConfiguration('retrieve', { environment: { ...environment, SFDAQ_DEFAULT_PV_LIST: 'alvra' } });
    try {
      const on = (await stack.post('/retrieve_from_buffers', body)).json;
      expect((on.files as string[]).filter((f) => f.endsWith('.PVCHANNELS.h5'))).toHaveLength(1);
      const label = `run_${String(on.run_number).padStart(6, '0')}`;
      expect(JSON.parse(readFileSync(join(stack.raw, '.daq', `${label}.json`), 'utf8')).pv_list).toEqual(['motor2_PV']);
      const status = (await stack.get(`/runs/p12345/${on.run_number}`)).json.run as { notes?: string[] };
      expect(status.notes?.[0]).toMatch(/^pv_list: none sent, the beamline's default list \(set_pvlist, 1 PV\) retrieved/);
      const explicit = (await stack.post('/retrieve_from_buffers', { ...body, pv_list: [] })).json;
      expect((explicit.files as string[]).some((f) => f.endsWith('.PVCHANNELS.h5'))).toBe(false);
    } finally {
      await stack.lambda.updateFunctionConfiguration('retrieve', { environment });
    }
    expect(existsSync(stack.raw)).toBe(true);
  });
});
