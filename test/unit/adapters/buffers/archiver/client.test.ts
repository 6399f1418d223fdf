import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ArchiverClient, type ArchiverClientOptions } from '../../../../../lib/adapters/buffers/archiver/client';
import { isHistoryExpired } from '../../../../../lib/adapters/buffers/archiver/history';
import { pulseIdForSample } from '../../../../../lib/adapters/buffers/archiver/pulse';
import type { PvHistory } from '../../../../../lib/adapters/buffers/archiver/types';
import { DEFAULT_CLOCK, FacilityClock } from '../../../../../lib/core/clock';
import { BufferProtocolError, BufferUnavailable, RangeExpired } from '../../../../../lib/core/errors';
import { createCatalogue, PV, type ArchiverSimulator, startArchiverSimulator } from '../../../../../local/simulators/archiver/index';

// The simulator's clock stands still at noon; the archive keeps 3 h (cutoff 09:00).
const ns = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;
const clock = new FacilityClock(DEFAULT_CLOCK, () => Date.parse('2024-01-01T12:00:00Z'));
const catalogue = createCatalogue(clock);
const from = ns('2024-01-01T11:50:00Z');
const to = ns('2024-01-01T12:00:00Z');
const fast = { attempts: 3, baseDelayMs: 5, maxDelayMs: 10 };

let sim: ArchiverSimulator;
beforeAll(async () => {
  sim = await startArchiverSimulator({ clock, retentionMs: 3 * 3600_000 });
});
afterAll(() => sim.close());
afterEach(() => {
  for (const key of Object.keys(sim.faults)) delete (sim.faults as Record<string, unknown>)[key];
});

const client = (options: Partial<ArchiverClientOptions> = {}) => new ArchiverClient({ baseUrl: sim.url, retry: fast, ...options });
const collect = async (it: AsyncIterable<PvHistory>) => {
  const out: PvHistory[] = [];
  for await (const h of it) out.push(h);
  return out;
};
const expected = (pv: string, a = from, b = to) => [...catalogue.samplesBetween(pv, a, b)];

describe('each PV kind over a real socket', () => {
  test.for(Object.values(PV))('%s matches the archive, before-sample first', async (pv) => {
    const h = await client().getData(pv, from, to);
    const want = expected(pv);
    expect(h.found).toBe(true);
    expect(h.meta.name).toBe(pv);
    expect(h.samples.map((s) => s.timestampNs)).toEqual(want.map((s) => s.timeNs));
    expect(h.samples.map((s) => s.value)).toEqual(want.map((s) => s.value));
    expect(h.samples[0]!.timestampNs < from).toBe(true);
    expect(h.counts).toEqual({ before: 1, inRange: want.length - 1, after: 0, dropped: 0 });
  });

  test('string and waveform values, alarms and NaN readings come through', async () => {
    const shutter = await client().getData(PV.shutter, from, to);
    expect(new Set(shutter.samples.map((s) => s.value))).toEqual(new Set(['OPEN', 'CLOSED']));
    const spectrum = await client().getData(PV.spectrum, from, to);
    expect(spectrum.samples.every((s) => Array.isArray(s.value) && s.value.length === 16)).toBe(true);
    expect(spectrum.meta).toEqual({ name: PV.spectrum, EGU: 'counts', PREC: '2' });
    // The appliance prints a NaN reading bare (invalid JSON); 11:57:26.123 is one in the simulated archive.
    const pressure = await client().getData(PV.pressure, from, to);
    const nan = pressure.samples.find((s) => s.timestampNs === ns('2024-01-01T11:57:26.123Z') + 456_789n);
    expect(nan).toMatchObject({ value: NaN, severity: 3, status: 1 });
    expect(pressure.samples.some((s) => s.severity === 1 && s.status === 4)).toBe(true);
  });

  test('the set-point PV that has not changed for hours gives its value as the before-sample only', async () => {
    const h = await client().getData(PV.setpoint, from, to);
    expect(h.counts).toEqual({ before: 1, inRange: 0, after: 0, dropped: 0 });
    expect(h.samples[0]!.timestampNs).toBe(ns('2024-01-01T07:07:13.500Z'));
  });

  test('from and to are inclusive to the nanosecond; the ms rounding adds nothing to the counts but `after`', async () => {
    const times = expected(PV.pressure).map((s) => s.timeNs);
    const [t1, t2, t3] = [times[1]!, times[2]!, times[3]!];
    const exact = await client().getData(PV.pressure, t1, t3);
    expect(exact.counts).toEqual({ before: 1, inRange: 3, after: 0, dropped: 0 });
    expect(exact.samples[0]!.timestampNs).toBe(times[0]);
    const short = await client().getData(PV.pressure, t1 + 1n, t3 - 1n);
    expect(short.samples.map((s) => s.timestampNs)).toEqual([t1, t2, t3]);
    expect(short.counts).toEqual({ before: 1, inRange: 1, after: 1, dropped: 0 });
  });

  test('pulseIdForSample: beam-synchronous samples map to consecutive pulses', async () => {
    const h = await client().getData(PV.intensity, from, from + 100_000_000n);
    const pulses = h.samples.map((s) => pulseIdForSample(clock, s.timestampNs));
    expect(pulses.slice(1).every((p, i) => p === pulses[i]! + 1n)).toBe(true);
    expect(h.samples.every((s, i) => clock.timestampNs(pulses[i]!) === s.timestampNs)).toBe(true);
  });
});

describe('names and URLs', () => {
  test('an unknown PV is "not archived", not an error', async () => {
    const h = await client().getData('SARES11-NOPE:NOTHING', from, to);
    expect(h).toEqual({ pv: 'SARES11-NOPE:NOTHING', found: false, meta: {}, samples: [], counts: { before: 0, inRange: 0, after: 0, dropped: 0 } });
  });

  test('names and times are URL-encoded and reach the appliance intact', async () => {
    await client().getData(PV.motorReadback, from, to);
    expect(sim.requests.at(-1)).toBe(
      '/retrieval/data/getData.json?pv=SLAAR11-LMOT-M451%3AMOTOR_1.RBV&from=2024-01-01T11%3A50%3A00.000Z&to=2024-01-01T12%3A00%3A00.000Z',
    );
    const odd = 'X:Y&pv=Z#1 +2.RBV';
    expect((await client().getData(odd, from, to)).found).toBe(false);
    expect(new URL(sim.requests.at(-1)!, 'http://x').searchParams.get('pv')).toBe(odd);
  });

  test('a .VAL suffix names the record itself', async () => {
    const h = await client().getData(`${PV.pressure}.VAL`, from, to);
    expect(h.meta.name).toBe(PV.pressure);
  });

  test('a wrong base URL (404 without the appliance text) is a protocol error, not "not archived"', async () => {
    await expect(client({ baseUrl: `${sim.url}/wrong` }).getData(PV.pressure, from, to)).rejects.toThrow(BufferProtocolError);
  });
});

describe('faults', () => {
  test('5xx is retried and recovers', async () => {
    sim.faults.httpErrors = { status: 503, count: 2 };
    const retries: number[] = [];
    const h = await client({ onRetry: (_pv, _e, n) => retries.push(n) }).getData(PV.motor1, from, to);
    expect(h.counts.inRange).toBe(20);
    expect(retries).toEqual([1, 2]);
  });

  test('5xx beyond the retries is BufferUnavailable', async () => {
    sim.faults.httpErrors = { status: 500, count: 5 };
    await expect(client().getData(PV.motor1, from, to)).rejects.toThrow(BufferUnavailable);
    expect(sim.faults.httpErrors.count).toBe(2);
  });

  test('a connection reset mid-answer is retried', async () => {
    sim.faults.resetAfterBytes = { bytes: 20_000, count: 1 };
    const errors: Error[] = [];
    const h = await client({ onRetry: (_pv, e) => errors.push(e) }).getData(PV.intensity, from, to);
    expect(h.counts.inRange).toBe(60_000);
    expect(errors.map((e) => e.name)).toEqual(['BufferUnavailable']);
  });

  test('truncated JSON is a protocol error and is not retried', async () => {
    sim.faults.truncateAfterBytes = { bytes: 300, count: 1 };
    const retries: number[] = [];
    await expect(client({ onRetry: (_pv, _e, n) => retries.push(n) }).getData(PV.pressure, from, to)).rejects.toThrow(BufferProtocolError);
    expect(retries).toEqual([]);
  });

  test('latency within the timeout only delays; beyond it, the request times out and is retried, bounded', async () => {
    sim.faults.latencyMs = 150;
    const started = Date.now();
    await client().getData(PV.motor2, from, to);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await expect(client({ requestTimeoutMs: 50, retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 5 } }).getData(PV.motor2, from, to)).rejects.toThrow(
      /did not answer .* within 50 ms/,
    );
  });

  test('an unreachable archiver is BufferUnavailable', async () => {
    const closed = await startArchiverSimulator({ clock, retentionMs: 1000 });
    await closed.close();
    await expect(client({ baseUrl: closed.url }).getData(PV.pressure, from, to)).rejects.toThrow(BufferUnavailable);
  });
});

describe('ring retention', () => {
  const old = [ns('2024-01-01T08:00:00Z'), ns('2024-01-01T08:10:00Z')] as const;

  test('a range wholly expired is RangeExpired', async () => {
    await expect(client().getData(PV.pressure, ...old)).rejects.toThrow(RangeExpired);
    await expect(collect(client().getMany([PV.pressure, 'SARES11-NOPE:X', PV.motor1], ...old))).rejects.toThrow(
      'range expired from the archiver buffer',
    );
  });

  test('when some archived PV still has its value in force, every PV is yielded and the expired ones are marked', async () => {
    const got = await collect(client().getMany([PV.pressure, PV.setpoint, 'SARES11-NOPE:X'], ...old));
    expect(got.map((h) => [h.pv, h.found, isHistoryExpired(h)])).toEqual([
      [PV.pressure, true, true],
      [PV.setpoint, true, false],
      ['SARES11-NOPE:X', false, false],
    ]);
  });

  test('only unknown PVs is not RangeExpired', async () => {
    const got = await collect(client().getMany(['A:B', 'C:D'], ...old));
    expect(got.map((h) => h.found)).toEqual([false, false]);
  });

  test('a range across the cutoff has no before-sample; a future range gives the value in force now', async () => {
    const across = await client().getData(PV.pressure, ns('2024-01-01T08:55:00Z'), ns('2024-01-01T09:05:00Z'));
    expect(across.counts.before).toBe(0);
    expect(across.samples[0]!.timestampNs).toBe(ns('2024-01-01T08:59:58.123Z') + 456_789n);
    const future = await client().getData(PV.pressure, ns('2024-01-01T13:00:00Z'), ns('2024-01-01T13:10:00Z'));
    expect(future.counts).toEqual({ before: 1, inRange: 0, after: 0, dropped: 0 });
  });
});

describe('getMany', () => {
  test('yields in the order asked, at most `concurrency` requests at once', async () => {
    const pvs = [...Object.values(PV).filter((pv) => pv !== PV.intensity), 'SARES11-NOPE:X'];
    sim.faults.latencyMs = 250;
    const started = Date.now();
    const got = await collect(client({ concurrency: 4 }).getMany(pvs, from, to));
    const elapsed = Date.now() - started;
    expect(got.map((h) => h.pv)).toEqual(pvs);
    // 8 PVs, 4 at a time: two rounds of latency (one at a time would take >= 2 s, all at once < 0.5 s).
    expect(elapsed).toBeGreaterThanOrEqual(490);
    expect(elapsed).toBeLessThan(1900);
  });

  test('stopping early aborts the rest quietly', async () => {
    for await (const h of client().getMany([PV.motor1, PV.intensity, PV.spectrum], from, to)) {
      expect(h.pv).toBe(PV.motor1);
      break;
    }
  });

  test('duplicated and missing pulses: duplicates dropped and counted, missing ones leave the previous value in force', async () => {
    const want = expected(PV.intensity, from, from + 100_000_000n);
    const pulses = want.map((s) => clock.pulseIdAtNs(s.timeNs));
    sim.faults.missingPulseIds = [pulses[3]!];
    sim.faults.duplicatedPulseIds = [pulses[5]!];
    const [h] = await collect(client().getMany([PV.intensity], from, from + 100_000_000n));
    expect(h!.counts).toEqual({ before: 1, inRange: want.length - 2, after: 0, dropped: 1 });
    expect(h!.samples.map((s) => pulseIdForSample(clock, s.timestampNs))).toEqual(pulses.filter((p) => p !== pulses[3]));
  });
});
