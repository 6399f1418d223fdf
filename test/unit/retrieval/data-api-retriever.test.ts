/**
 * retrieveFromDataApi against the Data API 3 simulators over real sockets; the
 * files are read back with h5wasm (and once with h5py) and compared with the
 * simulator catalogue's value for every pulse.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadH5 } from '../../../lib/adapters/hdf5';
import { FacilityClock } from '../../../lib/core/clock';
import type { RunRequest } from '../../../lib/core/run-request';
import { retrieveFromDataApi, type BufferSourceResult } from '../../../lib/retrieval/data-api-retriever';
import { RunLog } from '../../../lib/retrieval/run-log';
import type { BufferEndpoints, RetrieverInput } from '../../../lib/retrieval/types';
import { defaultCatalogue, startDataApiSimulator, typedValueAt, valueAt, type DataApiSimulator } from '../../../local/simulators/data-api';
import { bitshuffleMissing, h5pyMissing, readWithH5py } from '../adapters/hdf5/h5py';

// "now" is 10 minutes after the clock's epoch; the buffers keep the last 60 s (6,000 pulses).
const clock = new FacilityClock({ epochPulseId: 20_000_000_000n, epochTimeMs: Date.now() - 600_000 });
const NOW = Number(clock.currentPulseId());
const STOP = NOW - 300;
const START = STOP - 99;

const root = mkdtempSync(join(tmpdir(), 'dataapi-retriever-'));
const raw = join(root, 'alvra/data/p12345/raw');
mkdirSync(raw, { recursive: true });

let data: DataApiSimulator;
let image: DataApiSimulator;
let endpoints: BufferEndpoints;

beforeAll(async () => {
  [data, image] = await Promise.all([
    startDataApiSimulator({ backend: 'sf-databuffer', clock, retentionPulses: 6_000 }),
    startDataApiSimulator({ backend: 'sf-imagebuffer', clock, retentionPulses: 6_000 }),
  ]);
  endpoints = {
    dataBufferUrl: data.url,
    imageBufferUrl: image.url,
    archiverUrl: 'http://127.0.0.1:9',
    detectorBufferRoot: root,
    clock: clock.config,
    retry: { attempts: 4, baseDelayMs: 20, maxDelayMs: 100 },
    deadlineMs: 20_000,
  };
});
afterAll(async () => {
  await Promise.all([data.close(), image.close()]);
  rmSync(root, { recursive: true, force: true });
});

function inputFor(run: number, source: 'BSREAD' | 'CAMERAS', request: Partial<RunRequest>): RetrieverInput {
  const label = `run_${String(run).padStart(6, '0')}`;
  return {
    beamline: 'alvra',
    pgroup: 'p12345',
    run_number: run,
    request: { pgroup: 'p12345', start_pulseid: START, stop_pulseid: STOP, rate_multiplicator: 1, channels_list: [], camera_list: [], pv_list: [], detectors: {}, ...request },
    output_directory: join(raw, 'scan1'),
    files: { [source]: join(raw, 'scan1', `${label}.${source}.h5`) },
    request_time_ms: Date.now(),
    source,
  };
}

/** Every dataset of a file as plain values: { 'data/X/pulse_id': [...], ... }. */
async function readAll(path: string): Promise<{ paths: string[]; value: (p: string) => unknown; shape: (p: string) => number[]; attr: (n: string) => unknown; filters: (p: string) => number[] }> {
  const { lib } = await loadH5();
  const file = new lib.File(path, 'r');
  const values = new Map<string, { value: unknown; shape: number[]; filters: number[] }>();
  const paths = file.paths().sort();
  for (const p of paths) {
    const ds = file.get(p);
    if (ds instanceof lib.Dataset) values.set(p.replace(/^\//, ''), { value: ds.value, shape: ds.shape ?? [], filters: ds.filters.map((f) => f.id) });
  }
  const attrs = Object.fromEntries(Object.entries(file.attrs).map(([k, a]) => [k, a.value]));
  file.close();
  const get = (p: string) => {
    const v = values.get(p);
    if (!v) throw new Error(`${p} is not in ${path}`);
    return v;
  };
  return { paths, value: (p) => get(p).value, shape: (p) => get(p).shape, attr: (n) => attrs[n], filters: (p) => get(p).filters };
}

const range = (a: number, b: number, step = 1) => Array.from({ length: Math.floor((b - a) / step) + 1 }, (_, i) => BigInt(a + i * step));

/** The catalogue's values over `pulses`, flattened (numbers as typed-array elements, strings as strings). */
function expectedValues(channel: string, pulses: bigint[]): unknown[] {
  return pulses.flatMap((p) => {
    const v = typedValueAt(channel, p);
    return typeof v === 'string' ? [v] : Array.from(v as ArrayLike<unknown>);
  });
}

const CHANNELS = [
  'SIM-DTYPE:FLOAT64',
  'SIM-DTYPE:INT16',
  'SIM-DTYPE:UINT64',
  'SIM-DTYPE:BOOL',
  'SIM-DTYPE:STRING',
  'SIM-DTYPE:STRING-LZ4',
  'SIM-WAVE:INT16-100',
  'SIM-WAVE:INT32-1003-LZ4',
  'SIM-ENDIAN:INT32-BE',
  'SIM-RATE:DROPS',
  'SIM-EMPTY:NEVER',
  'NO-SUCH:CHANNEL',
];

describe('BSREAD from the data buffer', () => {
  const input = inputFor(1, 'BSREAD', { channels_list: CHANNELS });
  let result: BufferSourceResult;
  let file: Awaited<ReturnType<typeof readAll>>;

  beforeAll(async () => {
    result = await retrieveFromDataApi(input, endpoints, root, 'data');
    file = await readAll(input.files.BSREAD!);
  });

  it('is done, with the file under its final name', () => {
    expect(result).toMatchObject({ source: 'BSREAD', kind: 'data', file: input.files.BSREAD, state: 'done', retries: 0 });
    expect(result.reason).toBeUndefined();
    expect(result.check).toBeUndefined();
  });

  it('writes /general', () => {
    expect(file.value('general/instrument')).toBe('alvra');
    expect(file.value('general/user')).toBe('p12345');
    expect(file.value('general/process')).toMatch(/^sfdaq-broker \d+\.\d+\.\d+/);
    expect(Date.parse(file.value('general/created') as string)).toBeGreaterThan(Date.now() - 60_000);
  });

  it.for(CHANNELS.filter((c) => defaultCatalogue.lookup(c) && c !== 'SIM-EMPTY:NEVER'))('%s: a row per pulse the channel has, values as the catalogue', (channel) => {
    const spec = defaultCatalogue.lookup(channel)!;
    const pulses = range(START, STOP).filter((p) => spec.has(p));
    const base = `data/${channel}`;
    expect(Array.from(file.value(`${base}/pulse_id`) as BigInt64Array)).toEqual(pulses);
    expect(Array.from(file.value(`${base}/timestamp`) as BigInt64Array)).toEqual(pulses.map((p) => clock.timestampNs(p)));
    expect(Array.from(file.value(`${base}/is_data_present`) as Uint8Array)).toEqual(pulses.map(() => 1));
    expect((file.value(`${base}/global_date`) as string[])[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}\+00:00$/);
    expect(file.shape(`${base}/data`)).toEqual([pulses.length, ...spec.shape]);
    const stored = file.value(`${base}/data`);
    expect(typeof stored === 'string' ? [stored] : Array.from(stored as ArrayLike<unknown>)).toEqual(expectedValues(channel, pulses));
    expect(result.channels[channel]).toEqual({ rows: pulses.length, firstPulseId: Number(pulses[0]), lastPulseId: Number(pulses.at(-1)) });
  });

  it('the channel that drops pulses has gaps exactly where it drops', () => {
    const ids = file.value('data/SIM-RATE:DROPS/pulse_id') as BigInt64Array;
    expect(ids.length).toBeLessThan(100);
    expect(Array.from(ids).every((p) => p % 7n !== 3n)).toBe(true);
  });

  it('a channel without data and an unknown one: zero-row datasets, recorded in the result', () => {
    for (const channel of ['SIM-EMPTY:NEVER', 'NO-SUCH:CHANNEL']) {
      for (const name of ['data', 'pulse_id', 'timestamp', 'global_date', 'is_data_present']) {
        expect(file.shape(`data/${channel}/${name}`)[0], `${channel}/${name}`).toBe(0);
      }
      expect(result.channels[channel]?.rows).toBe(0);
    }
    expect(Object.keys(result.channels)).toEqual(CHANNELS);
  });

  it('logs what was asked, from where, the request id, per channel rows and the outcome', () => {
    const log = readFileSync(RunLog.pathOf(root, input, 'BSREAD'), 'utf8');
    expect(log).toContain(`BSREAD retrieval of run 1: 12 channels, pulses ${START}..${STOP} at rate_multiplicator 1 (100 expected pulses), querying ${START}..${STOP}`);
    expect(log).toContain(`from ${data.url} (backend sf-databuffer`);
    expect(log).toMatch(/query done: request [0-9a-f]{8}\d{2}/);
    expect(log).toContain(`channel SIM-DTYPE:FLOAT64: 100 rows, pulse ids ${START}..${STOP}`);
    expect(log).toContain('channel SIM-EMPTY:NEVER: 0 rows (no data in the range)');
    expect(log).toContain('not found in the data buffer: 1 of the channels');
    expect(log).toMatch(/done in \d+\.\d\d s: \d+ rows, 0 retries/);
    for (const line of log.trimEnd().split('\n')) expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z /);
  });

  it('h5py reads the file as a scientist would', (ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    const py = readWithH5py(input.files.BSREAD!, 4);
    expect(py.datasets['general/user']).toMatchObject({ kind: 'string', values: 'p12345' });
    expect(py.datasets['data/SIM-DTYPE:UINT64/data']).toMatchObject({ dtype: '<u8', shape: [100], values: expectedValues('SIM-DTYPE:UINT64', range(START, START + 3)).map(String) });
    // h5py's bool (an HDF5 enum); big-endian channels kept big-endian, as the Data API sends them.
    expect(py.datasets['data/SIM-DTYPE:BOOL/data']).toMatchObject({ dtype: '|b1', shape: [100] });
    expect(py.datasets['data/SIM-ENDIAN:INT32-BE/data']).toMatchObject({ dtype: '>i4' });
    // Compressed by default (shuffle + gzip): every dataset of the channel.
    for (const name of ['data', 'pulse_id', 'timestamp', 'global_date', 'is_data_present']) {
      expect(py.datasets[`data/SIM-DTYPE:FLOAT64/${name}`], name).toMatchObject({ compression: 'gzip', filter_ids: [2, 1] });
    }
    expect(py.datasets['data/SIM-ENDIAN:INT32-BE/data']?.values).toEqual(expectedValues('SIM-ENDIAN:INT32-BE', range(START, START + 3)));
    expect(py.datasets['data/SIM-DTYPE:STRING-LZ4/data']).toMatchObject({ kind: 'string', values: range(START, START + 3).map((p) => valueAt('SIM-DTYPE:STRING-LZ4', p)) });
    expect(py.datasets['data/SIM-WAVE:INT16-100/data']).toMatchObject({ dtype: '<i2', shape: [100, 100] });
    expect(py.datasets['data/NO-SUCH:CHANNEL/pulse_id']).toMatchObject({ dtype: '<i8', shape: [0] });
  });
});

describe('rate_multiplicator 10', () => {
  const start = Math.floor(START / 10) * 10;
  const stop = start + 100;
  const input = inputFor(2, 'BSREAD', { channels_list: ['SIM-DTYPE:FLOAT64', 'SIM-RATE:10HZ'], start_pulseid: start, stop_pulseid: stop, rate_multiplicator: 10 });

  it('queries the range widened by one pulse at each edge divisible by 10', async () => {
    const result = await retrieveFromDataApi(input, endpoints, root, 'data');
    expect(result.state).toBe('done');
    const file = await readAll(input.files.BSREAD!);
    // A 100 Hz channel shows the widened edges; the 10 Hz one only its beam pulses.
    expect(Array.from(file.value('data/SIM-DTYPE:FLOAT64/pulse_id') as BigInt64Array)).toEqual(range(start - 1, stop + 1));
    expect(Array.from(file.value('data/SIM-RATE:10HZ/pulse_id') as BigInt64Array)).toEqual(range(start, stop, 10));
    expect(result.channels['SIM-RATE:10HZ']).toEqual({ rows: 11, firstPulseId: start, lastPulseId: stop });
    const log = readFileSync(RunLog.pathOf(root, input, 'BSREAD'), 'utf8');
    expect(log).toContain(`pulses ${start}..${stop} at rate_multiplicator 10 (11 expected pulses), querying ${start - 1}..${stop + 1}`);
  });
});

describe('CAMERAS from the image buffer', () => {
  const CAMERA = 'SATES21-CAMS154-M1:FPICTURE';
  const stop = START + 9;
  const input = inputFor(3, 'CAMERAS', { camera_list: [CAMERA, 'NO-SUCH:FPICTURE'], stop_pulseid: stop });
  let result: BufferSourceResult;
  let file: Awaited<ReturnType<typeof readAll>>;

  beforeAll(async () => {
    result = await retrieveFromDataApi(input, endpoints, root, 'image');
    file = await readAll(input.files.CAMERAS!);
  });

  it('writes (N, h, w) images with the catalogue pixels, bitshuffle+LZ4, cameras at the root', () => {
    expect(result).toMatchObject({ source: 'CAMERAS', kind: 'image', state: 'done' });
    expect(file.shape(`${CAMERA}/data`)).toEqual([10, 128, 256]);
    expect(file.filters(`${CAMERA}/data`)).toEqual([32008]);
    const pulses = range(START, stop);
    expect(Array.from(file.value(`${CAMERA}/pulse_id`) as BigInt64Array)).toEqual(pulses);
    expect(Array.from(file.value(`${CAMERA}/timestamp`) as BigInt64Array)).toEqual(pulses.map((p) => clock.timestampNs(p)));
    const pixels = file.value(`${CAMERA}/data`) as Uint16Array;
    const want = new Uint16Array(pulses.length * 128 * 256);
    pulses.forEach((p, i) => want.set(new Uint16Array((valueAt(CAMERA, p) as Uint8Array).slice().buffer), i * 128 * 256));
    expect(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength).equals(Buffer.from(want.buffer))).toBe(true);
    expect(file.attr('file_create_datetime')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('a camera without data gets no group but is in the result (not found) and the log', () => {
    expect(file.paths.some((p) => p.includes('NO-SUCH'))).toBe(false);
    expect(result.channels['NO-SUCH:FPICTURE']).toEqual({ rows: 0, notFound: true });
    expect(result.channels[CAMERA]).toEqual({ rows: 10, firstPulseId: START, lastPulseId: stop });
    const log = readFileSync(RunLog.pathOf(root, input, 'CAMERAS'), 'utf8');
    expect(log).toContain(`from ${image.url} (backend sf-imagebuffer; pulse map of ${data.url})`);
    expect(log).toContain('not found in the image buffer: NO-SUCH:FPICTURE');
    expect(log).toContain('camera NO-SUCH:FPICTURE: 0 rows (not found)');
  });

  it('h5py reads the images (shape, chunks, filter, pixels)', (ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    const py = readWithH5py(input.files.CAMERAS!, 4);
    ctx.skip(bitshuffleMissing(py) !== undefined, bitshuffleMissing(py));
    expect(py.datasets[`${CAMERA}/data`]).toMatchObject({ dtype: '<u2', shape: [10, 128, 256], chunks: [1, 128, 256], filter_ids: [32008] });
    expect(py.datasets[`${CAMERA}/data`]?.values).toEqual(Array.from(new Uint16Array((valueAt(CAMERA, BigInt(START)) as Uint8Array).slice().buffer).subarray(0, 4)));
    expect(py.datasets[`${CAMERA}/pulse_id`]).toMatchObject({ dtype: '<i8', values: range(START, START + 3).map(String) });
  });
});

describe("the older server's headers", () => {
  it('a header without type (no data) still gives the channel zero rows; string compression and scalar shapes parse', async () => {
    const older = await startDataApiSimulator({ backend: 'sf-databuffer', clock, retentionPulses: 6_000, flavour: 'older' });
    try {
      const input = inputFor(4, 'BSREAD', { channels_list: ['SIM-DTYPE:FLOAT64', 'SIM-WAVE:INT32-1003-LZ4', 'SIM-EMPTY:NEVER', 'NO-SUCH:CHANNEL'], stop_pulseid: START + 9 });
      const result = await retrieveFromDataApi(input, { ...endpoints, dataBufferUrl: older.url }, root, 'data');
      expect(result.state).toBe('done');
      expect(result.channels).toEqual({
        'SIM-DTYPE:FLOAT64': { rows: 10, firstPulseId: START, lastPulseId: START + 9 },
        'SIM-WAVE:INT32-1003-LZ4': { rows: 10, firstPulseId: START, lastPulseId: START + 9 },
        'SIM-EMPTY:NEVER': { rows: 0 },
        'NO-SUCH:CHANNEL': { rows: 0 },
      });
      const file = await readAll(input.files.BSREAD!);
      expect(file.shape('data/SIM-WAVE:INT32-1003-LZ4/data')).toEqual([10, 1003]);
      expect(file.shape('data/SIM-EMPTY:NEVER/data')).toEqual([0]);
    } finally {
      await older.close();
    }
  });
});
