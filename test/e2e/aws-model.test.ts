/**
 * What AWS does that an in-process stack would hide, through the whole
 * system: long buffer outages covered by the workflow's Retry, a worker
 * killed by its timeout and retried, a request at every documented limit
 * kept under Step Functions' 256 KB, scan steps from separate instances,
 * readable reasons, and the recovery sweep for a workflow that died without
 * an outcome. Intervals are scaled by configuration (retryTimeScale, fault
 * durations), never by editing the ASL.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiKeyHash, type FacilityConfig } from '../../lib/core/facility';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { waitForRun } from '../helpers/runs';

/** Retry intervals x 0.05: the 10 s .. 60 s backoff of BufferUnavailable becomes 0.5 s .. 3 s, ~18.5 s over its 8 attempts. */
const SCALE = 0.05;
/** A 2-minute outage, scaled as the Retry intervals are. */
const OUTAGE_MS = 120_000 * SCALE;

let stack: TestStack;
const label = (run: number) => `run_${String(run).padStart(6, '0')}`;

async function setFaults(url: string, plan: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${url}/__faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(plan) });
  expect(res.ok).toBe(true);
}
const clearFaults = (url: string) => fetch(`${url}/__faults`, { method: 'DELETE' });

beforeAll(async () => {
  stack = await startTestStack({
    retryTimeScale: SCALE,
    // The retriever's own retries are short (~0.2 s), so only the workflow's Retry can outlast the outage.
    env: { SFDAQ_RETRY_ATTEMPTS: '2', SFDAQ_RETRY_BASE_MS: '50', SFDAQ_RETRY_MAX_MS: '100' },
  });
  // Warm instances of every workflow function: the outages below must still be on when the first attempt reads.
  const now = Number(stack.clock.currentPulseId());
  const { json } = await stack.post('/retrieve_from_buffers', {
    pgroup: 'p12345', start_pulseid: now - 300, stop_pulseid: now - 201, directory_name: 'warm',
    channels_list: ['SAR-CVME-TIFALL5:EvtSet'], camera_list: ['SATES21-CAMS154-M1:FPICTURE'], pv_list: ['motor1_PV'],
  });
  await waitForRun(stack, 'p12345', json.run_number as number, 60_000);
});
afterAll(async () => {
  await stack?.destroy();
});

const recent = (extra: Record<string, unknown>) => {
  const now = Number(stack.clock.currentPulseId());
  return { pgroup: 'p12345', start_pulseid: now - 300, stop_pulseid: now - 201, ...extra };
};

describe('buffer outages longer than a retriever tries: the workflow retries', () => {
  test.for([
    ['data buffer', () => stack.buffers!.dataBufferUrl, { channels_list: ['SARFE10-PBPG050:HAMP-INTENSITY-CAL'] }, 'BSREAD'],
    ['image buffer', () => stack.buffers!.imageBufferUrl, { camera_list: ['SATES21-CAMS154-M1:FPICTURE'] }, 'CAMERAS'],
    ['archiver', () => stack.buffers!.archiverUrl, { pv_list: ['SARFE10-OPSH044:PRESSURE'] }, 'PVCHANNELS'],
  ] as const)('%s down for "2 minutes" (scaled): the run ends done', async ([, url, sources, suffix]) => {
    await setFaults(url(), { outageMs: OUTAGE_MS });
    try {
      const t0 = Date.now();
      const { json } = await stack.post('/retrieve_from_buffers', recent(sources));
      expect(json.status).toBe('ok');
      const run = await waitForRun(stack, 'p12345', json.run_number as number, 60_000);
      expect(run.state).toBe('done');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(OUTAGE_MS);
      const log = await readFile(join(stack.raw, '.daq', `${label(json.run_number as number)}.${suffix}.log`), 'utf8');
      expect(log).toMatch(/the workflow will retry/);
    } finally {
      await clearFaults(url());
    }
  });
});

describe('a worker killed by its timeout', () => {
  test('RetrieveSource times out (Sandbox.Timedout, the instance killed): retried in a new instance, the run ends done', async () => {
    const original = stack.lambda.configuration('retrieveSource');
    // Room for a cold start on a busy machine; the first query stalls well past it, the retry's is answered at once.
    // (5 s was not always room enough in CI, with two test files at once: the retry timed out too.)
    await stack.lambda.updateFunctionConfiguration('retrieveSource', { timeoutSeconds: 10 });
    await setFaults(stack.buffers!.dataBufferUrl, { slowRequests: { ms: 20_000, count: 1 } });
    try {
      const timeoutsBefore = stack.lambda.stats().functions.retrieveSource?.timeouts ?? 0;
      const { json } = await stack.post('/retrieve_from_buffers', recent({ channels_list: ['SAR-CVME-TIFALL5:EvtSet'] }));
      const run = await waitForRun(stack, 'p12345', json.run_number as number, 60_000);
      expect(run.state).toBe('done');
      expect(run.sources[0].check.channels['SAR-CVME-TIFALL5:EvtSet'].rows).toBe(100);
      expect(stack.lambda.stats().functions.retrieveSource!.timeouts).toBe(timeoutsBefore + 1);
    } finally {
      await clearFaults(stack.buffers!.dataBufferUrl);
      await stack.lambda.updateFunctionConfiguration('retrieveSource', { timeoutSeconds: original.timeoutSeconds });
    }
  });

  test('a worker that keeps timing out fails its source with a readable reason: no JSON, no trace, no server path', async () => {
    const original = stack.lambda.configuration('retrieveSource');
    await stack.lambda.updateFunctionConfiguration('retrieveSource', { timeoutSeconds: 1 });
    await setFaults(stack.buffers!.dataBufferUrl, { slowRequests: { ms: 3_000, count: 10 } });
    try {
      const { json } = await stack.post('/retrieve_from_buffers', recent({ channels_list: ['SAR-CVME-TIFALL5:EvtSet'], directory_name: 'timeouts' }));
      const run = await waitForRun(stack, 'p12345', json.run_number as number, 60_000);
      expect(run.state).toBe('failed');
      expect(run.sources[0].reason).toBe('the worker ran out of time (Task timed out after 1.00 seconds)');
      expect(run.reason).toBe('BSREAD: the worker ran out of time (Task timed out after 1.00 seconds)');
      const err = await readFile(join(stack.raw, 'timeouts', `${label(json.run_number as number)}.BSREAD.h5.err`), 'utf8');
      expect(err).toContain('the worker ran out of time');
      expect(err).not.toMatch(/errorType|trace|\/tmp\/|RequestId/);
    } finally {
      await clearFaults(stack.buffers!.dataBufferUrl);
      await stack.lambda.updateFunctionConfiguration('retrieveSource', { timeoutSeconds: original.timeoutSeconds });
    }
  });
});

describe('scan steps from separate instances', () => {
  test('50 concurrent steps of one scan, accepted by several Lambda instances: all 50 in the scan file, in pulse order', async () => {
    const base = Number(stack.clock.currentPulseId()) - 10_000;
    const order = Array.from({ length: 50 }, (_, i) => i).sort(() => Math.random() - 0.5);
    const replies = await Promise.all(order.map((i) => stack.post('/retrieve_from_buffers', {
      pgroup: 'p12345', start_pulseid: base + 100 * i, stop_pulseid: base + 100 * i + 99, channels_list: ['SAR-CVME-TIFALL5:EvtSet'],
      scan_info: { scan_name: 'fifty', motors_value: [i] },
    })));
    expect(replies.every((r) => r.json.status === 'ok')).toBe(true);
    expect(stack.lambda.stats().functions.retrieve!.coldStarts).toBeGreaterThan(1); // really several processes
    const scan = JSON.parse(await readFile(join(stack.raw, 'scan_info', 'fifty.json'), 'utf8'));
    expect(scan.pulseIds.map((r: number[]) => r[0])).toEqual(Array.from({ length: 50 }, (_, i) => base + 100 * i));
    expect(scan.scan_values).toEqual(Array.from({ length: 50 }, (_, i) => [i]));
    await stack.sfn.idle();
  });
});

describe('a request at every documented limit', () => {
  let big: TestStack;
  const detectors = Array.from({ length: 32 }, (_, i) => `JF${String(i + 1).padStart(2, '0')}T01V01`);
  beforeAll(async () => {
    const facility: FacilityConfig = {
      beamlines: { alvra: { networks: ['127.0.0.0/8'], apiKeySha256: [apiKeyHash('k')], detectors: Object.fromEntries(detectors.map((d) => [d, {}])) } },
    };
    big = await startTestStack({ facility, env: { SFDAQ_NAME_CHECK: 'off' } });
  });
  afterAll(async () => {
    await big?.destroy();
  });

  test('10,000 channels, 100 cameras, 2,000 PVs, 32 detectors, 60,001 pulses: accepted, and the run reaches a final state', { timeout: 240_000 }, async () => {
    const start = Number(big.clock.currentPulseId()) - 2_000_000; // long gone: every source ends quickly
    const body = {
      pgroup: 'p12345', start_pulseid: start, stop_pulseid: start + 60_000,
      channels_list: Array.from({ length: 10_000 }, (_, i) => `SIM-LIMIT-CHANNEL-${String(i).padStart(5, '0')}:VALUE-WITH-A-LONG-NAME`),
      camera_list: Array.from({ length: 100 }, (_, i) => `SIM-LIMIT-CAMERA-${i}:FPICTURE`),
      pv_list: Array.from({ length: 2_000 }, (_, i) => `SIM-LIMIT-PV-${i}:READBACK`),
      detectors: Object.fromEntries(detectors.map((d) => [d, {}])),
    };
    expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(262_144); // the request alone would not fit a state
    const { json } = await big.post('/retrieve_from_buffers', body);
    expect(json.status).toBe('ok');
    const run = await waitForRun(big, 'p12345', json.run_number as number, 200_000);
    expect(['done', 'done_with_problems', 'failed']).toContain(run.state);
    expect(run.sources).toHaveLength(3 + 32);
    await big.sfn.idle();
    const execution = big.sfn.describe(`arn:aws:states:eu-central-1:000000000000:execution:sfdaq-retrieve-local:alvra-p12345-${label(json.run_number as number)}`);
    expect(execution?.status).toBe('SUCCEEDED');
    expect(Buffer.byteLength(execution!.input)).toBeLessThan(200);
  });
});
