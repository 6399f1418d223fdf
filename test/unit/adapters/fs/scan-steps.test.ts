import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createExclusive, recordScanStep, renderScan, type ScanFile, type ScanStep } from '../../../../lib/adapters/fs/scan-steps';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scan-steps-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const step = (run: number, start: number): ScanStep => ({
  run_number: run,
  scan_info: { scan_name: 's', motors_name: ['m'], motors_value: [run], motors_readback_value: [run + 0.5], step_info: { run } },
  files: [`/raw/run_${run}.BSREAD.h5`],
  range: [start, start + 99],
});

describe('scan steps: one file per step, the scan file rendered from all of them', () => {
  test('createExclusive creates once, whole, and never overwrites', async () => {
    const path = join(dir, 'a.json');
    expect(await createExclusive(path, 'first')).toBe(true);
    expect(await createExclusive(path, 'second')).toBe(false);
    expect(await readFile(path, 'utf8')).toBe('first');
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  test('render orders steps by pulse, not by arrival, with the 2020 fields', () => {
    const scan = renderScan([step(3, 300), step(1, 100), step(2, 200)]);
    expect(scan.pulseIds).toEqual([[100, 199], [200, 299], [300, 399]]);
    expect(scan.scan_values).toEqual([[1], [2], [3]]);
    expect(scan.scan_readbacks).toEqual([[1.5], [2.5], [3.5]]);
    expect(scan.scan_step_info).toEqual([{ run: 1 }, { run: 2 }, { run: 3 }]);
    expect(scan.scan_parameters.name).toEqual(['m']);
  });

  test('50 concurrent steps of one scan: all 50 in the file, in pulse order; a repeated step is not added twice', async () => {
    const steps = join(dir, 'steps');
    await (await import('node:fs/promises')).mkdir(steps);
    const scanPath = join(dir, 'scan.json');
    // Interleaved at every await: the renders race as they would between processes.
    const order = Array.from({ length: 50 }, (_, i) => i).sort(() => Math.random() - 0.5);
    await Promise.all(order.map((i) => recordScanStep(steps, scanPath, step(i + 1, 1000 + 100 * i), `run_${String(i + 1).padStart(6, '0')}`)));
    await recordScanStep(steps, scanPath, step(7, 1600), 'run_000007');
    const scan = JSON.parse(await readFile(scanPath, 'utf8')) as ScanFile;
    expect(scan.pulseIds.length).toBe(50);
    expect(scan.pulseIds.map((r) => r[0])).toEqual(Array.from({ length: 50 }, (_, i) => 1000 + 100 * i));
  });
});
