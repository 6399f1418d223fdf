import '../../lib/runtime/polyfills';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { hasScript, sfdaq, sfdaqInTerminal, waitForOutput } from './cli-run';

/**
 * Every sfdaq command, run as the real binary against the local stack.
 * The tests share one stack and run in order (run numbers build up).
 */
let stack: TestStack;
let dir: string;
let env: Record<string, string>;
const SCAN_STEP = new URL('../fixtures/scan_step.json', import.meta.url).pathname;

const record = async (run: number, raw = stack.raw) => JSON.parse(await readFile(join(raw, '.daq', `run_${String(run).padStart(6, '0')}.json`), 'utf8'));
const current = async () => (await stack.get('/get_current_run_number?pgroup=p12345')).json.run_number as number;
/** A port nothing listens on: one the OS just handed out and took back. */
const closedPort = () => new Promise<number>((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    server.close(() => resolve(port));
  });
});
const runOf = (stdout: string) => Number(/success: run number\(request_id\) is (\d+)/.exec(stdout)?.[1]);

beforeAll(async () => {
  stack = await startTestStack();
  dir = await mkdtemp(join(tmpdir(), 'sfdaq-cli-'));
  env = { SFDAQ_BROKER: stack.url, SFDAQ_API_KEY: '' };
  // daq_client.py's file formats: comments, blank lines, cameras among the channels.
  await writeFile(join(dir, 'channels.txt'), '# BS channels\nSAR-CVME-TIFALL5:EvtSet\n\n  SARFE10-PBPG050:HAMP-INTENSITY-CAL  \n#SAR-CVME-TIFALL4:EvtSet\nSATES21-CAMS154-M1:FPICTURE\n');
  await writeFile(join(dir, 'bs.txt'), 'SAR-CVME-TIFALL5:EvtSet\n');
  await writeFile(join(dir, 'pvs.txt'), '# PVs\nmotor1_PV\nSARFE10-OPSH044:PRESSURE\n');
  await writeFile(join(dir, 'detectors.json'), '{"JF01T03V01": {"compression": true}}');
  await writeFile(join(dir, 'empty.txt'), '# nothing\n');
  await writeFile(join(dir, 'broken.json'), '{"JF01T03V01": ');
});
afterAll(async () => {
  await stack?.destroy();
  await rm(dir, { recursive: true, force: true });
});

describe('sfdaq retrieve, status, runs', () => {
  let run: number;

  test('retrieve: the daq_client.py files become the request; prints the original success line', async () => {
    const now = Number(stack.clock.currentPulseId());
    const [start, stop] = [now - 300, now - 281];
    const out = await sfdaq(['retrieve', '-p', 'p12345', '--start', String(start), '--stop', String(stop), '-c', join(dir, 'channels.txt'),
      '-e', join(dir, 'pvs.txt'), '-f', join(dir, 'detectors.json'), '-r', '1', '-s', SCAN_STEP, '-d', 'cli/retrieve'], { env });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    run = runOf(out.stdout);
    expect(out.stdout.trim()).toBe(`success: run number(request_id) is ${run}`);
    expect(await record(run)).toMatchObject({
      pgroup: 'p12345', beamline: 'alvra', run_number: run, start_pulseid: start, stop_pulseid: stop, rate_multiplicator: 1, directory_name: 'cli/retrieve',
      channels_list: ['SAR-CVME-TIFALL5:EvtSet', 'SARFE10-PBPG050:HAMP-INTENSITY-CAL'],
      camera_list: ['SATES21-CAMS154-M1:FPICTURE'],
      pv_list: ['motor1_PV', 'SARFE10-OPSH044:PRESSURE'],
      detectors: { JF01T03V01: { compression: true } },
      scan_info: JSON.parse(await readFile(SCAN_STEP, 'utf8')),
    });
    expect(JSON.parse(await readFile(join(stack.raw, 'scan_info', 'scan_test.json'), 'utf8')).pulseIds).toEqual([[start, stop]]);
  });

  test.skipIf(!hasScript)('status --wait in a terminal: a progress bar while it retrieves, then every source and its check', async () => {
    const out = await sfdaqInTerminal(['status', '-p', 'p12345', '-n', String(run), '--wait', '--interval', '0.2'], { env });
    expect(out.stdout).toMatch(/\r\[[#-]{20}\] \d\/4 sources {2}run \d+: (accepted|retrieving|done)/);
    expect(out.stdout).toMatch(/\[#{20}\] 4\/4 sources {2}run \d+: done/);
    expect(out.stdout).toMatch(new RegExp(`run ${run} of p12345 \\(alvra\\): done`));
    for (const source of ['BSREAD', 'CAMERAS', 'PVCHANNELS', 'JF01T03V01']) expect(out.stdout).toMatch(new RegExp(`${source} +done +check ok`));
    expect(out.code).toBe(0);
  });

  test('status of a finished run, as text and as JSON; exit code 0 for done', async () => {
    const text = await sfdaq(['status', '-p', 'p12345', '-n', String(run), '--wait'], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`run_${String(run).padStart(6, '0')}.BSREAD.h5`);
    expect(text.stdout).not.toContain('\r'); // no bar off a terminal
    const json = await sfdaq(['status', '-p', 'p12345', '-n', String(run), '--json'], { env });
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'ok', message: 'done', run: { run_number: run, state: 'done' } });
  });

  test('status of a run that does not exist: refused, exit 1', async () => {
    const out = await sfdaq(['status', '-p', 'p12345', '-n', '999'], { env });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/refused: run 999 of pgroup p12345 does not exist \(yet: the pgroup's last run is \d+\)/);
  });

  test('status of a number taken by advance_run_number says so (exit 1)', async () => {
    const taken = Number((await sfdaq(['advance-run', '-p', 'p12345'], { env })).stdout.trim());
    const out = await sfdaq(['status', '-p', 'p12345', '-n', String(taken)], { env });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`run ${taken} of pgroup p12345 was taken by advance_run_number and has no retrieval`);
  });

  test('runs: the pgroup\'s runs as a table', async () => {
    const out = await sfdaq(['runs', '-p', 'p12345'], { env });
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^RUN +STATE +SOURCES +UPDATED +REASON$/);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ *${run} +done +4/4 `)));
    const json = JSON.parse((await sfdaq(['runs', '-p', 'p12345', '--limit', '1', '--json'], { env })).stdout);
    expect(json.runs).toHaveLength(1);
  });
});

describe('sfdaq run', () => {
  test.skipIf(!hasScript)('in a terminal: the original progress bar, then the request for exactly --pulses at the rate', async () => {
    const before = await current();
    const out = await sfdaqInTerminal(['run', '-p', 'p12345', '--pulses', '50', '-r', '2', '-c', join(dir, 'bs.txt')], { env });
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`\\r\\[#*-+\\] \\d+% Run: ${before + 1}`));
    expect(out.stdout).toContain(`[####################] 100% Run: ${before + 1}`);
    const run = runOf(out.stdout);
    expect(run).toBe(before + 1);
    const rec = await record(run);
    expect(rec.stop_pulseid - rec.start_pulseid + 1).toBe(100); // 50 pulses at 50 Hz
    expect(rec.rate_multiplicator).toBe(2);
  });

  test.skipIf(!hasScript)('Ctrl-C in a terminal offers to save the pulses taken so far; "s" saves them as a run', async () => {
    const before = await current();
    const out = await sfdaqInTerminal(['run', '-p', 'p12345', '--pulses', '6000', '-c', join(dir, 'bs.txt')], {
      env,
      onStart: (child, output) => {
        void (async () => {
          await waitForOutput(output, /\[#*-+\] \d+% Run/);
          await new Promise((r) => setTimeout(r, 300));
          child.stdin!.write('\x03');
          await waitForOutput(output, /\[s\]-save them into a run/);
          child.stdin!.write('s\n');
        })();
      },
    });
    expect(out.stdout).toMatch(/You pressed Ctrl\+C!/);
    expect(out.code).toBe(0);
    const run = runOf(out.stdout);
    expect(run).toBe(before + 1);
    const rec = await record(run);
    const taken = rec.stop_pulseid - rec.start_pulseid + 1;
    expect(taken).toBeGreaterThan(0);
    expect(taken).toBeLessThan(6000);
  });

  test('Ctrl-C without a terminal and --on-interrupt discard: nothing sent, exit 130, no run number used', async () => {
    const before = await current();
    const out = await sfdaq(['run', '-p', 'p12345', '--pulses', '6000', '-c', join(dir, 'bs.txt'), '--on-interrupt', 'discard'], {
      env,
      onStart: (child, output) => void waitForOutput(output, /taking 6000 pulses/).then(() => setTimeout(() => child.kill('SIGINT'), 300)),
    });
    expect(out.code).toBe(130);
    expect(out.stderr).toMatch(/discarded pulse ids \d+-\d+; nothing was sent/);
    expect(await current()).toBe(before);
  });
});

describe('run numbers and closing', () => {
  test('current-run and advance-run print the number', async () => {
    const now = await sfdaq(['current-run', '-p', 'p12345'], { env });
    expect(now.code).toBe(0);
    const n = Number(now.stdout.trim());
    expect(n).toBe(await current());
    const next = await sfdaq(['advance-run', '-p', 'p12345'], { env });
    expect(next.stdout.trim()).toBe(String(n + 1));
    expect((await sfdaq(['current-run', '-p', 'p12345', '--json'], { env })).stdout).toContain(`"run_number":${n + 1}`);
  });

  test('another beamline\'s pgroup is refused (exit 1); with that beamline\'s key it is reachable', async () => {
    const refused = await sfdaq(['current-run', '-p', 'p23456'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused: pgroup p23456 does not exist at beamline alvra/);
    const keyed = await sfdaq(['current-run', '-p', 'p23456', '--api-key', 'bernina-demo-key'], { env });
    expect(keyed.code).toBe(0);
  });

  test('close asks for --yes without a terminal, then closes for good; later requests are refused', async () => {
    // A pgroup of its own (the facility creates pgroups; here the test plays the facility).
    await mkdir(join(stack.dataRoot, 'alvra/data/p11111/raw'), { recursive: true });
    const unconfirmed = await sfdaq(['close', '-p', 'p11111'], { env });
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/cannot be undone: add --yes/);
    const closed = await sfdaq(['close', '-p', 'p11111', '--yes'], { env });
    expect(closed.code).toBe(0);
    expect(closed.stdout).toMatch(/closed for writing/);
    const after = await sfdaq(['retrieve', '-p', 'p11111', '--start', '1', '--stop', '2', '-c', join(dir, 'bs.txt')], { env });
    expect(after.code).toBe(1);
    expect(after.stderr).toMatch(/closed for writing/);
  });
});

test.skipIf(!hasScript)('close in a terminal asks to type the pgroup; anything else leaves it open', async () => {
  await mkdir(join(stack.dataRoot, 'alvra/data/p22222/raw'), { recursive: true });
  const typeAnswer = (answer: string) => (child: ChildProcess, output: () => string) =>
    void waitForOutput(output, /type p22222 to confirm: /).then(() => child.stdin!.write(answer));
  const kept = await sfdaqInTerminal(['close', '-p', 'p22222'], { env, onStart: typeAnswer('no\n') });
  expect(kept.code).toBe(7); // not confirmed: its own code, not Ctrl-C's 130
  expect(kept.stdout).toMatch(/not closed: p22222 was not typed/);
  const closed = await sfdaqInTerminal(['close', '-p', 'p22222'], { env, onStart: typeAnswer('p22222\n') });
  expect(closed.code).toBe(0);
  expect(closed.stdout).toMatch(/pgroup p22222 is closed for writing/);
});

describe.concurrent('errors: clear messages, exit codes scripts can test', () => {
  test.for([
    ['no command', [], 2, /usage: sfdaq <command>/],
    ['unknown command', ['frobnicate'], 2, /unknown command "frobnicate"/],
    ['missing pgroup', ['current-run'], 2, /current-run needs --pgroup/],
    ['bad pgroup', ['current-run', '-p', '12345'], 2, /--pgroup must be of the form p12345/],
    ['option of another command', ['current-run', '-p', 'p12345', '--pulses', '5'], 2, /current-run does not take --pulses/],
    ['missing file', ['retrieve', '-p', 'p12345', '--start', '1', '--stop', '2', '-c', '/nonexistent/ch.txt'], 2, /cannot read the channels file \/nonexistent\/ch.txt: it does not exist/],
    ['broken JSON', ['retrieve', '-p', 'p12345', '--start', '1', '--stop', '2', '-f', '__DIR__/broken.json'], 2, /detectors file .* is not valid JSON/],
    ['nothing to retrieve', ['retrieve', '-p', 'p12345', '--start', '1', '--stop', '2', '-c', '__DIR__/empty.txt'], 2, /nothing to retrieve/],
    ['bad rate', ['run', '-p', 'p12345', '--pulses', '5', '-r', '3', '-c', '__DIR__/bs.txt'], 2, /--rate must be one of 1, 2, 4, 8, 10, 20, 40, 50, 100/],
    ['too many pulses', ['run', '-p', 'p12345', '--pulses', '40000', '-r', '2', '-c', '__DIR__/bs.txt'], 2, /at most 60001/],
    ['stop before start', ['retrieve', '-p', 'p12345', '--start', '5', '--stop', '2', '-c', '__DIR__/bs.txt'], 2, /--stop 2 is before --start 5/],
    ['refused by the broker', ['retrieve', '-p', 'p12345', '--start', '1', '--stop', '99999', '-c', '__DIR__/bs.txt'], 1, /refused: requested number of pulses 99999 too large/],
  ] as const)('%s', async ([, args, code, message]) => {
    const out = await sfdaq(args.map((a) => a.replace('__DIR__', dir)), { env });
    expect(out.code).toBe(code);
    expect(out.stderr + out.stdout).toMatch(message);
  });

  test('an unreachable broker: exit 3, naming the address and the reason; --json gives a JSON error', async () => {
    const port = await closedPort();
    const out = await sfdaq(['current-run', '-p', 'p12345', '--broker', `http://127.0.0.1:${port}`, '--json'], { env });
    expect(out.code).toBe(3);
    expect(out.stderr).toContain(`cannot reach the broker at http://127.0.0.1:${port} (ECONNREFUSED)`);
    expect(JSON.parse(out.stdout)).toMatchObject({ status: 'failed', exit_code: 3 });
  });

  test('something that is not the broker: exit 3', async () => {
    const out = await sfdaq(['current-run', '-p', 'p12345', '--broker', `${stack.endpoints.s3}`], { env });
    expect(out.code).toBe(3);
    expect(out.stderr).toMatch(/is .* the broker/);
  });
});
