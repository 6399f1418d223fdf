import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ArchiverClient } from '../../lib/adapters/buffers/archiver/client';
import { archiverPvCatalogue, getAllPvs, getPvStatus } from '../../lib/adapters/buffers/archiver/pv-list';
import { dataApiChannelCatalogue, searchChannels } from '../../lib/adapters/buffers/data-api/channel-search';
import { FacilityClock } from '../../lib/core/clock';
import { checkNames, searchNames } from '../../lib/core/names';
import { PV, startArchiverSimulator, type ArchiverSimulator } from '../../local/simulators/archiver';
import { startDataApiSimulator, type DataApiSimulator } from '../../local/simulators/data-api';

// The simulators' name catalogues over HTTP, and the broker's clients of them.
const clock = new FacilityClock();
let data: DataApiSimulator;
let archiver: ArchiverSimulator;

beforeAll(async () => {
  data = await startDataApiSimulator({ backend: 'sf-databuffer', clock, retentionPulses: 36_000 });
  archiver = await startArchiverSimulator({ clock, retentionMs: 360_000 });
});
afterAll(async () => {
  await data?.close();
  await archiver?.close();
});

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
};

describe('Data API 4 channel search (simulator)', () => {
  test("the answer's shape: {channels: [{backend, name, seriesId, source, type, shape, unit, description}]}", async () => {
    const body = JSON.parse((await get(`${data.url}/api/4/search/channel?backend=sf-databuffer&nameRegex=TIFALL5`)).text);
    expect(body).toEqual({
      channels: [{ backend: 'sf-databuffer', name: 'SAR-CVME-TIFALL5:EvtSet', seriesId: expect.any(Number), source: expect.any(String), type: 'uint8', shape: [256], unit: '', description: '' }],
    });
    const images = JSON.parse((await get(`${data.url}/api/4/search/channel?backend=sf-imagebuffer&nameRegex=SPEC125`)).text);
    expect(images.channels[0]).toMatchObject({ name: 'SARES11-SPEC125-M1:FPICTURE', type: 'uint16', shape: [1280, 1024] }); // [width, height]
  });

  test('the regex searches (not anchored), case-sensitive unless icase=true; empty finds nothing; bad is a 400', async () => {
    expect(await searchChannels(data.url, { backend: 'sf-databuffer', nameRegex: 'tifall' })).toEqual([]);
    expect((await searchChannels(data.url, { backend: 'sf-databuffer', nameRegex: 'tifall', icase: true })).map((c) => c.name)).toEqual(['SAR-CVME-TIFALL4:EvtSet', 'SAR-CVME-TIFALL5:EvtSet']);
    expect((await searchChannels(data.url, { nameRegex: 'TIFALL.*Set$' })).map((c) => c.name)).toEqual(['SAR-CVME-TIFALL4:EvtSet', 'SAR-CVME-TIFALL5:EvtSet']);
    expect(JSON.parse((await get(`${data.url}/api/4/search/channel?backend=sf-databuffer`)).text)).toEqual({ channels: [] });
    expect((await get(`${data.url}/api/4/search/channel?nameRegex=(`)).status).toBe(400);
  });

  test("API 1's channels (data_api3's `search`): one entry per backend", async () => {
    const body = JSON.parse((await get(`${data.url}/api/1/channels?regex=CAMS154`)).text);
    expect(body).toEqual([{ backend: 'sf-databuffer', channels: [] }, { backend: 'sf-imagebuffer', channels: ['SATES21-CAMS154-M1:FPICTURE'] }]);
    const posted = await fetch(`${data.url}/api/1/channels`, { method: 'POST', body: JSON.stringify({ regex: 'TIFALL4', backends: ['sf-databuffer'] }) });
    expect(await posted.json()).toEqual([{ backend: 'sf-databuffer', channels: ['SAR-CVME-TIFALL4:EvtSet'] }]);
  });

  test('the catalogues: BS channels (with the benchmarks\' synthetic ones) and cameras apart', async () => {
    const bs = await dataApiChannelCatalogue({ baseUrl: data.url, backend: 'sf-databuffer' }).names({ budgetMs: 5_000 });
    const cameras = await dataApiChannelCatalogue({ baseUrl: data.url, backend: 'sf-imagebuffer' }).names({ budgetMs: 5_000 });
    if (!bs.ok || !cameras.ok) throw new Error('no names');
    expect(['SAR-CVME-TIFALL5:EvtSet', 'SIM-DTYPE:INT64', 'BENCH:SCALAR-0001', 'BENCH:WAVE-1000'].every((n) => bs.list.index.has(n))).toBe(true);
    expect(bs.list.index.has('SATES21-CAMS154-M1:FPICTURE')).toBe(false);
    expect(cameras.list.index.has('SATES21-CAMS154-M1:FPICTURE')).toBe(true);
  });

  test('a slow search: the check goes on without it (noted), and the next request finds the names cached', async () => {
    // The search answers after 2 s; the check's budget is 300 ms: it must come back long before the search does
    // (the margin is wide so that a loaded machine cannot blur the two).
    data.searchFaults.latencyMs = 2_000;
    const bs = dataApiChannelCatalogue({ baseUrl: data.url, backend: 'sf-databuffer' });
    const t = Date.now();
    const first = await checkNames({ channels_list: ['SAR-CVME-TIFALL7:EvtSet'] }, { bs });
    expect(Date.now() - t).toBeLessThan(1_500);
    expect(first).toEqual({ unknown: [], notes: ['names not checked against the data buffer: no answer within 300 ms'] });
    await new Promise((r) => setTimeout(r, 2_300));
    delete data.searchFaults.latencyMs;
    const second = await checkNames({ channels_list: ['SAR-CVME-TIFALL7:EvtSet'] }, { bs });
    expect(second.refusal?.message).toMatch(/did you mean "SAR-CVME-TIFALL4:EvtSet", "SAR-CVME-TIFALL5:EvtSet"\?/);
    expect(data.faults).toEqual({}); // the retrieval's faults are untouched
  });
});

describe("the archiver's management API (simulator)", () => {
  test('getAllPVs: GLOBs (comma-separated), plain names when archived, the default limit of 500, -1 for all', async () => {
    expect(await getAllPvs(archiver.url, { pv: 'motor*' })).toEqual(['motor1_PV', 'motor2_PV']);
    expect(await getAllPvs(archiver.url, { pv: 'SARFE10-???????:*,motor1_PV,NOPE' })).toEqual(['SARFE10-OPSH044:PRESSURE', 'SARFE10-PBPS053:INTENSITY', 'SARFE10-PSSS059:SPECTRUM_Y', 'motor1_PV']);
    expect(await getAllPvs(archiver.url, { regex: 'motor[12]_PV', limit: 1 })).toEqual(['motor1_PV']);
    expect((await getAllPvs(archiver.url)).length).toBe(Object.keys(PV).length);
    const raw = await get(`${archiver.url}/mgmt/bpl/getAllPVs?pv=motor*`);
    expect(raw.text).toBe('["motor1_PV","motor2_PV"]\n'); // json-simple's compact form
  });

  test('getPVStatus: archived PVs with the engine\'s fields, others "Not being archived"; GET or a POSTed list', async () => {
    const statuses = await getPvStatus(archiver.url, [PV.pressure, 'NOPE:PV']);
    expect(statuses[0]).toMatchObject({ pvName: PV.pressure, status: 'Being archived', connectionState: 'true', appliance: 'appliance0' });
    expect(statuses[0]!.lastEvent).toMatch(/^[A-Z][a-z]{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2} \+00:00$/);
    expect(statuses[1]).toEqual({ pvName: 'NOPE:PV', status: 'Not being archived' });
    const viaGet = JSON.parse((await get(`${archiver.url}/mgmt/bpl/getPVStatus?pv=motor*`)).text);
    expect(viaGet.map((s: { pvName: string }) => s.pvName)).toEqual(['motor1_PV', 'motor2_PV']);
  });

  test('the PV catalogue, its own fault plan, and the note when it fails', async () => {
    const pvs = archiverPvCatalogue({ mgmtUrl: archiver.url });
    archiver.mgmtFaults.httpErrors = { status: 503, count: 1 };
    const down = await checkNames({ pv_list: ['motor1_PV'] }, { pv: pvs });
    expect(down.notes[0]).toMatch(/^names not checked against the archiver: the archiver's management API answered HTTP 503/);
    expect(archiver.faults).toEqual({});
    await pvs.refresh();
    const found = await searchNames({ pattern: 'motor?_pv', kinds: ['pv'] }, { pv: pvs });
    expect(found.channels).toEqual([
      { name: 'motor1_PV', kind: 'pv', backend: 'archiver' },
      { name: 'motor2_PV', kind: 'pv', backend: 'archiver' },
    ]);
  });
});

describe('getData.json numbers as the appliance prints them', () => {
  test('whole doubles as 9250.0, small ones as 1.2E-8; fetchLatestMetadata puts the PV\'s fields on the first sample; our client reads both', async () => {
    const text = (await get(`${archiver.url}/retrieval/data/getData.json?pv=${encodeURIComponent(PV.setpoint)}&fetchLatestMetadata=true`)).text;
    expect(text).toMatch(/"val": 9\d\d0\.0, /);
    expect(text).toContain('"fields": { "DESC": "Photon energy setpoint","EGU": "eV","PREC": "1"} }');
    const pressure = (await get(`${archiver.url}/retrieval/data/getData.json?pv=${encodeURIComponent(PV.pressure)}`)).text;
    expect(pressure).toMatch(/"val": \d\.\d+E-8, /);
    const nowNs = clock.timestampNs(clock.currentPulseId());
    const history = await new ArchiverClient({ baseUrl: archiver.url }).getData(PV.setpoint, nowNs - 60_000_000_000n, nowNs);
    expect(Number.isInteger(history.samples[0]!.value)).toBe(true);
  });
});
