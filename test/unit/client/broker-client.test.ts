import { describe, expect, test } from 'vitest';
import { BrokerClient, BrokerProtocolError, BrokerRefused, BrokerUnavailable, HttpPulseClock, pulseClock } from '../../../lib/client';

/** A fetch that answers one canned response and records what it was asked. */
function fakeFetch(status: number, body: string, seen: Array<{ url: string; init: RequestInit }> = []): typeof fetch {
  return (async (url: string | URL, init?: RequestInit) => {
    seen.push({ url: String(url), init: init ?? {} });
    return new Response(body, { status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
}

const client = (status: number, body: unknown, seen?: Array<{ url: string; init: RequestInit }>) =>
  new BrokerClient({ broker: 'http://broker:10002/', apiKey: 'k', fetch: fakeFetch(status, typeof body === 'string' ? body : JSON.stringify(body), seen) });

describe('BrokerClient', () => {
  test('sends JSON with the API key to the right path; answers the ok body', async () => {
    const seen: Array<{ url: string; init: RequestInit }> = [];
    const reply = await client(200, { status: 'ok', message: '7', run_number: 7, files: [] }, seen).retrieve({ pgroup: 'p12345', start_pulseid: 1, stop_pulseid: 2 });
    expect(reply.run_number).toBe(7);
    expect(seen[0]!.url).toBe('http://broker:10002/retrieve_from_buffers');
    expect(seen[0]!.init.method).toBe('POST');
    expect(seen[0]!.init.headers).toMatchObject({ 'content-type': 'application/json', 'x-api-key': 'k' });
    expect(JSON.parse(String(seen[0]!.init.body))).toEqual({ pgroup: 'p12345', start_pulseid: 1, stop_pulseid: 2 });
    await client(200, { status: 'ok', runs: [] }, seen).listRuns('p12345', { limit: 5 });
    expect(seen[1]!.url).toBe('http://broker:10002/runs/p12345?limit=5');
  });

  test.for([
    ['a refusal (HTTP 200, status failed)', 200, { status: 'failed', message: 'no pgroup', field: 'pgroup' }, BrokerRefused, /no pgroup/],
    ['a malformed body (400)', 400, { status: 'failed', message: 'request body is not valid JSON' }, BrokerRefused, /not valid JSON/],
    ['the broker in trouble (503)', 503, { status: 'failed', message: 'please retry' }, BrokerUnavailable, /unavailable \(HTTP 503\): please retry/],
    ['a proxy error page (502, HTML)', 502, '<html>Bad Gateway</html>', BrokerUnavailable, /HTTP 502/],
    ['not the broker (HTML 200)', 200, '<html>hello</html>', BrokerProtocolError, /not JSON .*is http:\/\/broker:10002 the broker/],
    ['an unknown path (404)', 404, { status: 'failed', message: 'unknown path /runs/p12345' }, BrokerProtocolError, /recent enough/],
    ['JSON without status', 200, { hello: 1 }, BrokerProtocolError, /without the broker's \{status, message\}/],
  ] as const)('%s', async ([, status, body, kind, message]) => {
    const error = await client(status, body).currentRunNumber('p12345').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(kind);
    expect((error as Error).message).toMatch(message);
  });

  test('a refusal keeps the field and a run number taken', async () => {
    const error = (await client(200, { status: 'failed', message: 'x', field: 'detectors.JF01T03V01', run_number: 4 }).advanceRunNumber('p12345').catch((e: unknown) => e)) as BrokerRefused;
    expect([error.field, error.runNumber]).toEqual(['detectors.JF01T03V01', 4]);
  });

  test('network failures and timeouts are BrokerUnavailable naming the reason', async () => {
    const refused = new BrokerClient({ broker: 'http://b', fetch: (async () => { throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }); }) as typeof fetch });
    await expect(refused.currentRunNumber('p12345')).rejects.toThrow(/cannot reach the broker at http:\/\/b \(ECONNREFUSED\)/);
    const slow = new BrokerClient({ broker: 'http://b', timeoutMs: 1500, fetch: (async () => { throw new DOMException('timed out', 'TimeoutError'); }) as typeof fetch });
    await expect(slow.currentRunNumber('p12345')).rejects.toThrow(/no answer from http:\/\/b within 1.5 s/);
  });

  test('arguments are checked before anything is sent', () => {
    expect(() => new BrokerClient({ broker: 'localhost:10002' })).toThrow(/must start with http/);
    expect(() => new BrokerClient({ broker: 'not a url' })).toThrow(/not a URL/);
    expect(() => client(200, {}).runStatus('p1', 1)).toThrow(/pgroup must be of the form p12345/);
    expect(() => client(200, {}).runStatus('p12345', 0)).toThrow(/positive integer/);
  });
});

describe('pulse clocks', () => {
  test('the default is the broker\'s local helper; "model" is the facility clock model', async () => {
    expect(pulseClock(undefined, 'http://b:1/').origin).toBe('http://b:1/local/current_pulse_id');
    const model = await pulseClock('model', 'http://b').currentPulseId();
    expect(model).toBeGreaterThan(18_940_426_916);
  });

  test('a clock service answering {"pulse_id"}; anything else is a clear error', async () => {
    expect(await new HttpPulseClock('http://c', 1000, fakeFetch(200, '{"pulse_id": 123}')).currentPulseId()).toBe(123);
    await expect(new HttpPulseClock('http://c', 1000, fakeFetch(200, '{"pid": 1}')).currentPulseId()).rejects.toThrow(/without a \{"pulse_id": N\}; set --clock or SFDAQ_CLOCK_URL/);
  });
});
