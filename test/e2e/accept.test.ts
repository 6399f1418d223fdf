import { chmod, lstat, mkdir, readFile, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { seedRequest, startTestStack, type TestStack } from '../helpers/local-stack';

let stack: TestStack;

beforeAll(async () => {
  // Acceptance only: the runs' workflows wait (a day) instead of competing with the requests for this machine's CPU.
  stack = await startTestStack({ delays: { dataSeconds: 86_400, detectorSeconds: 86_400 } });
});
afterAll(async () => {
  await stack?.destroy();
});

async function s3Object(key: string): Promise<unknown> {
  const s3 = new S3Client({ forcePathStyle: true, endpoint: stack.endpoints.s3, region: 'eu-central-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const out = await s3.send(new GetObjectCommand({ Bucket: 'sfdaq-bookkeeping', Key: key }));
  return JSON.parse(await out.Body!.transformToString());
}

const current = async (pgroup = 'p12345', headers: Record<string, string> = {}) =>
  (await stack.get(`/get_current_run_number?pgroup=${pgroup}`, headers)).json.run_number as number;

describe('POST /retrieve_from_buffers (accept path, end to end over HTTP)', () => {
  test('the seed request is accepted: run number, bookkeeping file, object, workflow execution', async () => {
    const before = await current();
    const { status, json } = await stack.post('/retrieve_from_buffers', seedRequest({ directory_name: 'covid/detector_test2', my_sample: { name: 'lysozyme' } }));
    expect(status).toBe(200);
    expect(json.status).toBe('ok');
    const run = Number(json.message);
    expect(run).toBe(before + 1);
    expect(json.run_number).toBe(run);
    const label = `run_${String(run).padStart(6, '0')}`;
    expect(json.files).toEqual([join(stack.raw, 'covid/detector_test2', `${label}.BSREAD.h5`)]);

    const record = JSON.parse(await readFile(join(stack.raw, '.daq', `${label}.json`), 'utf8'));
    expect(record).toMatchObject({ pgroup: 'p12345', beamline: 'alvra', run_number: run, directory_name: 'covid/detector_test2', start_pulseid: 11884948775 });
    expect(record.my_sample).toEqual({ name: 'lysozyme' }); // unknown keys kept as sent
    expect(record.request_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/);
    expect(await s3Object(`runs/alvra/p12345/${label}.json`)).toEqual(record);

    const executionArn = `arn:aws:states:eu-central-1:000000000000:execution:sfdaq-retrieve-local:alvra-p12345-${label}`;
    expect(stack.sfn.describe(executionArn)?.input).toContain(`"run_number":${run}`);
    // no temp files left behind by the atomic write
    expect((await readdir(join(stack.raw, '.daq'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test.for([
    ['pgroup of another beamline', { pgroup: 'p23456' }, /pgroup p23456 does not exist at beamline alvra/],
    ['pgroup that does not exist', { pgroup: 'p99999' }, /not reachable/],
    ['unknown detector', { detectors: { JF07T01V01: {} } }, /detector JF07T01V01 is not known at beamline alvra/],
    ['disabled module that does not exist', { detectors: { JF01T03V01: { disabled_modules: [3] } } }, /module 3 does not exist/],
    ['traversal in directory_name', { directory_name: '../../etc' }, /may not contain "\.\."/],
    ['absolute directory_name', { directory_name: '/tmp/x' }, /not an absolute path/],
    ['scan name with a slash', { scan_info: { scan_name: '../evil' } }, /scan_name must be a plain file name/],
  ] as const)('refused without consuming a number: %s', async ([, extra, message]) => {
    const before = await current();
    const { status, json } = await stack.post('/retrieve_from_buffers', seedRequest(extra));
    expect(status).toBe(200);
    expect(json.status).toBe('failed');
    expect(json.message).toMatch(message);
    expect(await current()).toBe(before);
  });

  test('malformed JSON and a wrong content type are 4xx with a failed body', async () => {
    const bad = await stack.post('/retrieve_from_buffers', '{"pgroup": "p12345",');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ status: 'failed', message: 'request body is not valid JSON' });
    const res = await fetch(`${stack.url}/retrieve_from_buffers`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ status: 'failed', message: expect.stringMatching(/must be JSON/) });
    const unknown = await stack.get('/nope');
    expect(unknown.status).toBe(404);
  });

  test('a callers key for bernina reaches bernina\'s pgroup, and a bad key is refused', async () => {
    const { json } = await stack.post('/retrieve_from_buffers', seedRequest({ pgroup: 'p23456', detectors: { JF07T01V01: {} } }), { 'x-api-key': 'bernina-demo-key' });
    expect(json.status).toBe('ok');
    const record = JSON.parse(await readFile(join(stack.dataRoot, 'bernina/data/p23456/raw/.daq', `run_${String(json.message).padStart(6, '0')}.json`), 'utf8'));
    expect(record.beamline).toBe('bernina');
    const forged = await stack.post('/retrieve_from_buffers', seedRequest({ pgroup: 'p23456' }), { 'x-forwarded-for': '129.129.243.10' });
    expect(forged.json.message).toMatch(/p23456.* not reachable/); // the header changes nothing: still alvra
    const badKey = await stack.post('/retrieve_from_buffers', seedRequest(), { 'x-api-key': 'guess' });
    expect(badKey.json).toMatchObject({ status: 'failed', message: expect.stringMatching(/API key is not known/) });
  });

  test('a symlink inside raw/ that leads out is never followed', async () => {
    const outside = join(stack.dataRoot, '..', 'outside');
    await mkdir(outside, { recursive: true });
    await symlink(outside, join(stack.raw, 'escape'));
    const { json } = await stack.post('/retrieve_from_buffers', seedRequest({ directory_name: 'escape/sub' }));
    expect(json).toMatchObject({ status: 'failed', message: expect.stringMatching(/symbolic link that leads outside/) });
    expect(await readdir(outside)).toEqual([]);
    // a symlink that stays inside raw/ is fine
    await mkdir(join(stack.raw, 'real'), { recursive: true });
    await symlink(join(stack.raw, 'real'), join(stack.raw, 'alias'));
    expect((await stack.post('/retrieve_from_buffers', seedRequest({ directory_name: 'alias' }))).json.status).toBe('ok');
  });

  test('scan_info creates the scan file and every request appends to it', async () => {
    const step = JSON.parse(await readFile(new URL('../fixtures/scan_step.json', import.meta.url), 'utf8'));
    const first = await stack.post('/retrieve_from_buffers', seedRequest({ scan_info: step }));
    const second = await stack.post('/retrieve_from_buffers', seedRequest({ scan_info: { ...step, motors_value: [2.0, 5.0] }, start_pulseid: 11884949775, stop_pulseid: 11884950774 }));
    expect([first.json.status, second.json.status]).toEqual(['ok', 'ok']);
    const scan = JSON.parse(await readFile(join(stack.raw, 'scan_info', 'scan_test.json'), 'utf8'));
    expect(scan.scan_parameters).toEqual({ Id: ['motor1_PV', 'motor2_PV'], name: ['motor1', 'motor2'], offset: [10.0, -5.0], conversion_factor: [1.0, 0.2] });
    expect(scan.scan_values).toEqual([[1.0, 4.0], [2.0, 5.0]]);
    expect(scan.scan_readbacks).toEqual([[1.01, 4.1], [1.01, 4.1]]);
    expect(scan.pulseIds).toEqual([[11884948775, 11884949774], [11884949775, 11884950774]]);
    expect(scan.scan_files[1]).toEqual(second.json.files);
  });

  test('200 concurrent requests on one pgroup get 200 distinct numbers with no gap', async () => {
    const before = await current();
    const replies = await Promise.all(Array.from({ length: 200 }, () => stack.post('/retrieve_from_buffers', seedRequest())));
    const numbers = replies.map((r) => Number(r.json.message)).sort((a, b) => a - b);
    expect(replies.every((r) => r.json.status === 'ok')).toBe(true);
    expect(numbers).toEqual(Array.from({ length: 200 }, (_, i) => before + 1 + i));
    expect(await current()).toBe(before + 200);
  });

  test('advance_run_number takes a number; a closed pgroup refuses everything afterwards', async () => {
    const before = await current();
    const advanced = await stack.post('/advance_run_number', { pgroup: 'p12345' });
    expect(advanced.json).toMatchObject({ status: 'ok', run_number: before + 1 });
    // close in a pgroup of its own so the other tests keep theirs
    const raw = join(stack.dataRoot, 'alvra/data/p11111/raw');
    await mkdir(raw, { recursive: true });
    expect((await stack.post('/retrieve_from_buffers', seedRequest({ pgroup: 'p11111' }))).json.status).toBe('ok');
    expect((await stack.post('/close_pgroup_writing', { pgroup: 'p11111' })).json.status).toBe('ok');
    expect((await lstat(join(raw, '.daq', 'CLOSED'))).isFile()).toBe(true);
    const refused = await stack.post('/retrieve_from_buffers', seedRequest({ pgroup: 'p11111' }));
    expect(refused.json).toMatchObject({ status: 'failed', message: expect.stringMatching(/closed for writing/) });
    expect((await stack.post('/advance_run_number', { pgroup: 'p11111' })).json.status).toBe('failed');
    expect(await current('p11111')).toBe(1);
  });

  test('a pgroup that is not writable is refused before a number is allocated', async () => {
    const raw = join(stack.dataRoot, 'alvra/data/p22222/raw');
    await mkdir(raw, { recursive: true });
    await chmod(raw, 0o555);
    try {
      const { json } = await stack.post('/retrieve_from_buffers', seedRequest({ pgroup: 'p22222' }));
      expect(json).toMatchObject({ status: 'failed', message: expect.stringMatching(/not writable|no permission/) });
      expect(await current('p22222')).toBe(0);
    } finally {
      await chmod(raw, 0o755);
    }
  });

  test('a caller from no known network is refused', async () => {
    // The demo maps 127.0.0.0/8 to alvra; bind a stack-free check through the core instead of spoofing a socket.
    const { beamlineOf } = await import('../../lib/core/accept');
    const facility = JSON.parse(await readFile(join(stack.stateDir, 'facility.json'), 'utf8'));
    expect(() => beamlineOf(facility, { sourceIp: '192.0.2.1' })).toThrow(/in no beamline's network/);
  });

  test('if the workflow cannot be started, the run is recorded as failed with the reason', async () => {
    // A deployment whose Step Functions endpoint is unreachable (nothing listens on the discard port).
    await stack.lambda.updateFunctionConfiguration('retrieve', { environment: { ...stack.env, AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:9', SFDAQ_AWS_MAX_ATTEMPTS: '1' } });
    try {
      const { json } = await stack.post('/retrieve_from_buffers', seedRequest());
      expect(json.status).toBe('failed');
      expect(json.message).toMatch(/run \d+ is recorded but its retrieval could not be started/);
      const label = `run_${String(json.run_number).padStart(6, '0')}`;
      expect(await s3Object(`runs/alvra/p12345/${label}.status.json`)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/workflow could not be started/) });
    } finally {
      await stack.lambda.updateFunctionConfiguration('retrieve', { environment: stack.env });
    }
  });
});

describe('restart', () => {
  test('counters and bookkeeping survive a restart of the local stack', async () => {
    const before = await current();
    expect(before).toBeGreaterThan(0);
    stack = await stack.restart();
    expect(await current()).toBe(before);
    const { json } = await stack.post('/retrieve_from_buffers', seedRequest());
    expect(Number(json.message)).toBe(before + 1);
  });
});

