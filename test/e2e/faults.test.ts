import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { waitForRun } from '../helpers/runs';

async function setFaults(url: string, plan: unknown): Promise<void> {
  const res = await fetch(`${url}/__faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(plan) });
  expect(res.ok).toBe(true);
}

describe('buffer faults through the whole workflow', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // Short backoff inside the retrievers so exhausting retries takes seconds, not minutes.
    Object.assign(process.env, { SFDAQ_RETRY_ATTEMPTS: '3', SFDAQ_RETRY_BASE_MS: '20', SFDAQ_RETRY_MAX_MS: '50' });
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.destroy();
  });

  const request = (extra: Record<string, unknown>) => {
    const now = Number(stack.clock.currentPulseId());
    return { pgroup: 'p12345', start_pulseid: now - 300, stop_pulseid: now - 201, ...extra };
  };

  test('data buffer answers 503 twice, then recovers: the file is complete and the retries are logged', async () => {
    await setFaults(stack.buffers!.dataBufferUrl, { httpErrors: { status: 503, count: 2 } });
    const { json } = await stack.post('/retrieve_from_buffers', request({ channels_list: ['SARFE10-PBPG050:HAMP-INTENSITY-CAL'] }));
    const run = await waitForRun(stack, 'p12345', Number(json.message));
    expect(run.state).toBe('done');
    expect(run.sources[0].check.channels['SARFE10-PBPG050:HAMP-INTENSITY-CAL'].rows).toBe(100);
    const log = await readFile(`${stack.raw}/.daq/run_${String(json.message).padStart(6, '0')}.BSREAD.log`, 'utf8');
    expect(log).toMatch(/retr(y|ies)/i);
    expect(log).toMatch(/503/);
  });

  test('image buffer dead: that source fails with the reason, the other sources are still written', async () => {
    await setFaults(stack.buffers!.imageBufferUrl, { httpErrors: { status: 500, count: 1_000 } });
    try {
      const { json } = await stack.post('/retrieve_from_buffers', request({ channels_list: ['SAR-CVME-TIFALL4:EvtSet'], camera_list: ['SATES21-CAMS154-M1:FPICTURE'], detectors: { JF01T03V01: {} } }));
      const run = await waitForRun(stack, 'p12345', Number(json.message));
      const bySource = Object.fromEntries(run.sources.map((s: any) => [s.source, s]));
      expect(bySource.CAMERAS.state).toBe('failed');
      expect(bySource.CAMERAS.reason).toMatch(/500|unavailable/i);
      expect(bySource.BSREAD.state).toBe('done');
      expect(bySource.JF01T03V01.state).toBe('done');
      expect(run.state).toBe('done_with_problems');
      const files = json.files as string[];
      expect(existsSync(files[0]!)).toBe(true);
      expect(existsSync(files[1]!)).toBe(false); // no camera file under the final name
      expect(await readFile(`${files[1]!}.err`, 'utf8')).toMatch(/CAMERAS: .*(500|unavailable)/i); // the original's failure marker
      expect(existsSync(files[2]!)).toBe(true);
    } finally {
      await fetch(`${stack.buffers!.imageBufferUrl}/__faults`, { method: 'DELETE' });
    }
  });

  test('expired range: the run fails with "range expired" for each buffer', async () => {
    const now = Number(stack.clock.currentPulseId());
    const { json } = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', start_pulseid: now - 50_000, stop_pulseid: now - 49_000, channels_list: ['SARFE10-PBPG050:HAMP-INTENSITY-CAL'], detectors: { JF01T03V01: {} } });
    const run = await waitForRun(stack, 'p12345', Number(json.message));
    expect(run.state).toBe('failed');
    for (const source of run.sources) expect(source.reason, source.source).toMatch(/range expired from the (data|detector) buffer/);
  });
});

/** `npm start` as a child process, so it can be killed for real. */
async function startChild(root: string): Promise<{ child: ChildProcess; url: string; dataBuffer: string }> {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', 'local/start.ts'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, PORT: '0', SFDAQ_DATA_ROOT: join(root, 'data'), SFDAQ_STATE_DIR: join(root, 'state'), SFDAQ_DATA_DELAY_SECONDS: '0', SFDAQ_DETECTOR_DELAY_SECONDS: '0', SFDAQ_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const deadline = Date.now() + 60_000;
  while (!/stack is up/.test(out) || !/dataBuffer/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`local stack did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url: /^\s+broker\s+(\S+)/m.exec(out)![1]!, dataBuffer: /dataBuffer\s+(\S+)/.exec(out)![1]! };
}

describe('crash safety', () => {
  test('killed mid-retrieval: no half file under the final name; after restart the run completes', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sfdaq-crash-'));
    try {
      let stack = await startChild(root);
      // Slow the data buffer so the retrieval is surely in flight when the process dies.
      await setFaults(stack.dataBuffer, { latencyMs: 4_000 });
      const pulse = ((await (await fetch(`${stack.url}/local/current_pulse_id`)).json()) as { pulse_id: number }).pulse_id;
      const res = await fetch(`${stack.url}/retrieve_from_buffers`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pgroup: 'p12345', start_pulseid: pulse - 300, stop_pulseid: pulse - 201, channels_list: ['SARFE10-PBPG050:HAMP-INTENSITY-CAL'], directory_name: 'crash' }),
      });
      const accepted = (await res.json()) as { status: string; message: string; files: string[] };
      expect(accepted.status).toBe('ok');
      await new Promise((r) => setTimeout(r, 1_000));
      stack.child.kill('SIGKILL');
      await new Promise((r) => stack.child.once('exit', r));
      expect(existsSync(accepted.files[0]!)).toBe(false);

      stack = await startChild(root);
      try {
        const deadline = Date.now() + 60_000;
        let state = '';
        while (Date.now() < deadline) {
          const status = (await (await fetch(`${stack.url}/runs/p12345/${accepted.message}`)).json()) as { run?: { state: string } };
          state = status.run?.state ?? '';
          if (['done', 'done_with_problems', 'failed'].includes(state)) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(state).toBe('done');
        expect(existsSync(accepted.files[0]!)).toBe(true);
        const leftovers = (await readdir(join(root, 'data/alvra/data/p12345/raw/crash'))).filter((f) => f.endsWith('.partial'));
        expect(leftovers).toEqual([]);
        // the run number was not reused
        const next = await fetch(`${stack.url}/advance_run_number`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"pgroup":"p12345"}' });
        expect(((await next.json()) as { run_number: number }).run_number).toBe(Number(accepted.message) + 1);
      } finally {
        stack.child.kill('SIGKILL');
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 180_000);
});
