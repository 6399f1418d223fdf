import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RequestRefused } from '../../../lib/core/errors';
import { LOG_LIMITS, runDetails, runSummaries } from '../../../lib/core/run-details';
import { ALVRA, BERNINA, DET, makePgroup, START, writeRun, type Pgroup } from './support';

let pg: Pgroup;
beforeAll(async () => {
  pg = makePgroup();
  await writeRun(pg, 1);
});
afterAll(() => pg.cleanup());

describe('runDetails', () => {
  test('the request as sent, files with sizes, logs, the check per channel with the missing pulses', async () => {
    const d = await runDetails('p12345', 1, ALVRA, pg.deps);
    expect(d).toMatchObject({ beamline: 'alvra', run_number: 1, state: 'done_with_problems', request_time: '2026-11-30T10:00:00.000Z', finished: '2026-11-30T10:00:12.500Z', duration_s: 12.5 });
    expect(d.request).toMatchObject({ start_pulseid: START, directory_name: 'scan1', run_number: 1 });
    expect(d.sources.map((s) => [s.source, s.state, s.verdict])).toEqual([
      ['BSREAD', 'done_with_problems', 'problems'], ['CAMERAS', 'done', 'ok'], ['PVCHANNELS', 'done', 'ok'], [DET, 'done', 'ok'],
    ]);
    const bs = d.sources[0]!;
    expect(bs.file).toMatchObject({ path: 'scan1/run_000001.BSREAD.h5', size_bytes: statSync(path.join(pg.raw, 'scan1/run_000001.BSREAD.h5')).size });
    expect(JSON.stringify(d)).not.toContain(pg.dataRoot); // resolved paths stay on the server
    const sarB = bs.channels.find((c) => c.name === 'SAR:B')!;
    expect(sarB).toMatchObject({ verdict: 'problems', present: true, counts: { expected: 20, found_unique: 17, missing: 3 } });
    expect(sarB.missing_pulses).toEqual({ ranges: [[START + 3, START + 4], [START + 10, START + 10]], total: 2, missing: 3 });
    expect(bs.channels[0]!.name).toBe('SAR:B'); // problems first
    expect(bs.channels.find((c) => c.name === 'SAR:A')).toMatchObject({ verdict: 'ok', problems: [] });
    expect(d.sources[2]!.channels[0]).toMatchObject({ name: 'PV:X', verdict: 'ok', counts: { samples: 2 } });
    expect(d.size_bytes).toBe(d.sources.reduce((s, x) => s + x.file!.size_bytes!, 0));
    expect(d.logs.map((l) => l.source)).toEqual(['BSREAD', 'CAMERAS', DET, 'PVCHANNELS']);
    expect(d.logs[0]!.text).toMatch(/verdict BSREAD: problems/);
  });

  test("another beamline's caller is refused, whatever it asks for", async () => {
    await expect(runDetails('p12345', 1, BERNINA, pg.deps)).rejects.toThrow(RequestRefused);
    await expect(runDetails('p12345', 1, BERNINA, pg.deps)).rejects.toThrow(/does not exist/);
    await expect(runSummaries('p12345', BERNINA, pg.deps, 100)).resolves.toMatchObject({ beamline: 'bernina', runs: [] });
    await expect(runDetails('p12345', 1, { sourceIp: '10.0.0.1', apiKey: 'forged' }, pg.deps)).rejects.toThrow(/API key is not known/);
  });

  test('a run that does not exist is a refusal naming run_number', async () => {
    const refusal = await runDetails('p12345', 99, ALVRA, pg.deps).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(RequestRefused);
    expect(refusal).toMatchObject({ field: 'run_number', message: 'run 99 of pgroup p12345 does not exist (the last run is 1)' });
  });

  test('nothing outside raw/ is read: recorded paths outside it, symlinks leading out, a symlinked log', async () => {
    const outside = path.join(pg.dataRoot, 'secret.h5');
    writeFileSync(outside, 'secret');
    mkdirSync(path.join(pg.raw, 'evil'), { recursive: true });
    symlinkSync(outside, path.join(pg.raw, 'evil', 'run_000002.BSREAD.h5'));
    symlinkSync(pg.dataRoot, path.join(pg.raw, 'up'));
    symlinkSync(outside, path.join(pg.raw, '.daq', 'run_000002.BSREAD.log'));
    writeFileSync(path.join(pg.raw, '.daq', 'run_000002.json'), JSON.stringify({ pgroup: 'p12345', run_number: 2, request_time: 'x' }));
    await pg.store.putStatus({
      beamline: 'alvra', pgroup: 'p12345', run_number: 2, state: 'done', updated: '2026-11-30T11:00:00Z',
      sources: [
        { source: 'BSREAD', kind: 'data', file: path.join(pg.raw, 'evil', 'run_000002.BSREAD.h5'), state: 'done' },
        { source: 'CAMERAS', kind: 'image', file: outside, state: 'done' },
        { source: 'PVCHANNELS', kind: 'archiver', file: path.join(pg.raw, 'up', 'secret.h5'), state: 'done' },
      ],
    });
    const d = await runDetails('p12345', 2, ALVRA, pg.deps);
    expect(d.sources.map((s) => [s.file?.size_bytes, s.file?.problem])).toEqual([
      [null, "a symbolic link leading outside the pgroup's raw directory: not followed"],
      [null, "not inside the pgroup's raw directory"],
      [null, "up is a symbolic link that leads outside the pgroup's raw directory"],
    ]);
    expect(d.size_bytes).toBe(0);
    expect(d.logs).toEqual([{ name: 'run_000002.BSREAD.log', source: 'BSREAD', size_bytes: null, text: '', truncated: false, problem: 'a symbolic link: not followed' }]);
    expect(JSON.stringify(d)).not.toContain('secret"');
  });

  test('a long log is cut to its last part, at a line start', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `2026-11-30T10:00:00.000Z line ${i}`).join('\n') + '\n';
    writeFileSync(path.join(pg.raw, '.daq', 'run_000003.BSREAD.log'), lines);
    writeFileSync(path.join(pg.raw, '.daq', 'run_000003.json'), JSON.stringify({ pgroup: 'p12345', run_number: 3, request_time: '2026-11-30 10:00:00.000000', channels_list: ['SAR:A'], detectors: { [DET]: {} } }));
    await pg.store.putStatus({ beamline: 'alvra', pgroup: 'p12345', run_number: 3, state: 'accepted', updated: '2026-11-30T10:00:00Z' });
    const d = await runDetails('p12345', 3, ALVRA, pg.deps);
    const log = d.logs[0]!;
    expect(log.truncated).toBe(true);
    expect(log.size_bytes).toBe(Buffer.byteLength(lines));
    expect(Buffer.byteLength(log.text)).toBeLessThanOrEqual(LOG_LIMITS.bytesPerLog);
    expect(log.text.startsWith('2026-')).toBe(true);
    expect(log.text.endsWith('line 4999\n')).toBe(true);
    // Not planned yet: the sources the record will give, pending, without files.
    expect(d.sources.map((s) => [s.source, s.state, s.file])).toEqual([['BSREAD', 'pending', null], [DET, 'pending', null]]);
    expect(d).toMatchObject({ finished: null, duration_s: null });
  });
});

describe('runSummaries', () => {
  test('newest first, with request time, duration, size on disk, verdict and progress when the status has it', async () => {
    await pg.store.putStatus({
      beamline: 'alvra', pgroup: 'p12345', run_number: 4, state: 'retrieving', updated: '2026-11-30T12:00:01Z',
      sources: [
        { source: 'BSREAD', kind: 'data', file: path.join(pg.raw, 'run_000004.BSREAD.h5'), state: 'pending', progress: { pulses_written: 300, pulses_expected: 1000, bytes_written: 1e6, updated: '2026-11-30T12:00:01Z' } },
        { source: DET, kind: 'detector', file: path.join(pg.raw, 'run_000004.JF01T03V01.h5'), state: 'pending', progress: { pulses_written: 'many' } },
      ] as never,
    });
    const { beamline, runs } = await runSummaries('p12345', ALVRA, pg.deps, 100);
    expect(beamline).toBe('alvra');
    expect(runs.map((r) => r.run_number)).toEqual([4, 3, 2, 1]);
    const one = runs.find((r) => r.run_number === 1)!;
    const sizes = ['BSREAD', 'CAMERAS', 'PVCHANNELS', DET].map((s) => statSync(path.join(pg.raw, `scan1/run_000001.${s}.h5`)).size);
    expect(one).toMatchObject({ state: 'done_with_problems', verdict: 'problems', duration_s: 12.5, size_bytes: sizes.reduce((a, b) => a + b), sources: { total: 4, done: 4, failed: 0, pending: 0 } });
    const four = runs[0]!;
    expect(four).toMatchObject({ state: 'retrieving', size_bytes: null, verdict: null, finished: null, progress: { pulses_written: 300, pulses_expected: 1000 }, sources: { total: 2, done: 0, pending: 2 } });
    expect(runs.find((r) => r.run_number === 3)).toMatchObject({ state: 'accepted', sources: { total: 2, names: ['BSREAD', DET] } });
    expect((await runSummaries('p12345', ALVRA, pg.deps, 2)).runs.map((r) => r.run_number)).toEqual([4, 3]);
    // The run page shows each source's progress; a malformed one is left out, not passed on.
    const d = await runDetails('p12345', 4, ALVRA, pg.deps);
    expect(d.sources.map((s) => s.progress)).toEqual([{ pulses_written: 300, pulses_expected: 1000, bytes_written: 1e6, updated: '2026-11-30T12:00:01Z' }, undefined]);
    expect(d.sources.map((s) => s.file)).toEqual([null, null]); // not written yet
  });
});
