/**
 * Crash safety: `npm start` as a child process, SIGKILLed at random moments
 * while runs are being accepted and retrieved (8 kills; SFDAQ_SOAK=1: 20).
 * After every kill: no file under a final name is cut short. After every
 * restart: every run that has bookkeeping reaches done / done_with_problems /
 * failed, no run number is given twice, and a client re-sending with its
 * Idempotency-Key gets the number its first try took. At the end no
 * `.partial` file is left.
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, test } from 'vitest';
import { startChildStack, type ChildStack } from './support/child-stack';
import { h5Problem } from './support/h5-intact';
import { Client } from './support/http';
import { findFiles } from './support/tree';
import { prng } from './support/prng';

const SOAK = process.env.SFDAQ_SOAK === '1';
const KILLS = SOAK ? 20 : 8;
const CLIENTS = 4;
const PGROUPS = ['p12345', 'p12346'];
const FINAL = new Set(['done', 'done_with_problems', 'failed']);
/** The local stack patches s3rver's in-place writes itself (local/emulators/s3rver-atomic.ts); nothing to preload. */
const S3_PRELOAD: string[] = [];

interface Sent {
  id: number;
  cycle: number;
  pgroup: string;
  key?: string;
  body: Record<string, unknown>;
  /** The answer, if one arrived before the kill. */
  answer?: { status: number; text: string; json: any };
  /** The answer to the re-send after the restart (keyed requests without an answer). */
  retried?: { status: number; text: string; json: any };
}

const root = await mkdtemp(join(tmpdir(), 'sfdaq-hardening-crash-'));
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('crash safety under SIGKILL', () => {
  test(`${KILLS} kills while runs are in flight`, async () => {
    const random = prng(Number(process.env.SFDAQ_SEED ?? Date.now() % 1_000_000));
    const sent: Sent[] = [];
    const checkedFiles = new Set<string>();
    const figures = { unrecorded: 0, recovered: 0, resumedByThemselves: 0, kills: 0, accepted: 0, refused: 0, lost: 0, inFlightAtKill: 0, resumedKeys: 0, h5Checked: 0, runsChecked: 0 };
    const env = {
      // A dead holder of an Idempotency-Key is taken over after 1 s (default 60 s).
      SFDAQ_IDEMPOTENCY_LEASE_SECONDS: '1',
      SFDAQ_RETRY_ATTEMPTS: '3', SFDAQ_RETRY_BASE_MS: '20', SFDAQ_RETRY_MAX_MS: '50',
      // The broker's own logs: the recovery sweep reports what it restarted, the error mapper any unexpected error.
      SFDAQ_LOG_LEVEL: 'info',
    };
    const sweeps: string[] = [];
    const refusals: string[] = [];
    const unexpected: string[] = [];
    const readLogs = (child: ChildStack) => {
      for (const line of child.output().split('\n')) {
        if (line.includes('"message":"recovery sweep"')) sweeps.push(line);
        if (line.includes('"message":"unexpected error"') || line.includes('"message":"recovery sweep failed"')) unexpected.push(line);
      }
    };
    await mkdir(join(root, 'data/alvra/data/p12346/raw'), { recursive: true });

    let stack: ChildStack | undefined;
    try {
      for (let cycle = 0; cycle <= KILLS; cycle++) {
        stack = await startChildStack(root, env, { preload: S3_PRELOAD });
        const client = new Client(stack.url, { maxSockets: CLIENTS + 2 });
        try {
          // 1. Everything from before the kill: re-sent keys get their first number; every recorded run finishes.
          await resendKeyed(client, sent.filter((s) => s.key && !s.answer && !s.retried), figures);
          figures.runsChecked = await everyRunFinishes(client, 90_000);
          if (cycle === KILLS) break;

          // 2. Load: CLIENTS clients sending requests back to back; the data buffer answers slowly so retrievals are in flight.
          await fetch(`${stack.endpoints.dataBuffer}/__faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 300 }) });
          const pulse = ((await client.get('/local/current_pulse_id')).json as { pulse_id: number }).pulse_id;
          let stop = false;
          const loops = Array.from({ length: CLIENTS }, async () => {
            while (!stop) {
              const s = newRequest(sent.length, cycle, pulse, random);
              sent.push(s);
              try {
                const r = await client.post('/retrieve_from_buffers', s.body, s.key ? { 'idempotency-key': s.key } : {});
                if (!stop) s.answer = { status: r.status, text: r.text, json: r.json };
                else s.answer = { status: r.status, text: r.text, json: r.json };
              } catch {
                return; // the kill
              }
            }
          });
          // 3. Kill at a random moment, 0.3..2.5 s into the load.
          await new Promise((r) => setTimeout(r, 300 + random() * 2_200));
          figures.inFlightAtKill += (await runsInFlight()).length;
          await stack.kill();
          readLogs(stack);
          stop = true;
          await Promise.all(loops);
          figures.kills++;
          client.close();

          // 4. Right after the kill: nothing under a final name is cut short.
          for (const problem of await cutFiles(checkedFiles, figures)) expect.fail(`after kill ${cycle + 1}: ${problem}`);
        } finally {
          client.close();
        }
      }

      // The end: every answer is consistent with the bookkeeping.
      readLogs(stack!);
      for (const line of sweeps) {
        // The function's log line, after the local Lambda service's `[recoverySweep] ` prefix.
        const report = JSON.parse(line.slice(line.indexOf('{'))) as { started: string[]; running: string[]; failed: Array<{ run: string; reason: string }> };
        figures.recovered += report.started.length;
        figures.resumedByThemselves += report.running.length;
        // A kill between taking the number and writing the record: the sweep says so in the run's status (the number is spent).
        const unrecorded = report.failed.filter((f) => /stopped before its bookkeeping was written/.test(f.reason));
        figures.unrecorded += unrecorded.length;
        expect(report.failed.filter((f) => !unrecorded.includes(f)), 'the sweep could start every recorded run it found').toEqual([]);
      }
      expect(unexpected, 'no unexpected error in the broker').toEqual([]);
      expect(statusErrors, 'GET /runs never answered 5xx').toEqual([]);
      const client = new Client(stack!.url);
      try {
        const byRun = new Map<string, Sent>();
        const records = await allRecords();
        for (const record of records) {
          const s = sent[record.client_request_id as number];
          expect(s, `record ${record.pgroup}/${record.run_number} has a request id`).toBeDefined();
          const key = `${record.pgroup}/${record.run_number}`;
          expect(byRun.has(key), `run ${key} recorded twice`).toBe(false);
          byRun.set(key, s!);
        }
        const numberOf = new Map<number, string>();
        for (const record of records) {
          // One request never gets two runs (a keyed one re-sent after a crash included).
          const id = record.client_request_id as number;
          expect(numberOf.has(id), `request ${id} has runs ${numberOf.get(id)} and ${record.pgroup}/${record.run_number}`).toBe(false);
          numberOf.set(id, `${record.pgroup}/${record.run_number}`);
        }
        for (const s of sent) {
          const answer = s.retried ?? s.answer;
          if (answer?.json?.status === 'ok') {
            figures.accepted++;
            // The number answered is the run whose record holds this very request (never reused).
            expect(numberOf.get(s.id), `request ${s.id} answered ${answer.json.run_number}`).toBe(`${s.pgroup}/${answer.json.run_number}`);
          } else if (answer) {
            figures.refused++;
            refusals.push(`${answer.status} ${answer.text.slice(0, 240)}`);
            expect(answer.status, answer.text).toBe(200);
            // Every request here is valid: a failure after numbering would be a run lost to the crash.
            expect(answer.json?.run_number, `numbered but not started: ${answer.text}`).toBeUndefined();
            expect(answer.json?.message, answer.text).toBeTruthy();
          } else {
            figures.lost++; // no answer (killed): accepted or not, its run (if any) was checked above
          }
          if (s.answer && s.retried) expect(s.retried.text, `request ${s.id}: the re-send answers as the first try did`).toBe(s.answer.text);
        }
        // Counters never went back: the next number follows the highest ever given.
        for (const pgroup of PGROUPS) {
          const highest = Math.max(0, ...records.filter((r) => r.pgroup === pgroup).map((r) => r.run_number as number));
          expect((await client.get(`/get_current_run_number?pgroup=${pgroup}`)).json!.run_number).toBeGreaterThanOrEqual(highest);
        }
        // Every run is finished: no temp output may be left.
        expect(await findFiles(join(root, 'data'), /\.partial$/)).toEqual([]);
        const temps = await findFiles(join(root, 'data'), /\.tmp$/);
        console.log(`[crash] ${figures.kills} kills (SIGKILL), ${sent.length} requests sent: ${figures.accepted} accepted, ${figures.refused} refused, ${figures.lost} without an answer; ` +
          `${figures.inFlightAtKill} runs in flight at the kills; ${figures.resumedKeys} keyed re-sends after restarts; ${records.length} runs recorded, all finished; ` +
          `${figures.recovered} runs started by the recovery sweep (recorded, killed before the hand-off; ${figures.resumedByThemselves} more still \`accepted\` had their execution); ${figures.unrecorded} numbers taken by a request killed before its bookkeeping, recorded failed; ` +
          `${figures.h5Checked} HDF5 files checked whole; ${temps.length} stale .tmp files of interrupted atomic writes` +
          (refusals.length ? `\n  refusals: ${refusals.join('\n  ')}` : '') + (temps.length ? `\n  temp files: ${temps.join(', ')}` : ''));
      } finally {
        client.close();
      }
    } finally {
      await stack?.kill();
    }
  }, (SOAK ? 900 : 420) * 1000);
});

/** Requests of every kind: real data (BS channels, a camera, PVs, a detector), and some that fail fast. */
function newRequest(id: number, cycle: number, pulse: number, random: () => number): Sent {
  const pgroup = PGROUPS[Math.floor(random() * PGROUPS.length)]!;
  const r = random();
  const range = (n: number) => ({ start_pulseid: pulse - 300, stop_pulseid: pulse - 301 + n });
  const sources =
    r < 0.35 ? { channels_list: ['SARFE10-PBPG050:HAMP-INTENSITY-CAL', 'SAR-CVME-TIFALL5:EvtSet'], ...range(100) }
    : r < 0.5 ? { camera_list: ['SATES21-CAMS154-M1:FPICTURE'], ...range(50) }
    : r < 0.65 ? { pv_list: ['SARFE10-OPSH044:PRESSURE'], ...range(100) }
    : r < 0.75 ? { detectors: { JF01T03V01: {} }, ...range(5) }
    : r < 0.9 ? { channels_list: ['SAR-CVME-TIFALL4:EvtSet'], pv_list: ['SLAAR11-LMOT-M451:MOTOR_1.RBV'], camera_list: ['SATES21-CAMS154-M1:FPICTURE'], ...range(20) }
    : { channels_list: ['SAR-CVME-TIFALL4:EvtSet'], start_pulseid: 1_000, stop_pulseid: 1_099 }; // long expired: fails fast
  const body = {
    pgroup, ...sources, directory_name: `cycle${cycle}`, client_request_id: id,
    ...(random() < 0.2 ? { scan_info: { scan_name: `scan${cycle}`, motors_value: [id] } } : {}),
  };
  return { id, cycle, pgroup, body, ...(random() < 0.5 ? { key: randomUUID() } : {}) };
}

/** Keyed requests killed before their answer: the client re-sends them (same key, same body). */
async function resendKeyed(client: Client, lost: Sent[], figures: { resumedKeys: number }): Promise<void> {
  await Promise.all(lost.map(async (s) => {
    const r = await client.post('/retrieve_from_buffers', s.body, { 'idempotency-key': s.key! });
    s.retried = { status: r.status, text: r.text, json: r.json };
    figures.resumedKeys++;
    expect(r.status, `re-send of request ${s.id}: ${r.text}`).toBe(200);
  }));
}

async function allRecords(): Promise<Array<Record<string, unknown> & { pgroup: string; run_number: number }>> {
  const out = [];
  for (const pgroup of PGROUPS) {
    const daq = join(root, 'data/alvra/data', pgroup, 'raw/.daq');
    for (const f of (await readdir(daq).catch(() => [])).filter((n) => /^run_\d{6}\.json$/.test(n))) out.push(JSON.parse(await readFile(join(daq, f), 'utf8')));
  }
  return out;
}

/** 5xx answers of GET /runs seen while polling (a torn status object shows up here). */
const statusErrors: string[] = [];

/** Every recorded run reaches a final state within `boundMs` (polling GET /runs). Returns how many runs. */
async function everyRunFinishes(client: Client, boundMs: number): Promise<number> {
  const runs = (await allRecords()).map((r) => ({ pgroup: r.pgroup, run: r.run_number }));
  const deadline = Date.now() + boundMs;
  let open = runs;
  const last = new Map<string, string>();
  while (open.length > 0) {
    const states = await Promise.all(open.map(async (r) => {
      const reply = await client.get(`/runs/${r.pgroup}/${r.run}`);
      last.set(`${r.pgroup}/${r.run}`, `${reply.status} ${reply.text.slice(0, 160)}`);
      if (reply.status >= 500) statusErrors.push(`GET /runs/${r.pgroup}/${r.run}: ${reply.status} ${reply.text.slice(0, 200)}`);
      return reply.status === 200 ? (reply.json?.run?.state as string | undefined) : undefined;
    }));
    open = open.filter((_, i) => !FINAL.has(states[i] ?? ''));
    if (open.length === 0) break;
    if (Date.now() > deadline) {
      expect.fail(`runs not finished within ${boundMs} ms:\n${open.map((r) => `${r.pgroup}/${r.run}: ${last.get(`${r.pgroup}/${r.run}`)}`).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return runs.length;
}

/** Executions still RUNNING on disk (in flight at the moment of a kill). */
async function runsInFlight(): Promise<string[]> {
  const dir = join(root, 'state/executions');
  const running: string[] = [];
  for (const f of (await readdir(dir).catch(() => [])).filter((n) => n.endsWith('.json'))) {
    const text = await readFile(join(dir, f), 'utf8').catch(() => '');
    if (/"status": "RUNNING"/.test(text)) running.push(f);
  }
  return running;
}

/** Files under final names that are not whole: HDF5 outputs, run records, scan files. */
async function cutFiles(checked: Set<string>, figures: { h5Checked: number }): Promise<string[]> {
  const problems: string[] = [];
  for (const path of await findFiles(join(root, 'data'), /^run_\d{6}\..+\.h5$/)) {
    if (checked.has(path)) continue;
    const problem = await h5Problem(path);
    if (problem) problems.push(`${path}: ${problem}`);
    checked.add(path);
    figures.h5Checked++;
  }
  for (const path of await findFiles(join(root, 'data'), /^(run_\d{6}|[^.].*)\.json$/)) {
    try {
      JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      problems.push(`${path}: ${(error as Error).message}`);
    }
  }
  return problems;
}

