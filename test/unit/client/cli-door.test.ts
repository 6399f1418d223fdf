import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startCli, type CliOptions } from '../../helpers/cli';
import { EXIT } from '../../../cli/exit-codes';

/**
 * The CLI's frictions, in process against a small fake broker: Ctrl-C as a
 * key on a terminal (raw mode, one key to answer), the same Ctrl-C delivered
 * twice (npx), close's own exit code, the Idempotency-Key, status of a
 * number taken by advance_run_number, the channels and pvs commands.
 */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
let server: Server;
let broker: string;
let dir: string;
const seen: Seen[] = [];
let answers: Record<string, (req: Seen) => [number, unknown]> = {};

beforeAll(async () => {
  server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const entry = { method: req.method!, url: req.url!, headers: req.headers, body };
    seen.push(entry);
    const path = req.url!.split('?')[0]!;
    const [status, json] = answers[`${req.method} ${path}`]?.(entry) ?? [404, { status: 'failed', message: `unknown path ${path}` }];
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  broker = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'sfdaq-door-'));
  await writeFile(join(dir, 'bs.txt'), 'SAR-CVME-TIFALL5:EvtSet\n');
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  seen.length = 0;
  answers = {
    'GET /get_current_run_number': () => [200, { status: 'ok', message: '6', run_number: 6 }],
    'POST /retrieve_from_buffers': () => [200, { status: 'ok', message: '7', run_number: 7, files: [] }],
  };
});

/** A terminal's stdin: raw mode recorded, keys typed with type(). */
function terminal() {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, modes: [] as boolean[], setRawMode(mode: boolean) { this.modes.push(mode); return this; } });
  return { stdin, type: (keys: string) => stdin.write(keys) };
}

const cli = (argv: string[], options: Omit<CliOptions, 'env'> = {}) => startCli(argv, { ...options, env: { SFDAQ_BROKER: broker } });

const until = async (check: () => boolean, ms = 10_000, show: () => string = () => '') => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting; output: ${show()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

const run = ['run', '-p', 'p12345', '--pulses', '3000', '--clock', 'model', '-c'];
/** Some pulses must have been taken before Ctrl-C (else there is nothing to ask about). */
const taking = async (session: { err: () => string }) => {
  await until(() => /taking 3000 pulses/.test(session.err()));
  await new Promise((r) => setTimeout(r, 100));
};

describe('sfdaq run: Ctrl-C on a terminal is a key (raw mode), the answer one key', () => {
  test('Ctrl-C then "s": the pulses taken are sent (with an Idempotency-Key), exit 0; the terminal is back in cooked mode', async () => {
    const { stdin, type } = terminal();
    const session = cli([...run, join(dir, 'bs.txt')], { stdin });
    await taking(session);
    type('\x03');
    await until(() => /\[s\]-save them into a run; any other key - discard : $/.test(session.err()));
    type('s');
    expect(await session.done).toBe(EXIT.ok);
    expect(session.out()).toBe('success: run number(request_id) is 7\n');
    expect(session.err()).toMatch(/You pressed Ctrl\+C!\n.*\n\[s\]-save them into a run; any other key - discard : s\n/);
    const sent = seen.find((s) => s.url === '/retrieve_from_buffers')!;
    expect(sent.headers['idempotency-key']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const body = JSON.parse(sent.body);
    expect(body.stop_pulseid - body.start_pulseid).toBeLessThan(2999);
    expect(stdin.modes).toEqual([true, false]);
    expect(stdin.isPaused()).toBe(true); // else stdin would keep the process alive
  });

  test('Ctrl-C then any other key (or Ctrl-C again): discarded, nothing sent, exit 130', async () => {
    for (const key of ['x', '\x03']) {
      const { stdin, type } = terminal();
      const session = cli([...run, join(dir, 'bs.txt')], { stdin });
      await taking(session);
      type('\x03');
      await until(() => /discard : $/.test(session.err()));
      type(key);
      expect(await session.done).toBe(EXIT.interrupted);
      expect(session.err()).toMatch(/discarded pulse ids \d+-\d+; nothing was sent/);
      expect(stdin.modes).toEqual([true, false]);
    }
    expect(seen.some((s) => s.url === '/retrieve_from_buffers')).toBe(false);
  });

  test('the same Ctrl-C delivered twice (npx forwards SIGINT) counts once: saved and sent, exit 0', async () => {
    let interrupt: () => void = () => undefined;
    const session = cli([...run, join(dir, 'bs.txt'), '--on-interrupt', 'save'], { onInterrupt: (h) => (interrupt = h) });
    await taking(session);
    interrupt();
    interrupt();
    expect(await session.done).toBe(EXIT.ok);
    expect(session.out()).toBe('success: run number(request_id) is 7\n');
  });
});

describe('sfdaq close', () => {
  test('a mistyped confirmation: exit 7 (not confirmed), nothing sent', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const session = cli(['close', '-p', 'p12345'], { stdin });
    await until(() => /type p12345 to confirm: $/.test(session.err()));
    stdin.write('p1234\n');
    expect(await session.done).toBe(EXIT.notConfirmed);
    expect(EXIT.notConfirmed).toBe(7);
    expect(session.err()).toMatch(/not closed: p12345 was not typed/);
    expect(seen).toEqual([]);
  });
});

describe('sfdaq status of a number without a run', () => {
  test('taken by advance_run_number: said so, exit 1; not taken yet: the last run named', async () => {
    answers['GET /runs/p12345/6'] = () => [200, { status: 'failed', message: 'run 6 of pgroup p12345 does not exist', field: 'run_number' }];
    answers['GET /runs/p12345/9'] = () => [200, { status: 'failed', message: 'run 9 of pgroup p12345 does not exist', field: 'run_number' }];
    const taken = cli(['status', '-p', 'p12345', '-n', '6']);
    expect(await taken.done).toBe(EXIT.refused);
    expect(taken.err()).toBe("sfdaq: run 6 of pgroup p12345 was taken by advance_run_number and has no retrieval (the pgroup's last run is 6)\n");
    const future = cli(['status', '-p', 'p12345', '-n', '9', '--json']);
    expect(await future.done).toBe(EXIT.refused);
    expect(JSON.parse(future.out())).toMatchObject({ status: 'failed', field: 'run_number', message: "the broker refused: run 9 of pgroup p12345 does not exist (yet: the pgroup's last run is 6)" });
  });
});

describe('sfdaq channels / pvs', () => {
  const reply = {
    status: 'ok', message: '2 names match "tifall"', total: 2, truncated: false, unavailable: [],
    channels: [{ name: 'SAR-CVME-TIFALL4:EvtSet', kind: 'bs', backend: 'sf-databuffer' }, { name: 'SAR-CVME-TIFALL5:EvtSet', kind: 'bs', backend: 'sf-databuffer' }],
  };

  test('names one per line on stdout (a channels file as is), the message on stderr', async () => {
    answers['GET /channels'] = () => [200, reply];
    const session = cli(['channels', 'tifall', '--limit', '20']);
    expect(await session.done).toBe(EXIT.ok);
    expect(session.out()).toBe('SAR-CVME-TIFALL4:EvtSet\nSAR-CVME-TIFALL5:EvtSet\n');
    expect(session.err()).toBe('2 names match "tifall"\n');
    expect(seen[0]!.url).toBe('/channels?search=tifall&kind=bs%2Ccamera&limit=20');
  });

  test('pvs asks for PVs; nothing searchable: exit 3', async () => {
    answers['GET /channels'] = () => [200, { status: 'ok', message: '0 names match "*"; not searched: archiver (down)', channels: [], unavailable: [{ kind: 'pv', backend: 'archiver', buffer: 'archiver', why: 'down' }] }];
    const session = cli(['pvs', '*']);
    expect(await session.done).toBe(EXIT.unavailable);
    expect(seen[0]!.url).toBe('/channels?search=*&kind=pv');
  });

  test('a pattern is needed', async () => {
    const session = cli(['channels']);
    expect(await session.done).toBe(EXIT.usage);
    expect(session.err()).toMatch(/channels needs PATTERN/);
  });
});
