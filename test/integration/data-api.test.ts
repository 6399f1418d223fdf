import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { DataApiClient, type DataApiItem, type QueryReport } from '../../lib/adapters/buffers/data-api';
import { withRetry } from '../../lib/adapters/buffers/retry';
import { FacilityClock } from '../../lib/core/clock';
import { BufferProtocolError, BufferUnavailable, RangeExpired } from '../../lib/core/errors';
import {
  Catalogue,
  defaultCatalogue,
  defaultChannels,
  headerFrame,
  numericChannel,
  startDataApiSimulator,
  typedValueAt,
  valueAt,
  type DataApiSimulator,
} from '../../local/simulators/data-api';
import { headerJson } from '../../local/simulators/data-api/query';

// A clock whose "now" is 2 minutes after its epoch, so the ranges below exist; the
// ring buffer keeps 6,000 pulses (60 s).
const clock = new FacilityClock({ epochPulseId: 20_000_000_000n, epochTimeMs: Date.now() - 120_000 });
const RETENTION = 6_000;
const stop = clock.currentPulseId() - 300n;
const start = stop - 99n;
const FAST = { attempts: 4, baseDelayMs: 20, maxDelayMs: 100 };

let data: DataApiSimulator;
let image: DataApiSimulator;
let older: DataApiSimulator;
let dataClient: DataApiClient;
let imageClient: DataApiClient;

beforeAll(async () => {
  [data, image, older] = await Promise.all([
    startDataApiSimulator({ backend: 'sf-databuffer', clock, retentionPulses: RETENTION }),
    startDataApiSimulator({ backend: 'sf-imagebuffer', clock, retentionPulses: RETENTION, nodeNumber: 7 }),
    startDataApiSimulator({ backend: 'sf-databuffer', clock, retentionPulses: RETENTION, flavour: 'older' }),
  ]);
  dataClient = new DataApiClient({ baseUrl: data.url, backend: 'sf-databuffer', sendDefaultBackend: true, retry: FAST, requestTimeoutMs: 5_000 });
  imageClient = new DataApiClient({ baseUrl: `${image.url}/`, backend: 'sf-imagebuffer', sendDefaultBackend: false, retry: FAST });
});
afterAll(() => Promise.all([data.close(), image.close(), older.close()]));
afterEach(() => {
  for (const sim of [data, image, older]) for (const key of Object.keys(sim.faults)) delete sim.faults[key as keyof typeof sim.faults];
});

async function collect(query: AsyncGenerator<DataApiItem, QueryReport>) {
  const items: DataApiItem[] = [];
  let next = await query.next();
  for (; !next.done; next = await query.next()) items.push(next.value);
  return { items, report: next.value };
}

const events = (items: DataApiItem[], channel?: string) =>
  items.filter((i): i is Extract<DataApiItem, { kind: 'event' }> => i.kind === 'event' && (!channel || i.channel === channel));
const headers = (items: DataApiItem[]) => items.flatMap((i) => (i.kind === 'header' ? [i.header] : []));
const pulsesOf = (items: DataApiItem[], channel: string) => events(items, channel).map((e) => e.pulseId);
const range = (a: bigint, b: bigint) => Array.from({ length: Number(b - a) + 1 }, (_, i) => a + BigInt(i));
const same = (a: Uint8Array | string | undefined, b: Uint8Array | string) =>
  typeof a === 'string' || typeof b === 'string' ? a === b : a !== undefined && Buffer.from(a).equals(Buffer.from(b));

describe('data buffer: every dtype and shape over a real socket', () => {
  test('each channel of the catalogue: header, pulse ids, timestamps and values as valueAt says', async () => {
    const specs = defaultCatalogue.list('sf-databuffer');
    const { items, report } = await collect(dataClient.retrievePulses(specs.map((s) => s.name), start, stop));

    for (const spec of specs) {
      const expectedPulses = range(start, stop).filter((p) => spec.has(p));
      expect(pulsesOf(items, spec.name), spec.name).toEqual(expectedPulses);
      if (expectedPulses.length === 0) continue;
      const header = headers(items).find((h) => h.name === spec.name)!;
      expect(header, spec.name).toEqual({ name: spec.name, dtype: spec.dtype, shape: spec.shape, byteOrder: spec.byteOrder, compression: spec.compression });
      for (const e of events(items, spec.name)) {
        expect(e.timestampNs).toBe(clock.timestampNs(e.pulseId));
        expect(e.timestampNs % 1_000_000n).toBe(e.pulseId % 1_000_000n);
        expect(same(valueAt(spec.name, e.pulseId), e.value), `${spec.name} @ ${e.pulseId}`).toBe(true);
        expect(e.compressed !== undefined).toBe(spec.compression === 'bitshuffle-lz4');
      }
    }
    expect(report.channelsWithoutData).toEqual(['SIM-EMPTY:NEVER']);
    expect(report.notFoundCount).toBe(0);
    expect(report.requestId).toMatch(/^[0-9a-f]{8}00$/);
  });

  test('a few values spelled out: int64/uint64 beyond 2^53, big-endian, strings, drops, 10 Hz', async () => {
    const p = start + 3n;
    const { items } = await collect(
      dataClient.query(
        ['SIM-DTYPE:INT64', 'SIM-DTYPE:UINT64', 'SIM-ENDIAN:INT32-BE', 'SIM-DTYPE:STRING', 'SIM-DTYPE:STRING-LZ4', 'SIM-RATE:DROPS', 'SIM-RATE:10HZ'],
        clock.timestampNs(p),
        clock.timestampNs(p + 20n),
      ),
    );
    const first = (ch: string) => events(items, ch)[0]!;
    const bytes = (ch: string) => Buffer.from(first(ch).value as Uint8Array);
    expect(bytes('SIM-DTYPE:INT64').readBigInt64LE()).toBe(-(p * 1_000_003n));
    expect(bytes('SIM-DTYPE:UINT64').readBigUInt64LE()).toBe(2n ** 64n - 1n - p);
    expect(bytes('SIM-ENDIAN:INT32-BE').readInt32BE()).toBe(Number(p % 1_000_000n) * 3 - 1000);
    expect(first('SIM-DTYPE:STRING').value).toBe(`pulse ${p} ${['ok', 'warning', 'alarm 5 µA'][Number(p % 3n)]}`);
    expect(first('SIM-DTYPE:STRING-LZ4').value).toMatch(new RegExp(`^compressed status of pulse ${p}: `));
    expect(pulsesOf(items, 'SIM-RATE:DROPS').some((q) => q % 7n === 3n)).toBe(false);
    expect(pulsesOf(items, 'SIM-RATE:DROPS')).toHaveLength(range(p, p + 19n).filter((q) => q % 7n !== 3n).length);
    expect(pulsesOf(items, 'SIM-RATE:10HZ')).toEqual(range(p, p + 19n).filter((q) => q % 10n === 0n));
    // The catalogue's typed view, as a file comparison would use it.
    expect(typedValueAt('SIM-DTYPE:UINT64', p)).toEqual(new BigUint64Array([2n ** 64n - 1n - p]));
    expect(typedValueAt('SIM-ENDIAN:INT32-BE', p)).toEqual(new Int32Array([Number(p % 1_000_000n) * 3 - 1000]));
    expect(typedValueAt('SIM-RATE:DROPS', 7n * 1000n + 3n)).toBeUndefined();
  });

  test('synthetic BENCH channels are made from their names', async () => {
    const { items } = await collect(dataClient.retrievePulses(['BENCH:WAVE-0007', 'BENCH:SCALAR-0123'], start, start + 9n));
    expect(headers(items).map((h) => [h.name, h.dtype, h.shape])).toEqual([
      ['BENCH:WAVE-0007', 'float32', [2048]],
      ['BENCH:SCALAR-0123', 'float64', []],
    ]);
    expect(events(items)).toHaveLength(20);
  });

  test('unknown channel: no frames, counted in channel_not_found; an empty channel is only "without data"', async () => {
    const { items, report } = await collect(dataClient.retrievePulses(['SIM-DTYPE:FLOAT64', 'NOPE:NOTHING', 'sf-imagebuffer/SIM-DTYPE:INT8'], start, start + 9n));
    expect(headers(items).map((h) => h.name)).toEqual(['SIM-DTYPE:FLOAT64']);
    expect(report.notFoundCount).toBe(2); // a known name under the wrong backend is not found either
    expect(report.channelsNotFound).toEqual(['NOPE:NOTHING', 'SIM-DTYPE:INT8']);
    expect(report.channelsWithoutData).toEqual(['NOPE:NOTHING', 'SIM-DTYPE:INT8']);

    const mixed = await collect(dataClient.retrievePulses(['SIM-DTYPE:FLOAT64', 'NOPE:NOTHING', 'SIM-EMPTY:NEVER'], start, start + 9n));
    // One unknown among two frameless channels: which one is not knowable from a count.
    expect(mixed.report).toMatchObject({ notFoundCount: 1, channelsNotFound: [], channelsWithoutData: ['NOPE:NOTHING', 'SIM-EMPTY:NEVER'] });
  });

  test("the older server: header without type for unknown/empty channels, string compression, scalars without shape", async () => {
    const client = new DataApiClient({ baseUrl: older.url, backend: 'sf-databuffer', sendDefaultBackend: true });
    const { items, report } = await collect(client.retrievePulses(['NOPE:NOTHING', 'SIM-DTYPE:INT16', 'SIM-EMPTY:NEVER', 'SIM-WAVE:INT32-1003-LZ4', 'SIM-LEGACY:SHAPE1'], start, start + 4n));
    expect(headers(items)).toEqual([
      { name: 'NOPE:NOTHING', dtype: undefined, shape: [], byteOrder: 'little', compression: 'none' },
      { name: 'SIM-DTYPE:INT16', dtype: 'int16', shape: [], byteOrder: 'little', compression: 'none' },
      { name: 'SIM-EMPTY:NEVER', dtype: undefined, shape: [], byteOrder: 'little', compression: 'none' },
      { name: 'SIM-WAVE:INT32-1003-LZ4', dtype: 'int32', shape: [1003], byteOrder: 'little', compression: 'bitshuffle-lz4' },
      { name: 'SIM-LEGACY:SHAPE1', dtype: 'float64', shape: [], byteOrder: 'little', compression: 'none' },
    ]);
    expect(events(items)).toHaveLength(15);
    expect(report.channelsWithoutData).toEqual(['NOPE:NOTHING', 'SIM-EMPTY:NEVER']);
    const wave = events(items, 'SIM-WAVE:INT32-1003-LZ4')[0]!;
    expect(same(valueAt(wave.channel, wave.pulseId), wave.value)).toBe(true);
  });
});

describe('image buffer', () => {
  test('a 1280x1024 uint16 camera: bitshuffle-LZ4 stream kept, pixels equal valueAt', async () => {
    const name = 'SARES11-SPEC125-M1:FPICTURE';
    const { items, report } = await collect(imageClient.retrievePulses([name], start, start + 2n));
    expect(headers(items)).toEqual([{ name, dtype: 'uint16', shape: [1024, 1280], byteOrder: 'little', compression: 'bitshuffle-lz4' }]);
    expect(report.requestId).toMatch(/^[0-9a-f]{8}07$/);
    const frames = events(items);
    expect(frames.map((e) => e.pulseId)).toEqual(range(start, start + 2n));
    for (const e of frames) {
      const compressed = Buffer.from(e.compressed!);
      expect(compressed.readBigUInt64BE(0)).toBe(1280n * 1024n * 2n);
      expect(compressed.readUInt32BE(8)).toBe(8192);
      expect(compressed.length).toBeLessThan(1280 * 1024 * 2);
      const pixels = e.value as Uint8Array;
      expect(pixels.length).toBe(1280 * 1024 * 2);
      expect(Buffer.from(pixels).readBigUInt64LE(0)).toBe(e.pulseId); // pixels 0..3 carry the pulse id
      expect(same(valueAt(name, e.pulseId), pixels)).toBe(true);
    }
  });

  test('the small camera, 50 pulses; a camera asked from the data buffer is not found', async () => {
    const name = 'SATES21-CAMS154-M1:FPICTURE';
    const { items } = await collect(imageClient.retrievePulses([name], start, start + 49n));
    expect(events(items)).toHaveLength(50);
    expect(events(items).every((e) => same(valueAt(name, e.pulseId), e.value))).toBe(true);
    const wrong = await collect(dataClient.query([name], clock.timestampNs(start), clock.timestampNs(start + 5n)));
    expect(wrong.report.channelsNotFound).toEqual([name]);
  });
});

describe('pulse map', () => {
  test('answers the exact nanosecond timestamp (beyond 2^53) as BigInt', async () => {
    const ts = await dataClient.pulseTimestampNs(start);
    expect(ts).toBe(clock.timestampNs(start));
    expect(ts > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  test('a pulse not yet produced: 204, retried until it exists', async () => {
    const soon = clock.currentPulseId() + 15n; // 150 ms from now
    const t0 = Date.now();
    expect(await dataClient.pulseTimestampNs(soon)).toBe(clock.timestampNs(soon));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
  });

  test('a pulse far in the future gives up after pulseMapTries', async () => {
    const client = new DataApiClient({ baseUrl: data.url, backend: 'sf-databuffer', sendDefaultBackend: true, retry: FAST, pulseMapTries: 3 });
    const far = clock.currentPulseId() + 100_000n;
    await expect(client.pulseTimestampNs(far)).rejects.toThrow(BufferUnavailable);
    await expect(client.pulseTimestampNs(far)).rejects.toThrow(`pulse ${far} not yet in the data buffer (asked 3 times)`);
  });

  test('5xx is retried; a bad backend is a permanent error', async () => {
    data.faults.httpErrors = { status: 500, count: 2 };
    expect(await dataClient.pulseTimestampNs(start)).toBe(clock.timestampNs(start));
    const client = new DataApiClient({ baseUrl: data.url, backend: 'sf-databuffer', sendDefaultBackend: true, pulseMapBackend: 'sf-nobuffer' as never });
    await expect(client.pulseTimestampNs(start)).rejects.toThrow(BufferProtocolError);
  });
});

describe('expired range', () => {
  test('pulses the ring buffer no longer holds: the map answers, no data -> RangeExpired', async () => {
    const old = clock.currentPulseId() - BigInt(RETENTION) - 1_000n;
    const query = dataClient.retrievePulses(['SIM-DTYPE:FLOAT64', 'SAR-CVME-TIFALL5:EvtSet'], old, old + 99n);
    await expect(collect(query)).rejects.toThrow(RangeExpired);
    await expect(collect(dataClient.retrievePulses(['SIM-DTYPE:FLOAT64'], old, old + 99n))).rejects.toThrow('range expired from the data buffer');
    await expect(collect(imageClient.retrievePulses(['SATES21-CAMS154-M1:FPICTURE'], old, old + 9n))).rejects.toThrow('range expired from the image buffer');
  });

  test('a range that only partly expired returns what is left; only unknown channels is no expiry', async () => {
    const edge = clock.currentPulseId() - BigInt(RETENTION);
    const { items } = await collect(dataClient.retrievePulses(['SIM-DTYPE:FLOAT64'], edge - 100n, edge + 500n));
    // The window only moves forward while the test runs: the expired head is gone, the tail is there.
    expect(events(items)[0]!.pulseId).toBeGreaterThanOrEqual(edge);
    expect(events(items).at(-1)!.pulseId).toBe(edge + 500n);
    const { report } = await collect(dataClient.retrievePulses(['NOPE:A', 'NOPE:B'], edge - 1_000n, edge - 900n));
    expect(report.channelsNotFound).toEqual(['NOPE:A', 'NOPE:B']);
  });
});

describe('faults', () => {
  const CH = 'SIM-DTYPE:FLOAT64';
  const small = () => dataClient.retrievePulses([CH], start, start + 49n);

  test('latency: slower, still correct; beyond the request timeout -> BufferUnavailable', async () => {
    data.faults.latencyMs = 150;
    const t0 = Date.now();
    const { items } = await collect(small());
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3 * 150); // pulse-map calls (in parallel), query, request status
    expect(events(items)).toHaveLength(50);

    data.faults.latencyMs = 400;
    const impatient = new DataApiClient({ baseUrl: data.url, backend: 'sf-databuffer', sendDefaultBackend: true, requestTimeoutMs: 100, pulseMapTries: 1 });
    await expect(collect(impatient.query([CH], clock.timestampNs(start), clock.timestampNs(stop)))).rejects.toThrow(/timed out/);
    await expect(collect(impatient.query([CH], clock.timestampNs(start), clock.timestampNs(stop)))).rejects.toThrow(BufferUnavailable);
  });

  test('5xx, then recovery through withRetry', async () => {
    const [t0, t1] = [clock.timestampNs(start), clock.timestampNs(start + 50n)];
    data.faults.httpErrors = { status: 503, count: 2 };
    const retries: string[] = [];
    const { items } = await withRetry(() => collect(dataClient.query([CH], t0, t1)), FAST, (e) => retries.push(e.message));
    expect(retries).toEqual([
      'data buffer query failed: HTTP 503: simulated fault: HTTP 503 (request simulated-fault)',
      'data buffer query failed: HTTP 503: simulated fault: HTTP 503 (request simulated-fault)',
    ]);
    expect(events(items)).toHaveLength(50);

    data.faults.httpErrors = { status: 502, count: 10 };
    await expect(withRetry(() => collect(dataClient.query([CH], t0, t1)), FAST)).rejects.toThrow(BufferUnavailable);
  });

  test('connection reset mid-stream -> BufferUnavailable', async () => {
    data.faults.resetAfterBytes = { bytes: 20_000, count: 1 };
    const seen: DataApiItem[] = [];
    const query = dataClient.query(['SIM-WAVE:FLOAT32-2048'], clock.timestampNs(start), clock.timestampNs(stop));
    const run = async () => {
      for (let r = await query.next(); !r.done; r = await query.next()) seen.push(r.value);
    };
    await expect(run()).rejects.toThrow(BufferUnavailable);
    expect(events(seen).length).toBeLessThan(3);
    expect(data.faults.resetAfterBytes.count).toBe(0);
    expect(events((await collect(small())).items)).toHaveLength(50); // and the next query is fine
  });

  test('a body truncated inside a frame -> BufferUnavailable', async () => {
    data.faults.truncateAfterBytes = { bytes: 1_000, count: 1 };
    await expect(collect(small())).rejects.toThrow(/ended inside a frame/);
  });

  test('a body truncated exactly between frames: only the request status tells -> BufferUnavailable', async () => {
    const header = headerFrame(headerJson(defaultCatalogue.lookup(CH)!, 'today')).length;
    data.faults.truncateAfterBytes = { bytes: header + 5 * 33, count: 1 }; // header + 5 float64 events
    const seen: DataApiItem[] = [];
    const query = small();
    const run = async () => {
      for (let r = await query.next(); !r.done; r = await query.next()) seen.push(r.value);
    };
    await expect(run()).rejects.toThrow(/request [0-9a-f]{10} failed: simulated fault: response body ended early/);
    expect(events(seen)).toHaveLength(5);
  });

  test('missing and duplicated pulses are visible in the output', async () => {
    data.faults.missingPulseIds = [start + 3n, start + 4n];
    data.faults.duplicatedPulseIds = [start + 7n];
    const { items } = await collect(dataClient.retrievePulses([CH, 'SAR-CVME-TIFALL5:EvtSet'], start, start + 9n));
    const expected = [0n, 1n, 2n, 5n, 6n, 7n, 7n, 8n, 9n].map((d) => start + d);
    expect(pulsesOf(items, CH)).toEqual(expected);
    expect(pulsesOf(items, 'SAR-CVME-TIFALL5:EvtSet')).toEqual(expected);
  });

  test('faults set and cleared over HTTP (PUT / DELETE /__faults)', async () => {
    const put = await fetch(`${data.url}/__faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ missingPulseIds: [String(start + 1n)], httpErrors: { status: 500, count: 1 } }),
    });
    expect(put.status).toBe(200);
    expect(data.faults.missingPulseIds).toEqual([start + 1n]);
    const { items } = await withRetry(() => collect(small()), FAST);
    expect(pulsesOf(items, CH)).not.toContain(start + 1n);
    expect((await fetch(`${data.url}/__faults`, { method: 'DELETE' })).status).toBe(200);
    expect(data.faults).toEqual({});
    expect(pulsesOf((await collect(small())).items, CH)).toContain(start + 1n);
  });
});

describe('HTTP protocol details', () => {
  const body = JSON.stringify({
    channels: ['SIM-DTYPE:FLOAT64'],
    range: { type: 'date', startDate: '2020-01-01T00:00:00.000000Z', endDate: '2020-01-01T00:00:01.000000Z' },
  });

  test('405 to anything but POST, 406 without octet-stream in Accept, 404 elsewhere', async () => {
    expect((await fetch(`${data.url}/api/1/query`)).status).toBe(405);
    expect((await fetch(`${data.url}/api/1/query`, { method: 'PUT', body })).status).toBe(405);
    const notAcceptable = await fetch(`${data.url}/api/1/query`, { method: 'POST', body, headers: { Accept: 'application/json' } });
    expect(notAcceptable.status).toBe(406);
    const any = await fetch(`${data.url}/api/1/query`, { method: 'POST', body, headers: { Accept: '*/*', 'Content-Type': 'application/json' } });
    expect(any.status).toBe(200);
    expect(any.headers.get('x-daqbuffer-request-id')).toMatch(/^[0-9a-f]{8}\d\d$/);
    await any.arrayBuffer();
    expect((await fetch(`${data.url}/api/2/nothing`)).status).toBe(404);
  });

  test('400 with a requestId for bad bodies; the status board keeps the reason', async () => {
    for (const bad of ['{', '{"channels":[]}', '{"channels":["A"],"range":{"type":"pulseId","startPulseId":1,"endPulseId":2}}', '{"channels":["A"],"range":{"type":"date","startDate":"2020-01-01T00:00:00","endDate":"2020-01-01T00:00:01Z"}}']) {
      const res = await fetch(`${data.url}/api/1/query`, { method: 'POST', body: bad, headers: { Accept: 'application/octet-stream' } });
      expect(res.status, bad).toBe(400);
      const { requestId, message } = (await res.json()) as { requestId: string; message: string };
      expect(message).toBeTruthy();
      const status = await (await fetch(`${data.url}/api/1/requestStatus/${requestId}`)).json();
      expect(status).toEqual({ error_count: 1, warn_count: 0, channel_not_found: 0, errors: [message] });
    }
  });

  test('old {name, backend} channel objects and "BACKEND/NAME" strings are accepted', async () => {
    const res = await fetch(`${data.url}/api/1/query`, {
      method: 'POST',
      headers: { Accept: 'application/octet-stream', 'Content-Type': 'application/json' },
      body: JSON.stringify({
        channels: [{ name: 'SIM-DTYPE:INT8', backend: 'sf-databuffer' }, 'sf-databuffer/SIM-DTYPE:INT16'],
        range: { type: 'date', startDate: new Date(clock.timeMs(start)).toISOString(), endDate: new Date(clock.timeMs(start + 3n)).toISOString() },
      }),
    });
    const status = await (await fetch(`${data.url}/api/1/requestStatus/${res.headers.get('x-daqbuffer-request-id')}`)).json();
    expect(Buffer.from(await res.arrayBuffer()).includes('SIM-DTYPE:INT16')).toBe(true);
    expect(status).toEqual({ error_count: 0, warn_count: 0, channel_not_found: 0 });
  });

  test('a 4xx answer is a permanent error carrying the reason and the request id', async () => {
    const query = dataClient.query(['SIM-DTYPE:FLOAT64'], clock.timestampNs(stop), clock.timestampNs(start));
    await expect(collect(query)).rejects.toThrow(BufferProtocolError);
    await expect(collect(dataClient.query(['X'], 2_000n, 1_000n))).rejects.toThrow(
      /^data buffer query failed: HTTP 400: range.endDate is before range.startDate \(request [0-9a-f]{10}\)$/,
    );
  });

  test('protocol breakage inside the stream (a value of the wrong size) is a permanent error', async () => {
    // The catalogue is extendable: a channel whose wire value is 4 bytes while its header says float64.
    const good = numericChannel({ name: 'SIM-BROKEN:SHORT', dtype: 'float64', element: (_p, low) => low });
    const broken = { ...good, wire: () => new Uint8Array(4) };
    const sim = await startDataApiSimulator({ backend: 'sf-databuffer', clock, retentionPulses: RETENTION, catalogue: new Catalogue([...defaultChannels(), broken]) });
    try {
      const client = new DataApiClient({ baseUrl: sim.url, backend: 'sf-databuffer', sendDefaultBackend: true });
      await expect(collect(client.retrievePulses(['SIM-BROKEN:SHORT'], start, start + 3n))).rejects.toThrow(
        `channel SIM-BROKEN:SHORT pulse ${start}: value of 4 B, expected 8 B for float64[]`,
      );
    } finally {
      await sim.close();
    }
  });

  test('backpressure: a paused reader holds the server back (nothing builds the whole body)', async () => {
    const channels = ['BENCH:WAVE-0001', 'BENCH:WAVE-0002', 'BENCH:WAVE-0003', 'BENCH:WAVE-0004'];
    const from = clock.currentPulseId() - 5_000n;
    const query = dataClient.query(channels, clock.timestampNs(from), clock.timestampNs(from + 4_500n)); // ~150 MB of values
    const before = process.memoryUsage().arrayBuffers;
    let n = 0;
    for await (const item of query) {
      if (item.kind !== 'event') continue;
      if (++n === 5) await new Promise((resolve) => setTimeout(resolve, 300)); // the reader pauses
      if (n === 6) break;
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024);
  });

  test('an unknown request id', async () => {
    const status = await dataClient.requestStatus('deadbeef99');
    expect(status.errors).toEqual(['request-id not found']);
  });

  test('the client stops cleanly when the caller stops early or aborts', async () => {
    const query = dataClient.query(['SIM-WAVE:FLOAT32-2048'], clock.timestampNs(start), clock.timestampNs(stop));
    let n = 0;
    for await (const item of query) if (item.kind === 'event' && ++n === 3) break;
    expect(n).toBe(3);

    const controller = new AbortController();
    const aborted = dataClient.query(['SIM-WAVE:FLOAT32-2048'], clock.timestampNs(start), clock.timestampNs(stop), controller.signal);
    const run = async () => {
      for await (const item of aborted) if (item.kind === 'event') controller.abort(new Error('user stop'));
    };
    await expect(run()).rejects.toThrow('user stop');
    expect(events((await collect(small())).items)).toHaveLength(10); // the simulator is still fine
    function small() {
      return dataClient.retrievePulses(['SIM-DTYPE:FLOAT64'], start, start + 9n);
    }
  });
});
