import { describe, expect, test } from 'vitest';
import { BrokerClient, BrokerRefused, BrokerUnavailable, RunWithoutRetrieval } from '../../../lib/client';

type Call = { url: string; init: RequestInit };
const reset = () => Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
const timeout = () => new DOMException('The operation was aborted due to timeout', 'TimeoutError');
const refused = () => Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });

/** A fetch playing a script: each entry throws or answers JSON. */
function scripted(script: Array<Error | unknown>, calls: Call[] = []): typeof fetch {
  return (async (url: string | URL, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    const next = script.shift();
    if (next instanceof Error || next instanceof DOMException) throw next;
    return new Response(JSON.stringify(next), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

const accepted = { status: 'ok', message: '7', run_number: 7, files: [] };
const request = { pgroup: 'p12345', start_pulseid: 1, stop_pulseid: 2, channels_list: ['A'] };
const key = (c: Call) => (c.init.headers as Record<string, string>)['idempotency-key'];

describe('retrieve: an Idempotency-Key, and one more try when the answer was lost', () => {
  test('every retrieve sends a fresh UUID', async () => {
    const calls: Call[] = [];
    const client = new BrokerClient({ broker: 'http://b', fetch: scripted([accepted, accepted], calls) });
    await client.retrieve(request);
    await client.retrieve(request);
    expect(key(calls[0]!)).toMatch(/^[0-9a-f-]{36}$/);
    expect(key(calls[1]!)).not.toBe(key(calls[0]!));
  });

  test.for([
    ['a connection reset', reset],
    ['a timeout', timeout],
  ] as const)('after %s: sent again once, with the same key and body', async ([, lost]) => {
    const calls: Call[] = [];
    const client = new BrokerClient({ broker: 'http://b', fetch: scripted([lost(), accepted], calls) });
    expect((await client.retrieve(request, { idempotencyKey: 'k-1' })).run_number).toBe(7);
    expect(calls.map(key)).toEqual(['k-1', 'k-1']);
    expect(calls[1]!.init.body).toBe(calls[0]!.init.body);
  });

  test('only once: a second loss is BrokerUnavailable; a refused connection (nothing arrived) is not retried', async () => {
    const twice: Call[] = [];
    await expect(new BrokerClient({ broker: 'http://b', fetch: scripted([reset(), reset()], twice) }).retrieve(request)).rejects.toThrow(BrokerUnavailable);
    expect(twice).toHaveLength(2);
    const down: Call[] = [];
    await expect(new BrokerClient({ broker: 'http://b', fetch: scripted([refused()], down) }).retrieve(request)).rejects.toThrow(/ECONNREFUSED/);
    expect(down).toHaveLength(1);
  });

  test('other calls are not retried', async () => {
    const calls: Call[] = [];
    await expect(new BrokerClient({ broker: 'http://b', fetch: scripted([reset()], calls) }).advanceRunNumber('p12345')).rejects.toThrow(BrokerUnavailable);
    expect(calls).toHaveLength(1);
  });
});

describe('runStatus of a number without a run', () => {
  const missing = (n: number) => ({ status: 'failed', message: `run ${n} of pgroup p12345 does not exist`, field: 'run_number' });

  test('taken by advance_run_number (the last run is at least it): RunWithoutRetrieval', async () => {
    const client = new BrokerClient({ broker: 'http://b', fetch: scripted([missing(6), { status: 'ok', message: '6', run_number: 6 }]) });
    const error = await client.runStatus('p12345', 6).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunWithoutRetrieval);
    expect(error).toBeInstanceOf(BrokerRefused);
    expect((error as RunWithoutRetrieval).message).toBe("run 6 of pgroup p12345 was taken by advance_run_number and has no retrieval (the pgroup's last run is 6)");
  });

  test('not taken yet: a refusal naming the last run; if that cannot be asked, the broker\'s own refusal', async () => {
    const later = await new BrokerClient({ broker: 'http://b', fetch: scripted([missing(9), { status: 'ok', message: '6', run_number: 6 }]) }).runStatus('p12345', 9).catch((e: unknown) => e);
    expect((later as Error).message).toBe("run 9 of pgroup p12345 does not exist (yet: the pgroup's last run is 6)");
    expect(later).not.toBeInstanceOf(RunWithoutRetrieval);
    const plain = await new BrokerClient({ broker: 'http://b', fetch: scripted([missing(9), refused()]) }).runStatus('p12345', 9).catch((e: unknown) => e);
    expect((plain as Error).message).toBe('run 9 of pgroup p12345 does not exist');
  });
});

describe('channels', () => {
  test('GET /channels?search=PATTERN[&kind=...][&limit=N]', async () => {
    const calls: Call[] = [];
    const client = new BrokerClient({ broker: 'http://b/', fetch: scripted([{ status: 'ok', message: '', channels: [] }, { status: 'ok', message: '', channels: [] }], calls) });
    await client.channels('SAR*:Evt Set');
    await client.channels('x', { kinds: ['pv'], limit: 5 });
    expect(calls.map((c) => c.url)).toEqual(['http://b/channels?search=SAR*%3AEvt+Set', 'http://b/channels?search=x&kind=pv&limit=5']);
    expect(() => client.channels(' ')).toThrow(/empty/);
  });
});
