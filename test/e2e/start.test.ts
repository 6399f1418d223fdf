/**
 * `npm start` as a newcomer meets it: a second start on a port or a state
 * directory already in use stops with one line saying what and what to do
 * (exit 1, no stack trace); the banner names runs resumed after a restart.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startChildStack, type ChildStack } from '../hardening/support/child-stack';

const PROJECT = new URL('../..', import.meta.url).pathname;
let root: string;
let first: ChildStack;

/** `npm start`'s entry with these variables; resolves with its exit code and output. */
function start(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', 'local/start.ts'], {
      cwd: PROJECT, env: { ...process.env, SFDAQ_LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sfdaq-start-'));
  first = await startChildStack(root);
});
afterAll(async () => {
  await first?.kill();
  await rm(root, { recursive: true, force: true });
});

describe('npm start when another stack is running', () => {
  test('the same port: one line naming the port, exit 1', async () => {
    const port = new URL(first.url).port;
    const other = await mkdtemp(join(tmpdir(), 'sfdaq-start-other-'));
    try {
      const { code, out } = await start({ PORT: port, SFDAQ_DATA_ROOT: join(other, 'data') });
      expect(code).toBe(1);
      expect(out.trim()).toBe(`npm start: another program (another stack?) is listening on port ${port} of 127.0.0.1; stop it, or set PORT to another port for the broker`);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  test('the same state directory: one line naming the directory and the process, exit 1', async () => {
    const { code, out } = await start({ PORT: '0', SFDAQ_DATA_ROOT: join(root, 'data'), SFDAQ_STATE_DIR: join(root, 'state') });
    expect(code).toBe(1);
    expect(out.trim()).toMatch(new RegExp(`^npm start: another stack is using ${join(root, 'state')} \\(process ${first.child.pid}\\); stop it first, or set SFDAQ_STATE_DIR \\(or SFDAQ_DATA_ROOT\\) to another directory$`));
    expect(out).not.toMatch(/\n\s+at /); // no stack trace
  });

  test('after a kill, the next start takes the state directory over and says which runs it resumes', async () => {
    const { json } = await fetch(`${first.url}/retrieve_from_buffers`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      // A range 20 s ahead: the run waits for it, so it is still running when the stack is killed.
      body: JSON.stringify({ pgroup: 'p12345', channels_list: ['SAR-CVME-TIFALL5:EvtSet'], ...(await ahead(first.url)) }),
    }).then(async (r) => ({ json: (await r.json()) as { run_number: number } }));
    await first.kill();
    first = await startChildStack(root);
    expect(first.output()).toMatch(new RegExp(`resumed 1 run left unfinished: alvra-p12345-run_${String(json.run_number).padStart(6, '0')}`));
  });
});

async function ahead(url: string): Promise<{ start_pulseid: number; stop_pulseid: number }> {
  const { pulse_id: now } = (await (await fetch(`${url}/local/current_pulse_id`)).json()) as { pulse_id: number };
  return { start_pulseid: now + 2_000, stop_pulseid: now + 2_099 };
}
