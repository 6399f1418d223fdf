import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ArchiverClient } from '../../lib/adapters/buffers/archiver/client';
import { pulseIdForSample } from '../../lib/adapters/buffers/archiver/pulse';
import type { PvHistory } from '../../lib/adapters/buffers/archiver/types';
import { FacilityClock } from '../../lib/core/clock';
import { PV, type ArchiverSimulator, startArchiverSimulator } from '../../local/simulators/archiver/index';

// A run as the broker will ask for it: the last 60,001 pulses on the live clock,
// [ts(start), ts(stop + 1)) as an inclusive archiver range, faults set over HTTP.
const clock = new FacilityClock();
let sim: ArchiverSimulator;
let archiver: ArchiverClient;
const stop = clock.currentPulseId() - 100n;
const start = stop - 60_000n;
const fromNs = clock.timestampNs(start);
const toNs = clock.timestampNs(stop + 1n) - 1n;

const putFaults = (plan: unknown) =>
  fetch(`${sim.url}/__faults`, { method: 'PUT', body: JSON.stringify(plan), headers: { 'content-type': 'application/json' } });

beforeAll(async () => {
  sim = await startArchiverSimulator({ clock, retentionMs: 30 * 60_000 });
  archiver = new ArchiverClient({ baseUrl: sim.url, retry: { attempts: 4, baseDelayMs: 10, maxDelayMs: 50 } });
});
afterAll(() => sim.close());

describe('archiver over HTTP with the live clock', () => {
  test('every simulated PV for 60,001 pulses, plus an unknown one', async () => {
    const pvs = [...Object.values(PV), 'SARES11-NOPE:NOTHING'];
    const got: PvHistory[] = [];
    for await (const h of archiver.getMany(pvs, fromNs, toNs)) got.push(h);

    expect(got.map((h) => h.pv)).toEqual(pvs);
    expect(got.at(-1)!.found).toBe(false);
    for (const h of got.slice(0, -1)) {
      expect(h.counts.before, h.pv).toBe(1);
      expect(h.samples[0]!.timestampNs < fromNs, h.pv).toBe(true);
    }
    const intensity = got.find((h) => h.pv === PV.intensity)!;
    // `to` goes out rounded up to the ms, which always brings in pulse stop + 1's sample: counted as after.
    expect(intensity.counts).toEqual({ before: 1, inRange: 60_001, after: 1, dropped: 0 });
    const pulses = intensity.samples.map((s) => pulseIdForSample(clock, s.timestampNs));
    expect(pulses.slice(1, -1)).toEqual(Array.from({ length: 60_001 }, (_, i) => start + BigInt(i)));
    expect(pulses.at(-1)).toBe(stop + 1n);
  });

  test('faults set with PUT /__faults: 503 twice, then missing and duplicated pulses; DELETE clears them', async () => {
    const missing = start + 5n;
    const duplicated = start + 7n;
    expect((await putFaults({ httpErrors: { status: 503, count: 2 }, missingPulseIds: [String(missing)], duplicatedPulseIds: [Number(duplicated)] })).status).toBe(204);

    const h = await archiver.getData(PV.intensity, fromNs, toNs);
    expect(h.counts).toEqual({ before: 1, inRange: 60_000, after: 1, dropped: 1 });
    expect(h.samples.some((s) => pulseIdForSample(clock, s.timestampNs) === missing)).toBe(false);
    expect(sim.faults.httpErrors?.count).toBe(0);

    expect((await fetch(`${sim.url}/__faults`, { method: 'DELETE' })).status).toBe(204);
    expect(sim.faults).toEqual({});
    expect((await archiver.getData(PV.intensity, fromNs, toNs)).counts.inRange).toBe(60_001);
  });

  test('the appliance refuses bad times and unknown API methods with 400, unknown paths with 404', async () => {
    const get = (path: string) => fetch(`${sim.url}${path}`).then(async (r) => [r.status, await r.text()] as const);
    const [badStatus, badText] = await get('/retrieval/data/getData.json?pv=motor1_PV&from=yesterday');
    expect(badStatus).toBe(400);
    expect(badText).toContain('Cannot parse timeyesterday');
    expect((await get('/retrieval/data/getData.json?pv=motor1_PV&from=2024-01-02T00:00:00.000Z&to=2024-01-01T00:00:00.000Z'))[0]).toBe(400);
    expect((await get('/retrieval/data/getDataX.json?pv=motor1_PV'))[1]).toContain('&#34;getDataX&#34; is not a valid API method.');
    expect((await get('/retrieval/nothing'))[0]).toBe(404);
    // Without from/to the appliance takes the last day up to an hour from now: here, what 30 min of retention kept.
    const [okStatus, okText] = await get('/retrieval/data/getData.json?pv=motor1_PV');
    expect(okStatus).toBe(200);
    expect((JSON.parse(okText) as [{ data: unknown[] }])[0].data.length).toBeGreaterThanOrEqual(60);
    expect((JSON.parse(okText) as [{ data: unknown[] }])[0].data.length).toBeLessThanOrEqual(62);
  });
});
