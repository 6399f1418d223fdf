/**
 * Idempotent retries: the same Idempotency-Key and body get the same run
 * number and answer, never a second run; a different body is refused; no
 * header keeps the original's behaviour; keys expire. And the crash windows:
 * a request that stops for good after any step (modelled as a step that
 * never returns, so none of its later code runs, exactly as if its process
 * had died) is finished by a retry with the same number, or with the first
 * number the key ever gets.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { waitForRun } from '../helpers/runs';
import { acceptWithKey, type IdempotentDeps } from '../../lib/core/idempotency';
import type { App } from '../../lib/runtime/app';
import { Client, pool } from './support/http';


const EXECUTIONS = 'arn:aws:states:eu-central-1:000000000000:execution:sfdaq-retrieve-local:';
let stack: TestStack;
let client: Client;

beforeAll(async () => {
  stack = await startTestStack();
  client = new Client(stack.url, { maxSockets: 32 });
});
afterAll(async () => {
  client?.close();
  await stack?.destroy();
});

const body = (pgroup: string, extra: Record<string, unknown> = {}) => ({
  pgroup, start_pulseid: 11_884_948_775, stop_pulseid: 11_884_949_774, channels_list: ['SAR-CVME-TIFALL5:EvtSet'], ...extra,
});
const current = async (pgroup: string, headers: Record<string, string> = {}) => (await client.get(`/get_current_run_number?pgroup=${pgroup}`, headers)).json!.run_number as number;
const label = (run: number) => `run_${String(run).padStart(6, '0')}`;
async function newPgroup(pgroup: string, beamline = 'alvra'): Promise<string> {
  const raw = join(stack.dataRoot, beamline, 'data', pgroup, 'raw');
  await mkdir(raw, { recursive: true });
  return raw;
}
const records = async (raw: string) => (await readdir(join(raw, '.daq')).catch(() => [])).filter((f) => /^run_\d{6}\.json$/.test(f)).sort();

describe('Idempotency-Key over HTTP', () => {
  test('same key, same body: the same answer and run number, one run only (key order does not matter)', async () => {
    const raw = await newPgroup('p20001');
    const key = randomUUID();
    const first = await client.post('/retrieve_from_buffers', body('p20001', { directory_name: 'a/b' }), { 'idempotency-key': key });
    expect(first.json).toMatchObject({ status: 'ok', run_number: 1 });
    // The same body, keys in another order, re-sent three times.
    const reordered = JSON.stringify({ directory_name: 'a/b', channels_list: ['SAR-CVME-TIFALL5:EvtSet'], stop_pulseid: 11_884_949_774, start_pulseid: 11_884_948_775, pgroup: 'p20001' });
    for (let i = 0; i < 3; i++) {
      const again = await client.post('/retrieve_from_buffers', reordered, { 'idempotency-key': key });
      expect(again.status).toBe(200);
      expect(again.text).toBe(first.text);
    }
    expect(await current('p20001')).toBe(1);
    expect(await records(raw)).toEqual(['run_000001.json']);
    expect(stack.sfn.describe(`${EXECUTIONS}alvra-p20001-run_000002`)).toBeUndefined();
  });

  test('same key, different body: refused with a clear message, nothing taken', async () => {
    await newPgroup('p20002');
    const key = randomUUID();
    const first = await client.post('/retrieve_from_buffers', body('p20002'), { 'idempotency-key': key });
    expect(first.json!.run_number).toBe(1);
    for (const other of [body('p20002', { stop_pulseid: 11_884_949_775 }), body('p12345'), body('p20002', { note: 'x' })]) {
      const refused = await client.post('/retrieve_from_buffers', other, { 'idempotency-key': key });
      expect(refused.status).toBe(200);
      expect(refused.json).toMatchObject({
        status: 'failed', field: 'Idempotency-Key',
        message: 'the Idempotency-Key was already used for a different request (run 1 of pgroup p20002); send a new key with a new request',
      });
    }
    expect(await current('p20002')).toBe(1);
  });

  test('no header: every request is a new run, as in the original', async () => {
    await newPgroup('p20003');
    const numbers = [];
    for (let i = 0; i < 3; i++) numbers.push((await client.post('/retrieve_from_buffers', body('p20003'))).json!.run_number);
    expect(numbers).toEqual([1, 2, 3]);
  });

  test('30 concurrent sends of one key: one run, 30 identical answers', async () => {
    const raw = await newPgroup('p20004');
    const key = randomUUID();
    const replies = await pool(Array.from({ length: 30 }), 30, () => client.post('/retrieve_from_buffers', body('p20004', { scan_info: { scan_name: 'race' } }), { 'idempotency-key': key }));
    expect(new Set(replies.map((r) => r.status))).toEqual(new Set([200]));
    expect(new Set(replies.map((r) => r.text)).size).toBe(1);
    expect(replies[0]!.json!.run_number).toBe(1);
    expect(await current('p20004')).toBe(1);
    expect(await records(raw)).toEqual(['run_000001.json']);
    expect(JSON.parse(await readFile(join(raw, 'scan_info/race.json'), 'utf8')).scan_files).toHaveLength(1);
  });

  test('keys belong to a beamline: the same key at bernina is bernina\'s own', async () => {
    const key = randomUUID();
    const alvra = await client.post('/retrieve_from_buffers', body('p12345'), { 'idempotency-key': key });
    const bernina = await client.post('/retrieve_from_buffers', body('p23456'), { 'idempotency-key': key, 'x-api-key': 'bernina-demo-key' });
    expect(alvra.json!.status).toBe('ok');
    expect(bernina.json).toMatchObject({ status: 'ok', files: [expect.stringContaining('/bernina/data/p23456/raw/')] });
  });

  test.for([
    ['empty', ''],
    ['too long', 'k'.repeat(256)],
    ['a space', 'two words'],
    ['non-ASCII', 'schlüssel'],
  ])('a malformed key (%s) is refused with a message, nothing taken', async ([, key]) => {
    await newPgroup('p20005');
    const before = await current('p20005');
    const r = await client.post('/retrieve_from_buffers', body('p20005'), { 'idempotency-key': key! });
    expect(r.json).toMatchObject({ status: 'failed', field: 'Idempotency-Key', message: expect.stringMatching(/1 to 255 visible ASCII/) });
    expect(await current('p20005')).toBe(before);
  });

  test('a refused request stores nothing under its key: the corrected request may use it', async () => {
    await newPgroup('p20006');
    const key = randomUUID();
    const refused = await client.post('/retrieve_from_buffers', body('p20006', { directory_name: '../x' }), { 'idempotency-key': key });
    expect(refused.json!.status).toBe('failed');
    const ok = await client.post('/retrieve_from_buffers', body('p20006'), { 'idempotency-key': key });
    expect(ok.json).toMatchObject({ status: 'ok', run_number: 1 });
  });

  test('keys expire after SFDAQ_IDEMPOTENCY_TTL_SECONDS: then the same key is a new request', async () => {
    await newPgroup('p20007');
    // A deployment's configuration change: new execution environments of `retrieve` see it.
    await stack.lambda.updateFunctionConfiguration('retrieve', { environment: { ...stack.lambda.configuration('retrieve').environment, SFDAQ_IDEMPOTENCY_TTL_SECONDS: '1' } });
    try {
      const key = randomUUID();
      expect((await client.post('/retrieve_from_buffers', body('p20007'), { 'idempotency-key': key })).json!.run_number).toBe(1);
      expect((await client.post('/retrieve_from_buffers', body('p20007'), { 'idempotency-key': key })).json!.run_number).toBe(1);
      await new Promise((r) => setTimeout(r, 2_100));
      expect((await client.post('/retrieve_from_buffers', body('p20007'), { 'idempotency-key': key })).json!.run_number).toBe(2);
      // Expired means forgotten: a different body may take the key now.
      await new Promise((r) => setTimeout(r, 2_100));
      expect((await client.post('/retrieve_from_buffers', body('p20007', { note: 'other' }), { 'idempotency-key': key })).json!.run_number).toBe(3);
    } finally {
      await stack.lambda.updateFunctionConfiguration('retrieve', { environment: stack.env });
    }
  });

  test('a retry while the first is still being handled waits for its answer, or gets 409 + Retry-After', async () => {
    await newPgroup('p20008');
    await stack.lambda.updateFunctionConfiguration('retrieve', { environment: { ...stack.env, SFDAQ_IDEMPOTENCY_WAIT_SECONDS: '1' } });
    // The first request is handled here, slowed down at its scan step; the retry goes to a Lambda instance.
    const app = stack.app();
    const gate = holdAt(app, 'appendScanInfo');
    try {
      const key = randomUUID();
      const request = body('p20008', { scan_info: { scan_name: 'slow' } });
      const first = acceptWithKey(request as never, { sourceIp: '127.0.0.1' }, key, app);
      await gate.reached;
      const early = await client.post('/retrieve_from_buffers', request, { 'idempotency-key': key });
      expect(early.status).toBe(409);
      expect(early.headers['retry-after']).toBe('5');
      expect(early.json).toMatchObject({ status: 'failed', field: 'Idempotency-Key', message: expect.stringMatching(/still being handled/) });
      gate.release();
      const answered = await first;
      const again = await client.post('/retrieve_from_buffers', request, { 'idempotency-key': key });
      expect(again.json).toMatchObject({ status: 'ok', run_number: answered.runNumber, files: Object.values(answered.files) });
      expect(await current('p20008')).toBe(1);
    } finally {
      gate.restore();
      await stack.lambda.updateFunctionConfiguration('retrieve', { environment: stack.env });
    }
  });
});

/** Pause a broker's `fs.<method>` until released (a slow request, not a dead one). */
function holdAt(app: App, method: 'appendScanInfo') {
  const fs = app.fs;
  const original = fs[method].bind(fs);
  let release!: () => void;
  let reached!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const reachedP = new Promise<void>((r) => (reached = r));
  fs[method] = (async (...args: Parameters<typeof original>) => {
    reached();
    await released;
    return original(...args);
  }) as typeof fs[typeof method];
  return { reached: reachedP, release, restore: () => { release(); fs[method] = original; } };
}

/** Where a request can stop for good, in the order it passes them. */
const CRASH_POINTS = [
  'claim',           // key claimed, no number
  'nextFor',         // number taken (only the counter knows)
  'setRunNumber',    // number recorded with the key
  'writeRunRecord',  // raw/.daq/run_N.json
  'putRecord',       // the object
  'putStatus',       // status accepted
  'appendScanInfo',  // scan step appended
  'start',           // workflow started, answer not stored
] as const;
type CrashPoint = (typeof CRASH_POINTS)[number];

/** A broker on the stack's services with one step that, once done, never returns: the request's process is gone from there on. */
function crashingAfter(point: CrashPoint, leaseSeconds: number): IdempotentDeps {
  const live = stack.app();
  const never = new Promise<never>(() => undefined);
  const after = <T extends object>(target: T, method: string): T =>
    new Proxy(target, {
      get(t, prop, receiver) {
        const value = Reflect.get(t, prop, receiver) as unknown;
        if (prop !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(t) : value;
        return async (...args: unknown[]) => {
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(t, args);
          // claim() only counts once it took the key.
          if (method === 'claim' && !(result as { claimed: boolean }).claimed) return result;
          return never;
        };
      },
    });
  return {
    ...live,
    idempotencySettings: { ...live.idempotencySettings, leaseSeconds },
    idempotency: ['claim', 'setRunNumber'].includes(point) ? after(live.idempotency, point) : live.idempotency,
    claims: point === 'nextFor' ? after(live.claims, point) : live.claims,
    fs: ['writeRunRecord', 'appendScanInfo'].includes(point) ? after(live.fs, point) : live.fs,
    store: ['putRecord', 'putStatus'].includes(point) ? after(live.store, point) : live.store,
    workflow: point === 'start' ? after(live.workflow, point) : live.workflow,
  };
}

describe('crash windows: a request that stops for good after any step', () => {
  test.for(CRASH_POINTS.map((point, i) => ({ point, i })))('stopped after $point: the retry finishes the same run, once', { timeout: 30_000 }, async ({ point, i }) => {
    const pgroup = `p2010${i}`;
    const raw = await newPgroup(pgroup);
    await client.post('/advance_run_number', { pgroup }); // a pgroup that already has a number: the run must be 2
    const key = randomUUID();
    const request = body(pgroup, { scan_info: { scan_name: 'crash', motors_value: [i] }, directory_name: 'crash' });
    // The first attempt: dies after `point` (its promise never settles, none of its later code runs).
    void acceptWithKey(request as never, { sourceIp: '127.0.0.1' }, key, crashingAfter(point, 1));
    // Let it get there.
    const t0 = Date.now();
    while (Date.now() - t0 < 5_000) {
      await new Promise((r) => setTimeout(r, 50));
      if (point === 'claim' || (await current(pgroup)) === 2) break;
    }
    await new Promise((r) => setTimeout(r, 100));

    // The client's retry: waits out the dead holder's lease (1 s), then takes over.
    const retry = await client.post('/retrieve_from_buffers', request, { 'idempotency-key': key });
    expect(retry.status, retry.text).toBe(200);
    expect(retry.json).toMatchObject({ status: 'ok', run_number: 2, files: [join(raw, 'crash', 'run_000002.BSREAD.h5')] });
    // Re-sent again: the stored answer.
    expect((await client.post('/retrieve_from_buffers', request, { 'idempotency-key': key })).text).toBe(retry.text);

    expect(await current(pgroup)).toBe(2); // one number for the key, whatever the crash point
    expect(await records(raw)).toEqual(['run_000002.json']);
    const scan = JSON.parse(await readFile(join(raw, 'scan_info/crash.json'), 'utf8'));
    expect(scan.scan_files).toEqual([[join(raw, 'crash', 'run_000002.BSREAD.h5')]]); // appended once
    expect(stack.sfn.describe(`${EXECUTIONS}alvra-${pgroup}-run_000002`)).toBeDefined();
    expect(stack.sfn.describe(`${EXECUTIONS}alvra-${pgroup}-run_000003`)).toBeUndefined();
    const run = await waitForRun(stack, pgroup, 2, 30_000);
    expect(['done', 'done_with_problems', 'failed']).toContain(run.state);
    // The run's record holds this request.
    const record = JSON.parse(await readFile(join(raw, '.daq', `${label(2)}.json`), 'utf8'));
    expect(record).toMatchObject({ run_number: 2, directory_name: 'crash', scan_info: { scan_name: 'crash' } });
  });

  test('a slow (not dead) holder is fenced: after a retry took its key over, it can never take a number', async () => {
    const pgroup = 'p20120';
    await newPgroup(pgroup);
    const key = randomUUID();
    const request = body(pgroup);
    const live = stack.app();
    // The first attempt stalls between claiming the key and taking a number, longer than its 1 s lease.
    let resume!: () => void;
    const stalled = new Promise<void>((r) => (resume = r));
    let claimed!: () => void;
    const hasClaimed = new Promise<void>((r) => (claimed = r));
    const slow: IdempotentDeps = {
      ...live,
      idempotencySettings: { ...live.idempotencySettings, leaseSeconds: 1 },
      idempotency: { ...bindAll(live.idempotency), claim: async (...a) => { const r = await live.idempotency.claim(...a); if (r.claimed) claimed(); return r; } },
      claims: { ...bindAll(live.claims), nextFor: async (...a) => { await stalled; return live.claims.nextFor(...a); } },
    };
    const first = acceptWithKey(request as never, { sourceIp: '127.0.0.1' }, key, slow).then(() => 'answered', (e: Error) => e.name);
    await hasClaimed;
    const retry = await client.post('/retrieve_from_buffers', request, { 'idempotency-key': key });
    expect(retry.json).toMatchObject({ status: 'ok', run_number: 1 });
    resume();
    expect(await first).toBe('RequestInProgress'); // fenced: its nextFor refused, so it answers "retry"
    expect(await current(pgroup)).toBe(1);
  });
});

function bindAll<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  let proto: object | null = o;
  while (proto && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const v = (o as Record<string, unknown>)[name];
      if (typeof v === 'function' && name !== 'constructor' && !(name in out)) out[name] = (v as (...a: unknown[]) => unknown).bind(o);
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return out as T;
}
