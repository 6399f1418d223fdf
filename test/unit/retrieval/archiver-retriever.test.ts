/**
 * retrieveFromArchiver against the archiver simulator (and the data buffer
 * simulator for the pulse map) over real sockets; the PVCHANNELS file is read
 * back with h5wasm and compared with the simulated archive.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadH5 } from '../../../lib/adapters/hdf5';
import { FacilityClock } from '../../../lib/core/clock';
import type { RunRequest } from '../../../lib/core/run-request';
import { pvLayout, retrieveFromArchiver } from '../../../lib/retrieval/archiver-retriever';
import type { BufferSourceResult } from '../../../lib/retrieval/data-api-retriever';
import { queryRange } from '../../../lib/core/rate';
import { RunLog } from '../../../lib/retrieval/run-log';
import type { BufferEndpoints, RetrieverInput } from '../../../lib/retrieval/types';
import { createCatalogue, PV, startArchiverSimulator, type ArchiverSimulator } from '../../../local/simulators/archiver';
import { startDataApiSimulator, type DataApiSimulator } from '../../../local/simulators/data-api';
import { deadUrl as deadBufferUrl } from '../../helpers/dead-url';

const clock = new FacilityClock({ epochPulseId: 20_000_000_000n, epochTimeMs: Date.now() - 600_000 });
const catalogue = createCatalogue(clock);
const NOW = Number(clock.currentPulseId());
const STOP = NOW - 300;
const START = STOP - 299;
const PVS = [PV.pressure, PV.setpoint, PV.shutter, PV.spectrum, PV.intensity, PV.motor1, 'NOT:ARCHIVED'];

const root = mkdtempSync(join(tmpdir(), 'archiver-retriever-'));
const raw = join(root, 'alvra/data/p12345/raw');
mkdirSync(raw, { recursive: true });

let data: DataApiSimulator;
let archiver: ArchiverSimulator;
let deadUrl: string;
let endpoints: BufferEndpoints;

beforeAll(async () => {
  [data, archiver] = await Promise.all([
    startDataApiSimulator({ backend: 'sf-databuffer', clock, retentionPulses: 6_000 }),
    startArchiverSimulator({ clock, retentionMs: 3_600_000 }),
  ]);
  deadUrl = await deadBufferUrl();
  endpoints = {
    dataBufferUrl: data.url,
    imageBufferUrl: data.url,
    archiverUrl: archiver.url,
    detectorBufferRoot: root,
    clock: clock.config,
    retry: { attempts: 4, baseDelayMs: 20, maxDelayMs: 100 },
    deadlineMs: 20_000,
  };
});
afterEach(() => {
  for (const key of Object.keys(archiver.faults)) delete archiver.faults[key as keyof typeof archiver.faults];
});
afterAll(async () => {
  await Promise.all([data.close(), archiver.close()]);
  rmSync(root, { recursive: true, force: true });
});

function inputFor(run: number, request: Partial<RunRequest> = {}): RetrieverInput {
  return {
    beamline: 'alvra',
    pgroup: 'p12345',
    run_number: run,
    request: { pgroup: 'p12345', start_pulseid: START, stop_pulseid: STOP, rate_multiplicator: 1, channels_list: [], camera_list: [], pv_list: PVS, detectors: {}, ...request },
    output_directory: raw,
    files: { PVCHANNELS: join(raw, `run_${String(run).padStart(6, '0')}.PVCHANNELS.h5`) },
    request_time_ms: Date.now(),
    source: 'PVCHANNELS',
  };
}

const logOf = (input: RetrieverInput) => readFileSync(RunLog.pathOf(root, input, 'PVCHANNELS'), 'utf8');

/** What the appliance answers for the run's pulses (after the client's trimming): the before-sample, those in range, those in `to`'s last millisecond. */
function expectedSamples(pv: string, request: RunRequest) {
  const q = queryRange(request.start_pulseid, request.stop_pulseid, request.rate_multiplicator);
  const fromNs = clock.timestampNs(BigInt(q.start));
  const toNs = clock.timestampNs(BigInt(q.stop + 1)) - 1n;
  const toUp = ((toNs + 999_999n) / 1_000_000n) * 1_000_000n;
  return [...catalogue.samplesBetween(pv, fromNs - 1n, toUp)];
}

type Read = (path: string) => unknown;
async function readFile<T>(path: string, fn: (value: Read, shape: (p: string) => number[]) => T): Promise<T> {
  const { lib } = await loadH5();
  const file = new lib.File(path, 'r');
  try {
    const ds = (p: string) => file.get(p) as InstanceType<typeof lib.Dataset>;
    return fn((p) => ds(p).value, (p) => ds(p).shape ?? []);
  } finally {
    file.close();
  }
}

describe('PVCHANNELS from the archiver', () => {
  const input = inputFor(1);
  let result: BufferSourceResult;

  beforeAll(async () => {
    result = await retrieveFromArchiver(input, endpoints, root);
  });

  it('is done; every PV is in the result, the unknown one as not found', () => {
    expect(result).toMatchObject({ source: 'PVCHANNELS', kind: 'archiver', file: input.files.PVCHANNELS, state: 'done', retries: 0 });
    expect(Object.keys(result.channels)).toEqual(PVS);
    expect(result.channels['NOT:ARCHIVED']).toEqual({ rows: 0, notFound: true });
  });

  it.for(PVS.filter((pv) => pv !== 'NOT:ARCHIVED'))('%s: a row per sample, the before-sample first, pulse id at its time', async (pv) => {
    const want = expectedSamples(pv, input.request);
    expect(want[0]!.timeNs).toBeLessThan(clock.timestampNs(BigInt(START))); // the value in force at the start
    await readFile(input.files.PVCHANNELS!, (value, shape) => {
      const base = `data/${pv}`;
      expect(Array.from(value(`${base}/timestamp`) as BigInt64Array)).toEqual(want.map((s) => s.timeNs));
      expect(Array.from(value(`${base}/pulse_id`) as BigInt64Array)).toEqual(want.map((s) => clock.pulseIdAtNs(s.timeNs)));
      expect(Array.from(value(`${base}/is_data_present`) as Uint8Array)).toEqual(want.map(() => 1));
      expect(shape(`${base}/global_date`)).toEqual([want.length]);
      const stored = value(`${base}/data`);
      const flat = typeof stored === 'string' ? [stored] : Array.from(stored as ArrayLike<unknown>);
      expect(flat).toEqual(want.flatMap((s) => s.value));
    });
    expect(result.channels[pv]).toMatchObject({ rows: want.length });
  });

  it('stores numbers as float64, strings as strings, waveforms as float64[n]; the unknown PV with zero rows', async () => {
    await readFile(input.files.PVCHANNELS!, (value, shape) => {
      expect(value('general/instrument')).toBe('alvra');
      expect((value(`data/${PV.pressure}/data`) as Float64Array).constructor).toBe(Float64Array);
      expect(typeof (value(`data/${PV.shutter}/data`) as string[])[0]).toBe('string');
      expect(shape(`data/${PV.spectrum}/data`)).toEqual([expectedSamples(PV.spectrum, input.request).length, 16]);
      for (const name of ['data', 'pulse_id', 'timestamp', 'global_date', 'is_data_present']) expect(shape(`data/NOT:ARCHIVED/${name}`)).toEqual([0]);
    });
  });

  it('the beam-synchronous PV has the pulse before the range, every pulse in it, and the one after', () => {
    expect(result.channels[PV.intensity]).toEqual({ rows: expect.any(Number), firstPulseId: START - 1, lastPulseId: expect.any(Number) });
    expect(result.channels[PV.intensity]!.lastPulseId).toBeGreaterThanOrEqual(STOP);
  });

  it('logs the range, the times, per PV before / in range / after, the unknown PV and the outcome', () => {
    const log = logOf(input);
    expect(log).toContain(`PVCHANNELS retrieval of run 1: 7 PVs, pulses ${START}..${STOP} at rate_multiplicator 1, querying ${START}..${STOP}`);
    expect(log).toContain(`from ${archiver.url} into ${input.files.PVCHANNELS}`);
    expect(log).toMatch(new RegExp(`times \\S+Z \\.\\. \\S+Z \\(inclusive\\) from the pulse map of ${data.url}`));
    expect(log).toMatch(new RegExp(`PV ${PV.setpoint}: 1 / 0 / 0 samples \\(before / in range / after\\); 1 row, pulse id \\d+`));
    expect(log).toMatch(new RegExp(`PV ${PV.intensity}: 1 / 300 / [01] samples`));
    expect(log).toContain('PV NOT:ARCHIVED: PV not archived, 0 rows');
    expect(log).toMatch(/done in \d+\.\d\d s: \d+ rows, 0 retries/);
  });
});

describe('range, faults and fallbacks', () => {
  it('rate_multiplicator 10 widens the PV range like the BS one', async () => {
    const start = Math.floor(START / 10) * 10;
    const input = inputFor(2, { pv_list: [PV.intensity], start_pulseid: start, stop_pulseid: start + 100, rate_multiplicator: 10 });
    const result = await retrieveFromArchiver(input, endpoints, root);
    expect(result.channels[PV.intensity]).toMatchObject({ firstPulseId: start - 2 }); // before-sample of the widened start - 1
    expect(logOf(input)).toContain(`querying ${start - 1}..${start + 101}`);
  });

  it('HTTP 503 twice: retried per PV, logged, done', async () => {
    archiver.faults.httpErrors = { status: 503, count: 2 };
    const input = inputFor(3, { pv_list: [PV.pressure, PV.shutter] });
    const result = await retrieveFromArchiver(input, endpoints, root);
    expect(result).toMatchObject({ state: 'done', retries: 2 });
    expect(logOf(input)).toMatch(/PV \S+: attempt 1 failed: archiver answered HTTP 503/);
  });

  it('an expired range: failed "range expired from the archiver buffer", no file', async () => {
    const input = inputFor(4, { pv_list: [PV.pressure, PV.intensity], start_pulseid: NOW - 720_000, stop_pulseid: NOW - 719_901 });
    const result = await retrieveFromArchiver(input, endpoints, root);
    expect(result).toMatchObject({ state: 'failed', reason: 'range expired from the archiver buffer', channels: {} });
    expect(existsSync(input.files.PVCHANNELS!)).toBe(false);
    expect(logOf(input)).toContain('range expired from the archiver buffer; no file written');
  });

  it('a dead archiver: BufferUnavailable after its own retries (the workflow retries the source), no file', async () => {
    const input = inputFor(5, { pv_list: [PV.pressure] });
    const attempt = retrieveFromArchiver(input, { ...endpoints, archiverUrl: deadUrl }, root);
    await expect(attempt).rejects.toMatchObject({ name: 'BufferUnavailable', message: expect.stringMatching(/archiver unreachable for SARFE10-OPSH044:PRESSURE/) });
    expect(existsSync(input.files.PVCHANNELS!)).toBe(false);
    expect(logOf(input)).toMatch(/attempt failed after .* \(3 retries\): .*; no file written; the workflow will retry/);
  });

  it('the data buffer down: times from the facility clock instead, logged', async () => {
    const input = inputFor(6, { pv_list: [PV.intensity] });
    const result = await retrieveFromArchiver(input, { ...endpoints, dataBufferUrl: deadUrl }, root);
    expect(result).toMatchObject({ state: 'done', channels: { [PV.intensity]: { firstPulseId: START - 1 } } });
    expect(logOf(input)).toMatch(/pulse map unavailable \(.*ECONNREFUSED.*\): times from the facility clock instead/);
    expect(logOf(input)).toContain('(inclusive) from the facility clock');
  });

  it('the deadline: failed "retrieval did not finish within N s"', async () => {
    archiver.faults.latencyMs = 3_000;
    const input = inputFor(7, { pv_list: [PV.pressure] });
    const t0 = Date.now();
    const result = await retrieveFromArchiver(input, { ...endpoints, deadlineMs: 300 }, root);
    expect(result).toMatchObject({ state: 'failed', reason: 'retrieval did not finish within 0.3 s' });
    expect(Date.now() - t0).toBeLessThan(2_000); // the deadline ended it, not the archiver's answer
    expect(existsSync(input.files.PVCHANNELS!)).toBe(false);
  });
});

describe('pvLayout', () => {
  it.for([
    { samples: [1, 2.5], spec: { dtype: 'float64', shape: [] }, rows: [1, 2.5] },
    { samples: ['OPEN', 'CLOSED'], spec: { dtype: 'string', shape: [] }, rows: ['OPEN', 'CLOSED'] },
    { samples: ['OPEN', 3], spec: { dtype: 'string', shape: [] }, rows: ['OPEN', '3'] },
    { samples: [[1, 2], [3]], spec: { dtype: 'float64', shape: [2] }, rows: [[1, 2], [3, Number.NaN]] },
    { samples: [['a'], ['b', 'c']], spec: { dtype: 'string', shape: [2] }, rows: [['a', ''], ['b', 'c']] },
    { samples: [], spec: { dtype: 'float64', shape: [] }, rows: [] },
  ] as const)('$samples -> $spec.dtype [$spec.shape]', ({ samples, spec, rows }) => {
    const layout = pvLayout(samples.map((value) => ({ value: value as never })));
    expect(layout.spec).toEqual(spec);
    expect(samples.map((v) => layout.toRow(v as never))).toEqual(rows);
  });
});
