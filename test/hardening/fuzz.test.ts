/**
 * Fuzzing the HTTP API of the running local stack (fast-check): at least
 * 10,000 generated bodies (SFDAQ_SOAK=1: 100,000) - wrong types, huge
 * arrays, deep nesting, `__proto__` / `constructor` keys, odd Unicode, NUL
 * bytes, path tricks in directory_name, scan_info.scan_name and detector
 * names - plus malformed JSON, odd headers and oversized bodies, against
 * every endpoint. Properties: no HTTP 5xx, the broker keeps answering, no
 * file created outside a pgroup's raw/, no prototype pollution, every
 * refusal carries a message, every accepted run's files lie inside raw/.
 */
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { Client, type Reply } from './support/http';
import { changes, snapshot, type Entry } from './support/tree';
import { readdir } from 'node:fs/promises';


const SOAK = process.env.SFDAQ_SOAK === '1';
const SCALE = SOAK ? 10 : 1;
const SEED = Number(process.env.SFDAQ_SEED ?? Date.now() % 1_000_000);

let stack: TestStack;
let client: Client;
let root: string;
const OPEN = 'p12345';
const CLOSED = 'p30000';
const figures = { bodies: 0, accepted: 0, refused: 0, byStatus: new Map<number, number>() };
let before: { tree: Map<string, Entry>; tmp: string[]; cwd: string[]; proto: Record<string, string[]> };

/** Own property names of the prototypes a pollution would touch. */
function prototypes(): Record<string, string[]> {
  return Object.fromEntries([['Object', Object.prototype], ['Array', Array.prototype], ['Function', Function.prototype], ['String', String.prototype]].map(([n, p]) => [n, Object.getOwnPropertyNames(p).sort()])) as Record<string, string[]>;
}
/** Changes below the stack's root that are not inside a pgroup's raw/ or the emulators' state. */
const skip = (rel: string) => rel === 'state' || rel.startsWith('state/') || /^data\/[^/]+\/data\/p\d{5}\/raw(\/|$)/.test(rel);

beforeAll(async () => {
  stack = await startTestStack();
  root = dirname(stack.dataRoot);
  client = new Client(stack.url, { maxSockets: 16 });
  await mkdir(join(stack.dataRoot, 'alvra/data', CLOSED, 'raw'), { recursive: true });
  expect((await client.post('/close_pgroup_writing', { pgroup: CLOSED })).json!.status).toBe('ok');
  before = { tree: await snapshot(root, skip), tmp: await readdir(tmpdir()), cwd: await readdir(process.cwd()), proto: prototypes() };
});
afterAll(async () => {
  client?.close();
  await stack?.destroy();
});

/** The properties every answer must have. */
function checkAnswer(what: string, body: string | Buffer | undefined, r: Reply): void {
  figures.bodies++;
  figures.byStatus.set(r.status, (figures.byStatus.get(r.status) ?? 0) + 1);
  const shown = typeof body === 'string' ? body.slice(0, 300) : `<${body?.length ?? 0} bytes>`;
  if (r.status >= 500) throw new Error(`${what}: HTTP ${r.status} ${r.text.slice(0, 300)} for ${shown}`);
  if (!r.json) throw new Error(`${what}: answer is not JSON (${r.status} ${r.text.slice(0, 200)}) for ${shown}`);
  if (r.json.service === 'sfdaq-broker' && Array.isArray(r.json.endpoints)) return; // GET /: the index of endpoints
  // API Gateway's own refusals (a body over its or Lambda's limit, a request line or headers over 10,240 bytes)
  // never reach a function: they carry only its `message`, as on AWS.
  if ((r.status === 413 || r.status === 431) && Object.keys(r.json).join() === 'message' && typeof r.json.message === 'string') {
    figures.refused++;
    return;
  }
  if (r.json.status === 'ok') {
    figures.accepted++;
    for (const file of (r.json.files as string[] | undefined) ?? []) {
      if (!/^.+\/data\/(alvra|bernina)\/data\/p\d{5}\/raw\//.test(file) || file.includes('/../') || file.includes('/./')) throw new Error(`${what}: file ${file} is outside a raw/ for ${shown}`);
    }
  } else {
    figures.refused++;
    if (r.json.status !== 'failed' || typeof r.json.message !== 'string' || r.json.message.length === 0) {
      throw new Error(`${what}: refusal without a message (${r.status} ${r.text.slice(0, 200)}) for ${shown}`);
    }
  }
}

// ---- generators ----

/** Percent-encode the UTF-8 bytes of any string (encodeURIComponent throws on a lone surrogate). */
const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
const FUZZ = 'FUZZ'; // in every generated path part: any file or directory with it outside raw/ is found by name
const unicodeOdd = fc.constantFrom('\u0000', '\u0001', '\u001f', '\u007f', '\u200b', '\u202e', '\ufeff', '\uffff', '\ud800', '\udfff', '\u2028', '\u0085', '．', '／', '∕', '⁄', '＼', '\u0301', '😀', 'ß', 'İ', '\\', '%2e%2e', '%2f', '%00', '..', '.', '/', '~', '$HOME', '`id`', '${x}', '*', '?', ':', '\n', '\r\n', '\t');
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.array(fc.oneof(unicodeOdd, fc.constant(FUZZ), fc.string({ maxLength: 4 })), { maxLength: 12 }).map((p) => p.join('')),
  fc.integer({ min: 0, max: 400 }).map((n) => `${FUZZ}${'é'.repeat(n)}`), // long in bytes, short in characters
  fc.constantFrom('', ' ', '-', 'null', 'undefined', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'),
);
const pathTrick = fc.array(
  fc.oneof(
    fc.constantFrom('..', '.', '', '...', '.daq', 'scan_info', '..\u0000', '.. ', ' ..', '..\\..', '%2e%2e', '．．', '..∕..', '\u202e..', `${FUZZ}`, `.${FUZZ}`, '~', '/', '//', '/tmp', '/etc/passwd', 'C:', 'con', 'a'.repeat(256)),
    hostileString.map((s) => `${FUZZ}${s}`),
  ),
  { minLength: 1, maxLength: 8 },
).chain((parts) => fc.constantFrom('/', '\\', '//', '/./').map((sep) => parts.join(sep)));
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, -1, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 0.5, 9007199254740991), fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String));
const nested = (depth: number): fc.Arbitrary<unknown> =>
  fc.integer({ min: 1, max: depth }).map((d) => {
    let v: unknown = FUZZ;
    for (let i = 0; i < d; i++) v = i % 2 ? [v] : { [FUZZ]: v };
    return v;
  });
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  { weight: 2, arbitrary: number },
  fc.boolean(), fc.constant(null),
  fc.array(hostileString, { maxLength: 5 }),
  fc.array(number, { maxLength: 5 }),
  fc.integer({ min: 2_000, max: 20_000 }).map((n) => Array.from({ length: n }, (_, i) => `${FUZZ}-${i}`)), // huge array
  nested(40), // beyond the depth limit and below it
  fc.dictionary(hostileString, hostileString, { maxKeys: 5 }),
  fc.jsonValue({ maxDepth: 3 }),
);
const detectorName = fc.oneof(fc.constantFrom('JF01T03V01', 'JF07T01V01', 'JF01T03V01/../x', '../JF01T03V01', 'JF01T03V01\u0000', 'jf01t03v01', 'JF01T03V01 ', '__proto__', 'constructor', 'JF99T99V99'), hostileString);
const detectors = fc.oneof(
  fc.dictionary(detectorName, fc.oneof(fc.constant({}), fc.record({ compression: fc.oneof(fc.boolean(), anyValue) }, { requiredKeys: [] }), fc.record({ disabled_modules: fc.oneof(fc.array(fc.integer({ min: -2, max: 120 }), { maxLength: 5 }), anyValue) }, { requiredKeys: [] }), fc.record({ selected_pulse_ids: fc.oneof(fc.array(number, { maxLength: 5 }), anyValue) }, { requiredKeys: [] }), anyValue), { maxKeys: 3 }),
  anyValue,
);
const scanInfo = fc.oneof(
  fc.record({ scan_name: fc.oneof(pathTrick, hostileString, anyValue), motors_value: anyValue }, { requiredKeys: ['scan_name'] }),
  anyValue,
);
/** Hostile top-level keys, including the prototype's names. */
const oddKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__', 'then'), hostileString);

/** A valid request with some fields replaced by hostile values: goes deep into the accept path. */
const nearValid = fc.record({
  pgroup: fc.oneof({ weight: 6, arbitrary: fc.constant(CLOSED) }, { weight: 3, arbitrary: fc.constant(OPEN) }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('p23456', 'p99999', 'p1234', 'P12345', 'p12345 ', 'p12345/..', '../p12345'), anyValue) }),
  overrides: fc.array(fc.oneof(
    fc.tuple(fc.constant('directory_name'), fc.oneof({ weight: 4, arbitrary: pathTrick }, { weight: 1, arbitrary: anyValue })),
    fc.tuple(fc.constant('scan_info'), scanInfo),
    fc.tuple(fc.constant('detectors'), detectors),
    fc.tuple(fc.constantFrom('channels_list', 'camera_list', 'pv_list'), fc.oneof(fc.array(hostileString, { maxLength: 4 }).map((l) => l.map((c) => `${c}:FPICTURE`)), fc.array(hostileString, { maxLength: 4 }), anyValue)),
    fc.tuple(fc.constantFrom('start_pulseid', 'stop_pulseid', 'rate_multiplicator'), fc.oneof(number, anyValue)),
    fc.tuple(oddKey, anyValue),
  ), { maxLength: 4 }),
}).map(({ pgroup, overrides }) => {
  // Pulses long gone: an accepted run fails fast in the workflow, the accept path is what is fuzzed.
  const body: Record<string, unknown> = { pgroup, start_pulseid: 11_884_948_775, stop_pulseid: 11_884_948_874, channels_list: [`${FUZZ}:NO-SUCH-CHANNEL`] };
  // defineProperty: "__proto__" becomes an own key, as JSON.parse makes it, instead of setting the prototype.
  for (const [k, v] of overrides) Object.defineProperty(body, k, { value: v, enumerable: true, configurable: true, writable: true });
  return JSON.stringify(body) ?? 'null';
});

/** Whole bodies of any JSON shape. */
const anyJson = fc.oneof(fc.json({ maxDepth: 6 }), anyValue.map((v) => JSON.stringify(v) ?? 'null'), fc.dictionary(oddKey, anyValue, { maxKeys: 70 }).map((d) => JSON.stringify(d)));

/** Texts that are not (quite) JSON. */
const malformed = fc.oneof(
  nearValid.chain((s) => fc.integer({ min: 0, max: Math.max(0, s.length - 1) }).map((n) => s.slice(0, n))), // cut short
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.constantFrom(
    '', ' ', 'null', 'true', '0', '"x"', '[]', '{}', '{"pgroup": "p12345",}', '{pgroup: "p12345"}', "{'pgroup': 'p12345'}", '{"pgroup": NaN}', '{"start_pulseid": Infinity}',
    '\ufeff{"pgroup":"p12345"}', '{"pgroup":"p12345"} trailing', '{"a":1}{"b":2}', '{"__proto__": {"polluted": 1}}', '{"constructor": {"prototype": {"polluted": 1}}}',
    '{"pgroup":"p12345","pgroup":"p23456","start_pulseid":1,"stop_pulseid":2,"channels_list":["x"]}', '{"start_pulseid": 1e400}', '{"start_pulseid": -0}', '/* c */ {}',
    '[' .repeat(100_000) + ']'.repeat(100_000), '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000), '"' + '\\'.repeat(10_001) + '"',
  ),
);

const headerSets = fc.oneof(
  { weight: 8, arbitrary: fc.constant({}) },
  fc.record({ 'content-type': fc.constantFrom('text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'application/json-patch+json', 'APPLICATION/JSON', '', 'application/json;', 'multipart/form-data; boundary=x') }),
  fc.record({ 'x-api-key': fc.oneof(fc.constantFrom('bernina-demo-key', 'alvra-demo-key', 'x', ' alvra-demo-key', 'alvra-demo-key,bernina-demo-key'), fc.string({ maxLength: 40 }).filter((s) => /^[\x21-\x7e]*$/.test(s))) }),
  fc.record({ 'idempotency-key': fc.string({ maxLength: 300 }).filter((s) => /^[\x20-\x7e]*$/.test(s)) }),
  fc.record({ 'x-forwarded-for': fc.constantFrom('129.129.243.10', '127.0.0.1', 'garbage', '::1, 10.0.0.1') }),
);

async function fuzz(name: string, arbitrary: fc.Arbitrary<string>, runs: number, send: (body: string, headers: Record<string, string>) => Promise<Reply>): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arbitrary, headerSets, async (body, headers) => {
      checkAnswer(name, body, await send(body, headers));
    }),
    { numRuns: runs * SCALE, seed: SEED, endOnFailure: false },
  );
}

describe(`fuzzing the HTTP API (seed ${SEED})`, () => {
  test('POST /retrieve_from_buffers: near-valid bodies with hostile fields', async () => {
    await fuzz('retrieve/near-valid', nearValid, 6_000, (b, h) => client.send('POST', '/retrieve_from_buffers', b, h));
  }, 600_000);

  test('POST /retrieve_from_buffers: any JSON', async () => {
    await fuzz('retrieve/any-json', anyJson, 2_500, (b, h) => client.send('POST', '/retrieve_from_buffers', b, h));
  }, 600_000);

  test('POST /retrieve_from_buffers: malformed JSON', async () => {
    await fuzz('retrieve/malformed', malformed, 1_000, (b, h) => client.send('POST', '/retrieve_from_buffers', b, h));
  }, 600_000);

  test('the other endpoints: advance (never the open pgroup), close (never the open pgroup), current, runs', async () => {
    const notOpen = fc.oneof(anyJson, nearValid).filter((b) => !b.includes(OPEN));
    await fuzz('advance', notOpen, 150, (b, h) => client.send('POST', '/advance_run_number', b, h));
    await fuzz('close', notOpen, 150, (b, h) => client.send('POST', '/close_pgroup_writing', b, h));
    const segment = fc.oneof(hostileString, pathTrick, fc.constantFrom(OPEN, CLOSED, 'p23456', '1', '0', '999999999', '-1', '1e3'));
    await fuzz('current', segment, 150, (s, h) => client.send('GET', `/get_current_run_number?pgroup=${pct(s)}&pgroup2=${pct(s)}`, undefined, h));
    await fuzz('current/body', anyJson, 100, (b, h) => client.send('GET', '/get_current_run_number', b, h));
    await fuzz('runs', fc.tuple(segment, segment).map(([a, b]) => `${pct(a)}/${pct(b)}`), 150, (p, h) => client.send('GET', `/runs/${p}`, undefined, h));
    await fuzz('paths', segment, 100, (s, h) => client.send(['GET', 'POST', 'PUT', 'DELETE'][s.length % 4]!, `/${pct(s)}`, s.length % 2 ? '{}' : undefined, h));
  }, 600_000);

  test('oversized bodies: 413 with a message, below and above the gateway\'s own limit', async () => {
    for (const bytes of [1_048_577, 2_000_000]) {
      const body = JSON.stringify({ pgroup: OPEN, start_pulseid: 1, stop_pulseid: 2, channels_list: ['x'], pad: 'x'.repeat(bytes) });
      const r = await client.send('POST', '/retrieve_from_buffers', body);
      checkAnswer(`oversized ${bytes}`, undefined, r);
      expect(r.status).toBe(413);
    }
    // Above Lambda's 6 MB request limit the function never sees the body: API Gateway answers for it, in its own words.
    const gateway = { status: 413, json: { message: 'Request Entity Too Large' } };
    const over = await client.send('POST', '/retrieve_from_buffers', JSON.stringify({ pgroup: OPEN, pad: 'x'.repeat(9_000_000) }));
    expect({ status: over.status, json: over.json }).toEqual(gateway);
    // Beyond 10 MB the gateway answers 413 before reading it all; the client may see the connection end instead.
    const huge = Buffer.alloc(12 * 1024 * 1024, 0x20);
    const r = await new Client(stack.url).send('POST', '/retrieve_from_buffers', huge).catch((e: Error) => e);
    if (!(r instanceof Error)) expect({ status: r.status, json: r.json }).toEqual(gateway);
  }, 120_000);

  test('afterwards: the broker answers, nothing outside raw/ changed, no prototype polluted', async () => {
    await stack.sfn.idle();
    expect((await client.get(`/get_current_run_number?pgroup=${OPEN}`)).json!.status).toBe('ok');
    expect(changes(before.tree, await snapshot(root, skip))).toEqual([]);
    const byName = (names: string[]) => names.filter((n) => n.toUpperCase().includes(FUZZ));
    expect(byName(await readdir(tmpdir()))).toEqual([]);
    expect(byName(await readdir(process.cwd()))).toEqual([]);
    expect(await readdir(process.cwd())).toEqual(expect.arrayContaining(before.cwd));
    expect(prototypes()).toEqual(before.proto);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Accepted runs' outputs stay in their raw/ (directory_name tricks included).
    const raws = (await snapshot(stack.dataRoot)).keys();
    for (const rel of raws) expect(rel, rel).toMatch(/^[^/]+(\/data(\/p\d{5}(\/raw(\/.*)?)?)?)?$/s);
    console.log(`[fuzz] seed ${SEED}: ${figures.bodies} bodies sent (${figures.accepted} accepted, ${figures.refused} refused); HTTP statuses ${JSON.stringify(Object.fromEntries([...figures.byStatus].sort()))}`);
  }, 120_000);
});
