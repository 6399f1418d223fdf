/**
 * retrieveFromDataApi when the buffer misbehaves: transient faults are retried
 * (and the file restarts from scratch), permanent ones and the deadline fail
 * the branch with a reason and leave no file under the final name.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadH5 } from '../../../lib/adapters/hdf5';
import { FacilityClock } from '../../../lib/core/clock';
import type { RunRequest } from '../../../lib/core/run-request';
import { retrieveFromDataApi } from '../../../lib/retrieval/data-api-retriever';
import { RunLog } from '../../../lib/retrieval/run-log';
import type { BufferEndpoints, RetrieverInput } from '../../../lib/retrieval/types';
import { startDataApiSimulator, type DataApiSimulator } from '../../../local/simulators/data-api';
import { deadUrl as deadBufferUrl } from '../../helpers/dead-url';

const clock = new FacilityClock({ epochPulseId: 20_000_000_000n, epochTimeMs: Date.now() - 600_000 });
const NOW = Number(clock.currentPulseId());
const STOP = NOW - 300;
const START = STOP - 99;
const CHANNELS = ['SIM-DTYPE:FLOAT64', 'SIM-WAVE:INT16-100', 'SIM-DTYPE:STRING'];

const root = mkdtempSync(join(tmpdir(), 'dataapi-faults-'));
const raw = join(root, 'alvra/data/p12345/raw');
mkdirSync(raw, { recursive: true });

let data: DataApiSimulator;
let deadUrl: string;
let endpoints: BufferEndpoints;

beforeAll(async () => {
  data = await startDataApiSimulator({ backend: 'sf-databuffer', clock, retentionPulses: 6_000 });
  deadUrl = await deadBufferUrl();
  endpoints = {
    dataBufferUrl: data.url,
    imageBufferUrl: data.url,
    archiverUrl: deadUrl,
    detectorBufferRoot: root,
    clock: clock.config,
    retry: { attempts: 4, baseDelayMs: 20, maxDelayMs: 100 },
    deadlineMs: 20_000,
  };
});
afterEach(() => {
  for (const key of Object.keys(data.faults)) delete data.faults[key as keyof typeof data.faults];
});
afterAll(async () => {
  await data.close();
  rmSync(root, { recursive: true, force: true });
});

function inputFor(run: number, request: Partial<RunRequest> = {}): RetrieverInput {
  return {
    beamline: 'alvra',
    pgroup: 'p12345',
    run_number: run,
    request: { pgroup: 'p12345', start_pulseid: START, stop_pulseid: STOP, rate_multiplicator: 1, channels_list: CHANNELS, camera_list: [], pv_list: [], detectors: {}, ...request },
    output_directory: raw,
    files: { BSREAD: join(raw, `run_${String(run).padStart(6, '0')}.BSREAD.h5`) },
    request_time_ms: Date.now(),
    source: 'BSREAD',
  };
}

const logOf = (input: RetrieverInput) => readFileSync(RunLog.pathOf(root, input, 'BSREAD'), 'utf8');

/** Neither the final file nor its temp file exists. */
function expectNoFile(input: RetrieverInput): void {
  const final = input.files.BSREAD!;
  expect(existsSync(final)).toBe(false);
  expect(readdirSync(dirname(final)).filter((f) => f.includes(`run_${String(input.run_number).padStart(6, '0')}.BSREAD.h5`))).toEqual([]);
}

async function pulseIds(path: string, channel: string): Promise<bigint[]> {
  const { lib } = await loadH5();
  const file = new lib.File(path, 'r');
  try {
    return Array.from((file.get(`data/${channel}/pulse_id`) as InstanceType<typeof lib.Dataset>).value as BigInt64Array);
  } finally {
    file.close();
  }
}

describe('transient faults are retried', () => {
  it('HTTP 503 three times: two retries, logged, and a complete file', async () => {
    data.faults.httpErrors = { status: 503, count: 3 };
    const input = inputFor(1);
    const result = await retrieveFromDataApi(input, endpoints, root, 'data');
    expect(result).toMatchObject({ state: 'done', retries: 2 });
    expect(result.channels['SIM-DTYPE:FLOAT64']).toEqual({ rows: 100, firstPulseId: START, lastPulseId: STOP });
    const log = logOf(input);
    expect(log).toMatch(/attempt 1 failed: .*HTTP 503.*; retrying in 20 ms \(the file restarts from scratch\)/);
    expect(log).toMatch(/attempt 2 failed: .*HTTP 503.*; retrying in 40 ms/);
    expect(log).toMatch(/done in .*: 300 rows, 2 retries/);
  });

  it('a connection reset mid-body: the retry rewrites the file from scratch (no duplicate rows)', async () => {
    data.faults.resetAfterBytes = { bytes: 3_000, count: 1 };
    const input = inputFor(2);
    const result = await retrieveFromDataApi(input, endpoints, root, 'data');
    expect(result).toMatchObject({ state: 'done', retries: 1 });
    for (const channel of CHANNELS) {
      expect(await pulseIds(input.files.BSREAD!, channel), channel).toEqual(Array.from({ length: 100 }, (_, i) => BigInt(START + i)));
    }
    expect(logOf(input)).toMatch(/attempt 1 failed: data buffer response failed/);
  });
});

describe('failures leave no file and say why', () => {
  it('a dead buffer (closed port): BufferUnavailable after its own retries, for the workflow to retry; no file', async () => {
    const input = inputFor(3);
    const attempt = retrieveFromDataApi(input, { ...endpoints, dataBufferUrl: deadUrl }, root, 'data');
    await expect(attempt).rejects.toMatchObject({ name: 'BufferUnavailable', message: expect.stringMatching(/ECONNREFUSED/) });
    expectNoFile(input);
    expect(logOf(input)).toMatch(/attempt failed after .* \(3 retries\): .*ECONNREFUSED.*; no file written; the workflow will retry/);
  });

  it('an expired range: failed "range expired from the data buffer", not retried', async () => {
    const input = inputFor(4, { start_pulseid: NOW - 20_000, stop_pulseid: NOW - 19_901 });
    const result = await retrieveFromDataApi(input, endpoints, root, 'data');
    expect(result).toMatchObject({ state: 'failed', retries: 0 });
    expect(result.reason).toMatch(/^range expired from the data buffer/);
    expectNoFile(input);
  });

  it('a permanent error (HTTP 400): failed at once', async () => {
    data.faults.httpErrors = { status: 400, count: 2 };
    const input = inputFor(5);
    const result = await retrieveFromDataApi(input, endpoints, root, 'data');
    expect(result).toMatchObject({ state: 'failed', retries: 0 });
    expect(result.reason).toMatch(/HTTP 400/);
    expectNoFile(input);
  });

  it('pulses not produced yet: retried, then BufferUnavailable "not yet in the data buffer" (the workflow tries again later)', async () => {
    const input = inputFor(6, { start_pulseid: NOW + 1_000, stop_pulseid: NOW + 1_099 });
    await expect(retrieveFromDataApi(input, endpoints, root, 'data')).rejects.toMatchObject({ name: 'BufferUnavailable', message: expect.stringMatching(/not yet in the data buffer/) });
    expectNoFile(input);
  });

  it('the deadline: failed "retrieval did not finish within N s"', async () => {
    data.faults.latencyMs = 400;
    const input = inputFor(7);
    const t0 = Date.now();
    const result = await retrieveFromDataApi(input, { ...endpoints, deadlineMs: 300 }, root, 'data');
    expect(result).toMatchObject({ state: 'failed', reason: 'retrieval did not finish within 0.3 s' });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expectNoFile(input);
    expect(logOf(input)).toContain('retrieval did not finish within 0.3 s; no file written');
  });

  it('a run without a BSREAD output: failed with the reason', async () => {
    const input = { ...inputFor(8), files: {} };
    expect(await retrieveFromDataApi(input, endpoints, root, 'data')).toMatchObject({ state: 'failed', reason: 'the run has no BSREAD output file' });
  });
});
