/**
 * Authorization over real sockets: a facility whose alvra network is
 * 127.0.0.1/32 and bernina's 127.0.0.2/32; the test connects from
 * 127.0.0.1, 127.0.0.2 and 127.0.0.3 (all loopback on Linux), with and
 * without API keys and forged forwarding headers. A caller of one beamline
 * never reads or writes the other's pgroup, run numbers or run status on any
 * endpoint; callers from no known network are refused; the documented limits
 * hold. Every refusal is checked to have left no trace.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apiKeyHash, type FacilityConfig } from '../../lib/core/facility';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { Client, type Reply } from './support/http';
import { Bucket } from './support/s3';
import { changes, snapshot } from './support/tree';

const FACILITY: FacilityConfig = {
  beamlines: {
    alvra: { networks: ['127.0.0.1/32'], apiKeySha256: [apiKeyHash('alvra-key')], detectors: { JF01T03V01: {} } },
    bernina: { networks: ['127.0.0.2/32'], apiKeySha256: [apiKeyHash('bernina-key')], detectors: { JF07T01V01: {} } },
  },
};

let stack: TestStack;
let bucket: Bucket;
const clients: Record<string, Client> = {};

/** Who calls: from which address, with which headers, and which beamline that must be (or none). */
const CALLERS: Record<string, { from: string; headers: Record<string, string>; is: 'alvra' | 'bernina' | null }> = {
  'alvra by network': { from: '127.0.0.1', headers: {}, is: 'alvra' },
  'bernina by network': { from: '127.0.0.2', headers: {}, is: 'bernina' },
  'alvra key from bernina\'s network': { from: '127.0.0.2', headers: { 'x-api-key': 'alvra-key' }, is: 'alvra' },
  'bernina key from alvra\'s network': { from: '127.0.0.1', headers: { 'x-api-key': 'bernina-key' }, is: 'bernina' },
  'alvra forging X-Forwarded-For of bernina': { from: '127.0.0.1', headers: { 'x-forwarded-for': '127.0.0.2', forwarded: 'for=127.0.0.2', 'x-real-ip': '127.0.0.2' }, is: 'alvra' },
  'unknown network': { from: '127.0.0.3', headers: {}, is: null },
  'unknown network forging X-Forwarded-For of alvra': { from: '127.0.0.3', headers: { 'x-forwarded-for': '127.0.0.1', forwarded: 'for=127.0.0.1', 'x-real-ip': '127.0.0.1' }, is: null },
  'unknown network with a guessed key': { from: '127.0.0.3', headers: { 'x-api-key': 'alvra' }, is: null },
  // (Not 'bernina-key ': HTTP trims a header value's trailing space, so that is bernina's key.)
  'alvra\'s network with a wrong key': { from: '127.0.0.1', headers: { 'x-api-key': 'bernina-kex' }, is: null },
};
const OWN = { alvra: 'p12345', bernina: 'p23456' } as const;
const other = (b: 'alvra' | 'bernina') => (b === 'alvra' ? 'bernina' : 'alvra');

beforeAll(async () => {
  stack = await startTestStack({ facility: FACILITY });
  bucket = new Bucket(stack.endpoints.s3!);
  for (const from of ['127.0.0.1', '127.0.0.2', '127.0.0.3']) clients[from] = new Client(stack.url, { localAddress: from });
  // A first run in each beamline's pgroup, so there is a status to (not) read.
  for (const b of ['alvra', 'bernina'] as const) {
    const r = await clients[b === 'alvra' ? '127.0.0.1' : '127.0.0.2']!.post('/retrieve_from_buffers', request(OWN[b], b));
    expect(r.json, `${b}: ${r.text}`).toMatchObject({ status: 'ok', run_number: 1 });
  }
  await stack.sfn.idle();
});
afterAll(async () => {
  for (const c of Object.values(clients)) c.close();
  bucket?.close();
  await stack?.destroy();
});

function request(pgroup: string, beamline: 'alvra' | 'bernina', extra: Record<string, unknown> = {}) {
  return { pgroup, start_pulseid: 11_884_948_775, stop_pulseid: 11_884_948_874, channels_list: ['SAR-CVME-TIFALL5:EvtSet'], detectors: { [beamline === 'alvra' ? 'JF01T03V01' : 'JF07T01V01']: {} }, ...extra };
}

/** Everything a caller could touch in a pgroup: its files, objects and counter. */
async function stateOf(beamline: string, pgroup: string) {
  const owner = clients[beamline === 'alvra' ? '127.0.0.1' : '127.0.0.2']!;
  return {
    files: await snapshot(join(stack.dataRoot, beamline, 'data', pgroup)),
    objects: (await bucket.keys(`runs/${beamline}/${pgroup}/`)).join(','),
    counter: (await owner.get(`/get_current_run_number?pgroup=${pgroup}`)).json!.run_number as number,
  };
}

/** Every endpoint, aimed at one pgroup. */
const ENDPOINTS: Array<[string, (c: Client, h: Record<string, string>, pgroup: string, b: 'alvra' | 'bernina') => Promise<Reply>]> = [
  ['POST /retrieve_from_buffers', (c, h, p, b) => c.post('/retrieve_from_buffers', request(p, b, { detectors: undefined }), h)],
  ['GET /get_current_run_number (query)', (c, h, p) => c.get(`/get_current_run_number?pgroup=${p}`, h)],
  ['GET /get_current_run_number (JSON body)', (c, h, p) => c.send('GET', '/get_current_run_number', JSON.stringify({ pgroup: p }), h)],
  ['POST /advance_run_number', (c, h, p) => c.post('/advance_run_number', { pgroup: p }, h)],
  ['POST /close_pgroup_writing', (c, h, p) => c.post('/close_pgroup_writing', { pgroup: p }, h)],
  ['GET /runs/{pgroup}/1', (c, h, p) => c.get(`/runs/${p}/1`, h)],
];

describe('a caller only ever reaches its own beamline', () => {
  for (const [who, caller] of Object.entries(CALLERS)) {
    test(`${who}: ${caller.is ? `only ${caller.is}'s pgroups` : 'refused everywhere'}`, async () => {
      const client = clients[caller.from]!;
      const targets: Array<'alvra' | 'bernina'> = caller.is ? [other(caller.is)] : ['alvra', 'bernina'];
      for (const target of targets) {
        const pgroup = OWN[target];
        const before = await stateOf(target, pgroup);
        for (const [name, call] of ENDPOINTS) {
          const r = await call(client, caller.headers, pgroup, target);
          expect(r.status, `${who} -> ${name} ${target}/${pgroup}`).toBe(200);
          expect(r.json, `${who} -> ${name} ${target}/${pgroup}: ${r.text}`).toMatchObject({ status: 'failed', message: expect.any(String) });
          expect(r.json!.run, 'no status leaks').toBeUndefined();
          expect(r.json!.run_number, 'no number leaks').toBeUndefined();
          expect(r.text).not.toMatch(/"state"|retrieving|done|accepted/);
          expect(r.json!.message).toMatch(caller.is ? /does not exist at beamline/ : /API key is not known|no beamline's network/);
        }
        // Nothing changed in the target's pgroup: files, objects, counter; and it is not closed.
        const after = await stateOf(target, pgroup);
        expect(changes(before.files, after.files), `${who}: files of ${target}/${pgroup}`).toEqual([]);
        expect(after.objects).toBe(before.objects);
        expect(after.counter).toBe(before.counter);
      }
      if (caller.is) {
        // And its own pgroup answers it: reads, the status of run 1.
        const own = OWN[caller.is];
        expect((await client.get(`/get_current_run_number?pgroup=${own}`, caller.headers)).json).toMatchObject({ status: 'ok' });
        expect((await client.get(`/runs/${own}/1`, caller.headers)).json).toMatchObject({ status: 'ok', run: { beamline: caller.is, pgroup: own } });
      }
    });
  }

  test('the same pgroup name at both beamlines: two pgroups, two counters, each caller its own', async () => {
    for (const b of ['alvra', 'bernina']) await mkdir(join(stack.dataRoot, b, 'data/p34567/raw'), { recursive: true });
    const a = await clients['127.0.0.1']!.post('/retrieve_from_buffers', request('p34567', 'alvra'));
    const b1 = await clients['127.0.0.2']!.post('/retrieve_from_buffers', request('p34567', 'bernina'));
    const b2 = await clients['127.0.0.1']!.post('/advance_run_number', { pgroup: 'p34567' }, { 'x-api-key': 'bernina-key' });
    expect(a.json).toMatchObject({ status: 'ok', run_number: 1 });
    expect(a.json!.files.every((f: string) => f.includes('/alvra/data/p34567/raw/'))).toBe(true);
    expect(b1.json).toMatchObject({ status: 'ok', run_number: 1 });
    expect(b1.json!.files.every((f: string) => f.includes('/bernina/data/p34567/raw/'))).toBe(true);
    expect(b2.json).toMatchObject({ status: 'ok', run_number: 2 });
    expect((await clients['127.0.0.1']!.get('/get_current_run_number?pgroup=p34567')).json!.run_number).toBe(1);
    expect((await clients['127.0.0.1']!.get('/runs/p34567/2')).json).toMatchObject({ status: 'failed' }); // bernina's number 2 is not alvra's
    // Closing one leaves the other open.
    expect((await clients['127.0.0.2']!.post('/close_pgroup_writing', { pgroup: 'p34567' })).json!.status).toBe('ok');
    expect((await clients['127.0.0.1']!.post('/retrieve_from_buffers', request('p34567', 'alvra'))).json).toMatchObject({ status: 'ok', run_number: 2 });
    expect((await clients['127.0.0.2']!.post('/retrieve_from_buffers', request('p34567', 'bernina'))).json!.message).toMatch(/closed for writing/);
  });

  test('a detector of the other beamline is refused, whichever pgroup', async () => {
    const r = await clients['127.0.0.1']!.post('/retrieve_from_buffers', request('p12345', 'bernina'));
    expect(r.json).toMatchObject({ status: 'failed', message: 'detector JF07T01V01 is not known at beamline alvra (known: JF01T03V01)' });
  });
});

describe('limits are enforced (and refused without taking a number)', () => {
  const alvra = () => clients['127.0.0.1']!;
  const base = () => request('p12345', 'alvra', { detectors: undefined });
  const names = (n: number, suffix = '') => Array.from({ length: n }, (_, i) => `HARDENING-LIMIT-${i}${suffix}`);
  const cases: Array<[string, Record<string, unknown>, RegExp, number?]> = [
    ['body of 1 MiB + 1 byte', { pad: '' }, /request body too large \(1048577 bytes; at most 1048576\)/, 413],
    ['10,001 channels', { channels_list: names(10_001) }, /channels_list has too many entries \(at most 10000\)/],
    ['101 cameras', { camera_list: names(101, ':FPICTURE') }, /camera_list has too many entries \(at most 100\)/],
    ['2,001 PVs', { pv_list: names(2_001) }, /pv_list has too many entries \(at most 2000\)/],
    ['33 detectors', { detectors: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`JF${String(i).padStart(2, '0')}T01V01`, {}])) }, /detectors has too many keys \(at most 32\)/],
    ['a channel name of 257 characters', { channels_list: ['C'.repeat(257)] }, /channels_list\.0 is too long \(at most 256 characters\)/],
    ['a directory_name of 257 characters', { directory_name: 'd'.repeat(257) }, /directory_name is too long \(at most 256 characters\)/],
    ['a directory part of 256 bytes (128 x "é")', { directory_name: 'é'.repeat(128) }, /path part longer than 255 bytes/],
    ['a scan_name of 129 characters', { scan_info: { scan_name: 's'.repeat(129) } }, /scan_info\.scan_name is too long \(at most 128 characters\)/],
    ['60,002 pulses', { start_pulseid: 1_000_000, stop_pulseid: 1_060_001 }, /requested number of pulses 60002 too large \(max\. 60001\)/],
    ['65 top-level keys', Object.fromEntries(Array.from({ length: 65 - 4 }, (_, i) => [`k${i}`, i])), /request has too many keys \(at most 64\)/],
    ['nesting 33 deep', { deep: JSON.parse('['.repeat(32) + ']'.repeat(32)) }, /nested too deeply \(at most 32 levels/],
  ];
  for (const [what, extra, message, status] of cases) {
    test(what, async () => {
      const before = (await alvra().get('/get_current_run_number?pgroup=p12345')).json!.run_number;
      let body = JSON.stringify({ ...base(), ...extra });
      if ('pad' in extra) body = body.replace('"pad":""', `"pad":"${'x'.repeat(1_048_577 - Buffer.byteLength(body))}"`);
      if (what === 'body of 1 MiB + 1 byte') expect(Buffer.byteLength(body)).toBe(1_048_577);
      const r = await alvra().send('POST', '/retrieve_from_buffers', body);
      expect(r.status).toBe(status ?? 200);
      expect(r.json).toMatchObject({ status: 'failed', message: expect.stringMatching(message) });
      expect((await alvra().get('/get_current_run_number?pgroup=p12345')).json!.run_number).toBe(before);
    });
  }

  test('at the limits exactly: accepted (10,000 channels, 60,001 pulses, 1 MiB, 32 levels, 255-byte part)', async () => {
    const ok = async (extra: Record<string, unknown>, pad = false) => {
      let body = JSON.stringify({ ...base(), ...extra, ...(pad ? { pad: '' } : {}) });
      if (pad) body = body.replace('"pad":""', `"pad":"${'x'.repeat(1_048_576 - Buffer.byteLength(body))}"`);
      const r = await alvra().send('POST', '/retrieve_from_buffers', body);
      expect(r.json, r.text.slice(0, 300)).toMatchObject({ status: 'ok' });
    };
    await ok({ channels_list: names(10_000), allow_unknown_channels: true }); // made-up names: the buffers do not know them
    await ok({ start_pulseid: 1_000_000, stop_pulseid: 1_060_000 });
    await ok({}, true);
    await ok({ deep: JSON.parse('['.repeat(31) + ']'.repeat(31)) });
    await ok({ directory_name: `limits/${'é'.repeat(127)}x` });
    await stack.sfn.idle();
    expect(await readdir(join(stack.raw, 'limits')).catch(() => [])).toBeDefined();
  });
});
