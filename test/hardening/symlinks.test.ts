/**
 * Symlinks and permissions: a symlink planted inside a pgroup that points
 * outside is never followed for writing - as a directory_name component, as
 * raw/.daq, as raw/scan_info or the scan file, at a run record's name, at an
 * output's final name or its `.partial` temp name, at a run log's name -
 * whether planted before the request or between acceptance and retrieval.
 * A pgroup (or its .daq) that is not writable is refused before a run number
 * is taken, on every endpoint that would write.
 */
import { chmod, lstat, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { h5Problem } from './support/h5-intact';
import { changes, snapshot, type Entry } from './support/tree';

let stack: TestStack;
let outside: string;
let outsideBefore: Map<string, Entry>;
const SENTINEL = 'outside the pgroup: must never be written\n';

beforeAll(async () => {
  stack = await startTestStack();
  // A directory next to the data root, full of files a symlink could point at.
  outside = join(dirname(stack.dataRoot), 'outside');
  for (const dir of ['', 'dir', 'daq', 'scan']) await mkdir(join(outside, dir), { recursive: true });
  for (const f of ['final.h5', 'partial.h5', 'record.json', 'scan/s.json', 'log.txt', 'dir/keep']) await writeFile(join(outside, f), SENTINEL);
  outsideBefore = await snapshot(outside);
});
afterEach(async () => {
  // After every case: nothing outside changed, no file added, no content touched.
  expect(changes(outsideBefore, await snapshot(outside))).toEqual([]);
  for (const f of ['final.h5', 'partial.h5', 'record.json', 'scan/s.json', 'log.txt', 'dir/keep']) expect(await readFile(join(outside, f), 'utf8')).toBe(SENTINEL);
});
afterAll(async () => {
  await stack?.destroy();
});

let pgroupSeq = 50_000;
/** A fresh pgroup of alvra (so each case predicts its run numbers). */
async function newPgroup(): Promise<{ pgroup: string; raw: string }> {
  const pgroup = `p${pgroupSeq++}`;
  const raw = join(stack.dataRoot, 'alvra/data', pgroup, 'raw');
  await mkdir(raw, { recursive: true });
  return { pgroup, raw };
}
const current = async (pgroup: string) => (await stack.get(`/get_current_run_number?pgroup=${pgroup}`)).json.run_number as number;
/** Pulses the buffers hold now: real files get written. */
const recent = (extra: Record<string, unknown>) => {
  const now = Number(stack.clock.currentPulseId());
  return { start_pulseid: now - 300, stop_pulseid: now - 281, ...extra };
};
async function finalState(pgroup: string, run: number, boundMs = 30_000): Promise<Record<string, any>> {
  const t0 = Date.now();
  for (;;) {
    const status = (await stack.get(`/runs/${pgroup}/${run}`)).json as { run?: Record<string, any> };
    if (status.run && ['done', 'done_with_problems', 'failed'].includes(status.run.state)) return status.run;
    if (Date.now() - t0 > boundMs) throw new Error(`run ${run} of ${pgroup} not finished in ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('refused before a number is taken', () => {
  test('a directory_name component that is a symlink leading out (at raw/ and deeper)', async () => {
    const { pgroup, raw } = await newPgroup();
    await symlink(join(outside, 'dir'), join(raw, 'esc'));
    await mkdir(join(raw, 'real'));
    await symlink(join(outside, 'dir'), join(raw, 'real', 'esc2'));
    for (const directory_name of ['esc', 'esc/sub', 'real/esc2/sub', './esc', 'real/esc2']) {
      const { json } = await stack.post('/retrieve_from_buffers', recent({ pgroup, channels_list: ['SAR-CVME-TIFALL5:EvtSet'], directory_name }));
      expect(json, directory_name).toMatchObject({ status: 'failed', field: 'directory_name', message: expect.stringMatching(/symbolic link that leads outside/) });
    }
    expect(await current(pgroup)).toBe(0);
  });

  test('raw/.daq is a symlink leading out: retrieve, advance and close are all refused', async () => {
    const { pgroup, raw } = await newPgroup();
    await symlink(join(outside, 'daq'), join(raw, '.daq'));
    const refusals = [
      await stack.post('/retrieve_from_buffers', recent({ pgroup, channels_list: ['SAR-CVME-TIFALL5:EvtSet'] })),
      await stack.post('/advance_run_number', { pgroup }),
      await stack.post('/close_pgroup_writing', { pgroup }),
    ];
    for (const r of refusals) expect(r.json).toMatchObject({ status: 'failed', message: expect.stringMatching(/\.daq is a symbolic link that leads outside/) });
    expect(await current(pgroup)).toBe(0);
  });

  test('raw/scan_info is a symlink leading out', async () => {
    const { pgroup, raw } = await newPgroup();
    await symlink(join(outside, 'scan'), join(raw, 'scan_info'));
    const { json } = await stack.post('/retrieve_from_buffers', recent({ pgroup, channels_list: ['SAR-CVME-TIFALL5:EvtSet'], scan_info: { scan_name: 's' } }));
    expect(json).toMatchObject({ status: 'failed', field: 'scan_info.scan_name', message: expect.stringMatching(/symbolic link that leads outside/) });
    expect(await current(pgroup)).toBe(0);
  });

  test('the scan file itself is a symlink (to a file outside)', async () => {
    const { pgroup, raw } = await newPgroup();
    await mkdir(join(raw, 'scan_info'));
    await symlink(join(outside, 'scan/s.json'), join(raw, 'scan_info/s.json'));
    const { json } = await stack.post('/retrieve_from_buffers', recent({ pgroup, channels_list: ['SAR-CVME-TIFALL5:EvtSet'], scan_info: { scan_name: 's' } }));
    expect(json).toMatchObject({ status: 'failed', field: 'scan_info.scan_name', message: 'scan_info: scan_info/s.json is a symbolic link; the broker will not write through it' });
    expect(await current(pgroup)).toBe(0);
  });

  test.for([
    ['raw/', (raw: string) => raw],
    ['raw/.daq', (raw: string) => join(raw, '.daq')],
  ] as const)('%s not writable (mode 0555): retrieve, advance and close refused, no number', async ([, dirOf]) => {
    const { pgroup, raw } = await newPgroup();
    await mkdir(join(raw, '.daq'), { recursive: true });
    const dir = dirOf(raw);
    await chmod(dir, 0o555);
    try {
      for (const r of [
        await stack.post('/retrieve_from_buffers', recent({ pgroup, channels_list: ['SAR-CVME-TIFALL5:EvtSet'] })),
        await stack.post('/advance_run_number', { pgroup }),
        await stack.post('/close_pgroup_writing', { pgroup }),
      ]) {
        expect(r.json).toMatchObject({ status: 'failed', field: 'pgroup', message: `no permission to write in ${dir === raw ? 'raw/' : 'raw/.daq'} of pgroup ${pgroup}: ask the beamline staff to check the pgroup's permissions` });
      }
      expect(await current(pgroup)).toBe(0);
    } finally {
      await chmod(dir, 0o775);
    }
  });
});

describe('accepted, and the symlink is replaced, never written through', () => {
  test('a symlink at the run record\'s name (raw/.daq/run_000001.json)', async () => {
    const { pgroup, raw } = await newPgroup();
    await mkdir(join(raw, '.daq'));
    await symlink(join(outside, 'record.json'), join(raw, '.daq/run_000001.json'));
    const { json } = await stack.post('/retrieve_from_buffers', recent({ pgroup, channels_list: ['SAR-CVME-TIFALL5:EvtSet'] }));
    expect(json).toMatchObject({ status: 'ok', run_number: 1 });
    const stats = await lstat(join(raw, '.daq/run_000001.json'));
    expect(stats.isFile()).toBe(true);
    expect(JSON.parse(await readFile(join(raw, '.daq/run_000001.json'), 'utf8'))).toMatchObject({ pgroup, run_number: 1 });
    await finalState(pgroup, 1);
  });

  test.for([
    ['BSREAD', { channels_list: ['SARFE10-PBPG050:HAMP-INTENSITY-CAL'] }],
    ['CAMERAS', { camera_list: ['SATES21-CAMS154-M1:FPICTURE'] }],
    ['PVCHANNELS', { pv_list: ['SARFE10-OPSH044:PRESSURE'] }],
    ['JF01T03V01', { detectors: { JF01T03V01: {} } }],
  ] as const)('symlinks at the %s output\'s final and .partial names, and at its log', { timeout: 40_000 }, async ([suffix, sources]) => {
    const { pgroup, raw } = await newPgroup();
    await mkdir(join(raw, '.daq'));
    await symlink(join(outside, 'final.h5'), join(raw, `run_000001.${suffix}.h5`));
    await symlink(join(outside, 'partial.h5'), join(raw, `.run_000001.${suffix}.h5.partial`));
    await symlink(join(outside, 'log.txt'), join(raw, `.daq/run_000001.${suffix}.log`));
    const { json } = await stack.post('/retrieve_from_buffers', recent({ pgroup, ...sources }));
    expect(json).toMatchObject({ status: 'ok', run_number: 1 });
    const run = await finalState(pgroup, 1);
    // The output: a regular, whole HDF5 file where the symlink was; the log can not be opened (O_NOFOLLOW), so the
    // source fails with that reason rather than writing through it.
    const source = run.sources[0];
    console.log(`[symlinks] ${suffix} with its log name planted: ${run.state}${source.reason ? ` (${source.reason})` : ''}${run.reason ? `; ${run.reason}` : ''}`);
    if (source.state === 'failed') {
      // The retriever stopped before writing: the planted links are left as they were, not followed.
      expect(source.reason).toMatch(/log|ELOOP|symbolic/i);
      expect((await lstat(join(raw, `run_000001.${suffix}.h5`))).isSymbolicLink()).toBe(true);
      // A detector's skeleton is prepared before its parts run, so there the .partial link was already replaced
      // (unlinked, never followed) and the skeleton removed when the source failed; elsewhere it is left as it was.
      const partial = await lstat(join(raw, `.run_000001.${suffix}.h5.partial`)).catch(() => undefined);
      if (suffix.startsWith('JF')) expect(partial === undefined || partial.isSymbolicLink()).toBe(true);
      else expect(partial?.isSymbolicLink()).toBe(true);
    } else {
      expect((await lstat(join(raw, `run_000001.${suffix}.h5`))).isFile()).toBe(true);
      expect(await h5Problem(join(raw, `run_000001.${suffix}.h5`))).toBeUndefined();
      expect((await readdir(raw)).filter((f) => f.endsWith('.partial'))).toEqual([]);
    }
  });

  test.for([
    ['BSREAD', { channels_list: ['SARFE10-PBPG050:HAMP-INTENSITY-CAL'] }],
    ['JF01T03V01', { detectors: { JF01T03V01: {} } }],
  ] as const)('symlinks at the %s output\'s final and .partial names (log name free): written, the links replaced', { timeout: 40_000 }, async ([suffix, sources]) => {
    const { pgroup, raw } = await newPgroup();
    await symlink(join(outside, 'final.h5'), join(raw, `run_000001.${suffix}.h5`));
    await symlink(join(outside, 'partial.h5'), join(raw, `.run_000001.${suffix}.h5.partial`));
    const { json } = await stack.post('/retrieve_from_buffers', recent({ pgroup, ...sources }));
    expect(json).toMatchObject({ status: 'ok', run_number: 1 });
    const run = await finalState(pgroup, 1);
    expect(run.state).toBe('done');
    expect((await lstat(join(raw, `run_000001.${suffix}.h5`))).isFile()).toBe(true);
    expect(await h5Problem(join(raw, `run_000001.${suffix}.h5`))).toBeUndefined();
    expect((await readdir(raw)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  test('a directory_name component planted as a symlink after acceptance, before the retriever writes', async () => {
    const { pgroup, raw } = await newPgroup();
    // The Plan step reads the delay from its configuration: the branch waits 2 s before the retriever runs.
    await stack.lambda.updateFunctionConfiguration('planRetrieval', { environment: { ...stack.env, SFDAQ_DATA_DELAY_SECONDS: '2' } });
    try {
      const { json } = await stack.post('/retrieve_from_buffers', recent({ pgroup, channels_list: ['SARFE10-PBPG050:HAMP-INTENSITY-CAL'], directory_name: 'later/sub' }));
      expect(json).toMatchObject({ status: 'ok', run_number: 1 });
      await symlink(join(outside, 'dir'), join(raw, 'later'));
    } finally {
      await stack.lambda.updateFunctionConfiguration('planRetrieval', { environment: stack.env });
    }
    const run = await finalState(pgroup, 1);
    expect(run.state).toBe('failed');
    // Found by the retriever (the source fails), or already by Plan if it ran after the link was planted (the run fails).
    expect(run.sources[0]?.reason ?? run.reason).toMatch(/later is a symbolic link that leads outside/);
  });
});
