/**
 * Counter under contention: 1,000 retrieve requests (SFDAQ_SOAK=1: 5,000)
 * from 50 concurrent clients across 10 pgroups, ~1 in 8 refused on purpose.
 * Afterwards every pgroup's accepted run numbers are exactly 1..n, each run
 * has its record (file and object), its status and its workflow execution,
 * and the refused requests left no trace.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { Client, pool } from './support/http';
import { Bucket } from './support/s3';
import { findFiles } from './support/tree';
import { prng } from './support/prng';


const SOAK = process.env.SFDAQ_SOAK === '1';
const REQUESTS = SOAK ? 5_000 : 1_000;
const CLIENTS = 50;
const PGROUPS = Array.from({ length: 10 }, (_, i) => `p100${String(i).padStart(2, '0')}`);
const EXECUTION_PREFIX = 'arn:aws:states:eu-central-1:000000000000:execution:sfdaq-retrieve-local:';


/** Requests refused on purpose, each carrying a marker that would show up if it left a trace. */
const REFUSALS: Array<[string, (marker: string) => Record<string, unknown>, RegExp]> = [
  ['rate_multiplicator not allowed', (m) => ({ rate_multiplicator: 3, directory_name: m }), /rate_multiplicator is not allowed/],
  ['directory_name climbs out', (m) => ({ directory_name: `../${m}` }), /may not contain "\.\."/],
  ['detector of another beamline', (m) => ({ detectors: { JF07T01V01: {} }, directory_name: m }), /not known at beamline alvra/],
  ['stop before start', (m) => ({ start_pulseid: 2000, stop_pulseid: 1000, directory_name: m }), /stop_pulseid 1000 is before/],
  ['camera without :FPICTURE', (m) => ({ camera_list: ['SARES11-SPEC125-M1'], directory_name: m }), /must end in :FPICTURE/],
  ['scan name with a leading dot', (m) => ({ scan_info: { scan_name: `.${m}` } }), /scan_name must be a plain file name/],
  ['too many pulses', (m) => ({ start_pulseid: 1, stop_pulseid: 100_000, directory_name: m }), /too large/],
];

let stack: TestStack;
let client: Client;
let bucket: Bucket;

beforeAll(async () => {
  stack = await startTestStack();
  for (const pgroup of PGROUPS) await mkdir(join(stack.dataRoot, 'alvra/data', pgroup, 'raw'), { recursive: true });
  client = new Client(stack.url, { maxSockets: CLIENTS });
  bucket = new Bucket(stack.endpoints.s3!);
});
afterAll(async () => {
  client?.close();
  bucket?.close();
  await stack?.destroy();
});

interface Sent {
  i: number;
  pgroup: string;
  refusal?: string;
  expect?: RegExp;
  scan?: string;
  reply?: Record<string, any>;
  status?: number;
}

describe('run numbers under contention', () => {
  test(`${REQUESTS} requests, ${CLIENTS} clients, ${PGROUPS.length} pgroups: 1..n per pgroup, no trace of refusals`, async () => {
    const seed = Number(process.env.SFDAQ_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const sent: Sent[] = Array.from({ length: REQUESTS }, (_, i) => {
      const pgroup = PGROUPS[Math.floor(random() * PGROUPS.length)]!;
      if (random() < 0.125) {
        const [name, , expected] = REFUSALS[Math.floor(random() * REFUSALS.length)]!;
        return { i, pgroup, refusal: name, expect: expected };
      }
      return { i, pgroup, ...(random() < 0.2 ? { scan: `scan-${pgroup}` } : {}) };
    });
    const bodyOf = (s: Sent): Record<string, unknown> => {
      // No real work for the workflow: pulses long gone from the buffers (fails fast with "range expired"),
      // or channels no buffer knows.
      const base: Record<string, unknown> = {
        pgroup: s.pgroup,
        start_pulseid: 11_884_948_775,
        stop_pulseid: 11_884_949_774,
        channels_list: s.i % 2 === 0 ? ['SAR-CVME-TIFALL5:EvtSet'] : [`HARDENING-NO-SUCH-CHANNEL-${s.i}`],
        // Names no buffer knows are otherwise refused at the door.
        allow_unknown_channels: true,
        client_request_id: s.i,
        ...(s.i % 5 === 0 ? { directory_name: `accepted/dir-${s.i}` } : {}),
        ...(s.scan ? { scan_info: { scan_name: s.scan, motors_value: [s.i] } } : {}),
      };
      if (!s.refusal) return base;
      const refusal = REFUSALS.find(([name]) => name === s.refusal)!;
      return { ...base, ...refusal[1](`refused-${s.i}`) };
    };

    const t0 = performance.now();
    await pool(sent, CLIENTS, async (s) => {
      const r = await client.post('/retrieve_from_buffers', bodyOf(s));
      s.status = r.status;
      s.reply = r.json;
    });
    const acceptMs = performance.now() - t0;
    await stack.sfn.idle();
    const totalMs = performance.now() - t0;

    // Every answer: HTTP 200, ok with a number, or failed with the expected message.
    for (const s of sent) {
      expect(s.status, `request ${s.i} (seed ${seed})`).toBe(200);
      if (s.refusal) {
        expect(s.reply, `request ${s.i}: ${s.refusal}`).toMatchObject({ status: 'failed', message: expect.stringMatching(s.expect!) });
        expect(s.reply!.run_number).toBeUndefined();
      } else {
        expect(s.reply, `request ${s.i}`).toMatchObject({ status: 'ok' });
      }
    }

    const accepted = sent.filter((s) => !s.refusal);
    const refused = sent.filter((s) => s.refusal);
    let executions = 0;
    for (const pgroup of PGROUPS) {
      const mine = accepted.filter((s) => s.pgroup === pgroup);
      const numbers = mine.map((s) => Number(s.reply!.run_number)).sort((a, b) => a - b);
      // Exactly 1..n: no duplicate, no gap.
      expect(numbers, pgroup).toEqual(Array.from({ length: mine.length }, (_, k) => k + 1));
      expect((await client.get(`/get_current_run_number?pgroup=${pgroup}`)).json!.run_number, pgroup).toBe(mine.length);

      const raw = join(stack.dataRoot, 'alvra/data', pgroup, 'raw');
      const records = (await readdir(join(raw, '.daq'))).filter((f) => /^run_\d{6}\.json$/.test(f));
      expect(records.length, `${pgroup}: run records`).toBe(mine.length);
      // Records and statuses (each checked source also keeps its full check beside them).
      const objects = (await bucket.keys(`runs/alvra/${pgroup}/`)).filter((k) => /run_\d{6}(\.status)?\.json$/.test(k));
      expect(objects.length, `${pgroup}: objects (record + status per run)`).toBe(2 * mine.length);

      await pool(mine, 16, async (s) => {
        const run = Number(s.reply!.run_number);
        const label = `run_${String(run).padStart(6, '0')}`;
        // The record of run N is the request that was answered N.
        const record = JSON.parse(await readFile(join(raw, '.daq', `${label}.json`), 'utf8'));
        expect(record).toMatchObject({ pgroup, beamline: 'alvra', run_number: run, client_request_id: s.i });
        expect(await bucket.json(`runs/alvra/${pgroup}/${label}.json`)).toEqual(record);
        const status = await bucket.json(`runs/alvra/${pgroup}/${label}.status.json`);
        expect(['done', 'done_with_problems', 'failed'], `${pgroup} ${label}: ${JSON.stringify(status).slice(0, 200)}`).toContain(status.state);
        const execution = stack.sfn.describe(`${EXECUTION_PREFIX}alvra-${pgroup}-${label}`);
        expect(execution?.status, `${pgroup} ${label}`).toBe('SUCCEEDED');
        expect(JSON.parse(execution!.input)).toMatchObject({ pgroup, run_number: run });
        expect(s.reply!.files).toEqual([join(raw, ...(s.i % 5 === 0 ? ['accepted', `dir-${s.i}`] : []), `${label}.BSREAD.h5`)]);
      });
      executions += mine.length;

      // Scan steps: one per accepted request naming the scan, each holding that run's files.
      const scanned = mine.filter((s) => s.scan);
      if (scanned.length > 0) {
        const scan = JSON.parse(await readFile(join(raw, 'scan_info', `scan-${pgroup}.json`), 'utf8'));
        expect(scan.scan_files.length, `${pgroup}: scan steps`).toBe(scanned.length);
        expect(new Set(scan.scan_files.map((f: string[]) => f[0]))).toEqual(new Set(scanned.map((s) => s.reply!.files[0])));
      }
    }
    // One execution per accepted run and none for a refused one.
    expect((await readdir(join(stack.stateDir, 'executions'))).filter((f) => f.endsWith('.json')).length).toBe(executions);

    // Refusals left nothing: no directory, no scan file, no record carrying their marker.
    const traces = await findFiles(stack.dataRoot, /refused-/);
    expect(traces).toEqual([]);
    // Run records (the scan steps under .daq/scan_steps/ are named after their runs too).
    const allRecords = (await findFiles(stack.dataRoot, /^run_\d{6}\.json$/)).filter((f) => !f.includes('/scan_steps/')).length;
    expect(allRecords).toBe(accepted.length);

    console.log(`[counter] seed ${seed}: ${REQUESTS} requests (${accepted.length} accepted, ${refused.length} refused on purpose) from ${CLIENTS} clients over ${PGROUPS.length} pgroups; ` +
      `answered in ${(acceptMs / 1000).toFixed(1)} s, all workflows finished at ${(totalMs / 1000).toFixed(1)} s`);
  }, (SOAK ? 900 : 170) * 1000);
});
