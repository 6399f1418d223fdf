import '../../lib/runtime/polyfills';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { sfdaq } from './cli-run';

/**
 * The compatibility proof of issue 5, item 4: a Python 3 client written the
 * way the facility's clients are (requests.post(..., json=parameters,
 * timeout=10), r.json()["status"], message read as the run number), against
 * the local stack; and sfdaq, fed the same files, writes the same bookkeeping.
 */
const python = '/usr/bin/python3';
const hasRequests = spawnSync(python, ['-c', 'import requests']).status === 0;
const SCRIPT = new URL('../python/original_client.py', import.meta.url).pathname;
const SCAN_STEP = new URL('../fixtures/scan_step.json', import.meta.url).pathname;

let stack: TestStack;
let dir: string;
beforeAll(async () => {
  stack = await startTestStack();
  dir = await mkdtemp(join(tmpdir(), 'sfdaq-compat-'));
  await writeFile(join(dir, 'channel_list'), '# from the seed\nSAR-CVME-TIFALL5:EvtSet\nSAR-CVME-TIFALL4:EvtSet\n\nSARES11-SPEC125-M1:FPICTURE\n');
  await writeFile(join(dir, 'pv_list'), 'SARFE10-OPSH044:PRESSURE\n');
  await writeFile(join(dir, 'jf_jf01.json'), '{"JF01T03V01": {}}\n');
});
afterAll(async () => {
  await stack?.destroy();
  await rm(dir, { recursive: true, force: true });
});

// async: the broker runs in this very process and must keep answering while Python waits.
const py = async (args: string[]) => (await promisify(execFile)(python, [SCRIPT, '--broker', stack.url, ...args], { encoding: 'utf8' })).stdout;
const record = async (run: number) => readFile(join(stack.raw, '.daq', `run_${String(run).padStart(6, '0')}.json`), 'utf8');

test.skipIf(!hasRequests)('the original client and sfdaq, given the same files, write the same bookkeeping', async () => {
  const args = ['-p', 'p12345', '-c', join(dir, 'channel_list'), '-e', join(dir, 'pv_list'), '-f', join(dir, 'jf_jf01.json'), '-s', SCAN_STEP, '-r', '1', '-d', 'compat'];
  const range = ['11884948775', '11884949774'];
  const original = await py([...args, '--start_pulseid', range[0]!, '--stop_pulseid', range[1]!]);
  const first = Number(/^success: run number\(request_id\) is (\d+)$/m.exec(original)?.[1]);
  expect(first).toBeGreaterThan(0);

  // sfdaq takes daq_client.py's own option spellings too.
  const ours = await sfdaq(['retrieve', ...args, '--start_pulseid', range[0]!, '--stop_pulseid', range[1]!], { env: { SFDAQ_BROKER: stack.url } });
  expect(ours.stdout.trim()).toBe(`success: run number(request_id) is ${first + 1}`);

  // The same text, key for key, but for the run number and the request time.
  const normalise = (text: string) => text.replace(/"run_number": \d+/, '"run_number": N').replace(/"request_time": "[^"]+"/, '"request_time": T');
  const [a, b] = [await record(first), await record(first + 1)];
  expect(normalise(b)).toBe(normalise(a));
  expect(JSON.parse(a)).toMatchObject({ channels_list: ['SAR-CVME-TIFALL5:EvtSet', 'SAR-CVME-TIFALL4:EvtSet'], camera_list: ['SARES11-SPEC125-M1:FPICTURE'], pv_list: ['SARFE10-OPSH044:PRESSURE'] });
});

test.skipIf(!hasRequests)('run numbers and refusals read the way the original clients read them', async () => {
  const current = Number(/^run number is (\d+)$/m.exec(await py(['-p', 'p12345', '--action', 'current']))?.[1]);
  expect(current).toBe((await stack.get('/get_current_run_number?pgroup=p12345')).json.run_number);
  expect(await py(['-p', 'p12345', '--action', 'advance'])).toBe(`run number is ${current + 1}\n`);
  const refused = await py(['-p', 'p23456', '-c', join(dir, 'channel_list'), '--start_pulseid', '1', '--stop_pulseid', '2']);
  expect(refused).toMatch(/^ Error, reason : pgroup p23456 does not exist at beamline alvra/);
});
