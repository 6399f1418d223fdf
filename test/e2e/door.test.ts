/**
 * A scientist's mistakes caught at the door, over HTTP through the local
 * stack, against the simulated buffers' own catalogues: a misspelt channel
 * or PV refused with "did you mean", a range gone from the buffers or too far
 * ahead refused with the numbers, a range a little ahead waited for; a slow
 * or dead catalogue lets the request through, and the run's log says the
 * names were not checked. A refusal spends no run number.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { waitForRun } from '../helpers/runs';

/** The names' time budget in these tests. */
const BUDGET_MS = 1_500;
let stack: TestStack;
beforeAll(async () => {
  // The simulated buffers keep 6 minutes, and the stack says so (as npm start does).
  stack = await startTestStack({
    env: {
      SFDAQ_DATA_BUFFER_RETENTION_SECONDS: '360', SFDAQ_IMAGE_BUFFER_RETENTION_SECONDS: '360', SFDAQ_ARCHIVER_RETENTION_SECONDS: '360',
      // A cold instance's first look at a catalogue must fit the budget on a busy test machine (the facility's is 300 ms).
      SFDAQ_NAME_CHECK_BUDGET_MS: String(BUDGET_MS),
    },
  });
});
afterAll(async () => {
  await stack?.destroy();
});

const current = async () => (await stack.get('/get_current_run_number?pgroup=p12345')).json.run_number as number;
const now = () => Number(stack.clock.currentPulseId());
const recent = (extra: Record<string, unknown>) => ({ pgroup: 'p12345', start_pulseid: now() - 300, stop_pulseid: now() - 201, ...extra });
async function setSearchFaults(url: string, plan: Record<string, unknown> | undefined): Promise<void> {
  await fetch(`${url}/__faults/search`, plan ? { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(plan) } : { method: 'DELETE' });
}
/** New `retrieve` instances: their name caches start empty. */
const coldCatalogues = () => stack.lambda.updateFunctionConfiguration('retrieve', { environment: stack.lambda.configuration('retrieve').environment });

describe('names checked against the buffers', () => {
  test('a misspelt channel is refused with the name it probably meant; nothing is spent', async () => {
    const before = await current();
    const { json } = await stack.post('/retrieve_from_buffers', recent({ channels_list: ['SARFE10-PBPG050:HAMP-INTENSITY-CAL', 'SAR-CVME-TIFALL5:EvtSe'] }));
    expect(json).toMatchObject({ status: 'failed', field: 'channels_list[1]' });
    expect(json.message).toMatch(/"SAR-CVME-TIFALL5:EvtSe" is not a channel of the data buffer.*SAR-CVME-TIFALL5:EvtSet/);
    expect(await current()).toBe(before);
  });

  test('a misspelt PV and a camera name in the wrong list', async () => {
    const pv = (await stack.post('/retrieve_from_buffers', recent({ pv_list: ['SARFE10-OPSH044:PRESURE'] }))).json;
    expect(pv).toMatchObject({ status: 'failed', field: 'pv_list[0]', message: expect.stringMatching(/SARFE10-OPSH044:PRESSURE/) });
    const camera = (await stack.post('/retrieve_from_buffers', recent({ channels_list: ['SATES21-CAMS154-M1:FPICTURE'] }))).json;
    expect(camera).toMatchObject({ status: 'failed', field: 'channels_list[0]', message: expect.stringMatching(/camera/) });
  });

  test('allow_unknown_channels: retrieved anyway, the log says which names the buffer did not know', async () => {
    const { json } = await stack.post('/retrieve_from_buffers', recent({ channels_list: ['SAR-CVME-TIFALL5:EvtSet', 'SIM-LATER:NEW-CHANNEL'], allow_unknown_channels: true }));
    expect(json.status).toBe('ok');
    const run = await waitForRun(stack, 'p12345', json.run_number as number);
    expect(run.notes).toEqual([expect.stringMatching(/1 name unknown to the data buffer, retrieved anyway \(allow_unknown_channels\): SIM-LATER:NEW-CHANNEL/)]);
    const log = await readFile(join(stack.raw, '.daq', `run_${String(json.run_number).padStart(6, '0')}.BSREAD.log`), 'utf8');
    expect(log).toMatch(/note: 1 name unknown to the data buffer/);
  });

  test.for([
    ['slow', { latencyMs: 10_000 }],
    ['down', { httpErrors: { status: 500, count: 1_000 } }],
  ] as const)('a catalogue that is %s: accepted within the budget, the log says the names were not checked', async ([, plan]) => {
    await coldCatalogues();
    await setSearchFaults(stack.buffers!.dataBufferUrl, plan);
    try {
      const t0 = Date.now();
      const { json } = await stack.post('/retrieve_from_buffers', recent({ channels_list: ['SAR-CVME-TIFALL5:EvtSet'] }));
      expect(json.status).toBe('ok');
      expect(Date.now() - t0).toBeLessThan(BUDGET_MS + 3_000); // the budget, not the 10 s catalogue, bounds the wait
      const run = await waitForRun(stack, 'p12345', json.run_number as number);
      expect(run.notes).toEqual(expect.arrayContaining([expect.stringMatching(/^names not checked against the data buffer: /)]));
    } finally {
      await setSearchFaults(stack.buffers!.dataBufferUrl, undefined);
    }
  });
});

describe('ranges checked against the buffers and the clock', () => {
  test('a range gone from every requested buffer: refused with the retention and the oldest pulse held; nothing spent', async () => {
    const before = await current();
    const { json } = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', start_pulseid: 1000, stop_pulseid: 2000, channels_list: ['SAR-CVME-TIFALL5:EvtSet'] });
    expect(json).toMatchObject({ status: 'failed', field: 'start_pulseid' });
    expect(json.message).toMatch(/^pulses 1000\.\.2000 are gone from the data buffer \(it keeps 6 minutes; its oldest pulse is now \d+\); the pulse firing now is \d+: ask for pulses after \d+$/);
    expect(await current()).toBe(before);
  });

  test('a range 17 minutes ahead: refused with the numbers', async () => {
    const ahead = now() + 17 * 60 * 100;
    const { json } = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', start_pulseid: ahead, stop_pulseid: ahead + 99, channels_list: ['SAR-CVME-TIFALL5:EvtSet'] });
    expect(json).toMatchObject({ status: 'failed', field: 'stop_pulseid', message: expect.stringMatching(/^stop_pulseid \d+ is 10[12],\d{3} pulses \(17 minutes\) after the pulse firing now \(\d+\); the broker takes requests for pulses at most 60,001 pulses \(10 minutes\) ahead: check the pulse ids, or ask closer to the time$/) });
  });

  test('a range a few seconds ahead is accepted and waited for: done once the pulses exist', async () => {
    const start = now() + 200; // 2 s ahead
    const { json } = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', start_pulseid: start, stop_pulseid: start + 99, channels_list: ['SAR-CVME-TIFALL5:EvtSet'] });
    expect(json.status).toBe('ok');
    const run = await waitForRun(stack, 'p12345', json.run_number as number, 60_000);
    expect(run.state).toBe('done');
    expect(run.sources[0].check.channels['SAR-CVME-TIFALL5:EvtSet']).toMatchObject({ found_unique: 100, missing: 0 });
  });
});
