import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { DetectorBufferReader } from '../../../../../lib/adapters/buffers/detector/reader';
import { BufferUnavailable, RangeExpired } from '../../../../../lib/core/errors';
import { FacilityClock } from '../../../../../lib/core/clock';
import { DetectorBufferSimulator, type DetectorFaultPlan } from '../../../../../local/simulators/detector';
import { useTempRoot } from './temp-root';

const DET = 'JF01T03V01';
const tempRoot = useTempRoot();
const later = () => Date.now() + 60_000; // every module idle by then

async function reader(ranges: Array<[bigint, bigint]>, faults?: DetectorFaultPlan): Promise<DetectorBufferReader> {
  const root = tempRoot();
  const sim = new DetectorBufferSimulator({ root, detectors: [DET], clock: new FacilityClock(), retentionPulses: 100_000, pixels: 'sparse', faults });
  for (const [start, stop] of ranges) await sim.writeRange(DET, start, stop);
  return new DetectorBufferReader({ root, detector: DET });
}

describe('DetectorBufferReader.probe', () => {
  test('available once every running module holds stop', async () => {
    const r = await reader([[990n, 1010n]]);
    const status = await r.probe(995n, 1005n);
    expect(status).toMatchObject({ state: 'available', partiallyExpired: false });
    expect(status.modules.map((m) => [m.index, m.running, m.passedStop])).toEqual([[0, true, true], [1, true, true], [2, true, true]]);
  });

  test('not yet written while a running module has not reached stop; a stopped module is not waited for', async () => {
    const r = await reader([[990n, 1010n]]);
    expect((await r.probe(995n, 1020n)).state).toBe('not-yet-written');
    expect((await r.probe(995n, 9000n)).state).toBe('not-yet-written');
    expect((await r.probe(995n, 1020n, { now: later })).state).toBe('available');
    expect((await r.probe(995n, 1020n, { idleAfterMs: -1 })).state).toBe('available');
  });

  test('the slowest running module decides; disabling it frees the range', async () => {
    const r = await reader([[990n, 1010n]], { missingPulseIds: [1010n], faultModules: [2] });
    expect((await r.probe(1000n, 1010n)).state).toBe('not-yet-written');
    expect((await r.probe(1000n, 1010n, { disabledModules: [2] })).state).toBe('available');
  });

  test('a later file means stop is behind the writer', async () => {
    const r = await reader([[990n, 1000n], [2000n, 2001n]]);
    expect((await r.probe(990n, 1500n)).state).toBe('available');
  });

  test('expired when every file of the range is gone and only newer files remain', async () => {
    const r = await reader([[5000n, 5010n]]);
    const error = await r.probe(1000n, 1999n).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeExpired);
    expect((error as RangeExpired).message).toBe('range expired from the detector buffer');
    expect((error as RangeExpired).buffer).toBe('detector');
    expect(await r.probe(4000n, 5005n)).toMatchObject({ state: 'available', partiallyExpired: true });
  });

  test('an empty detector folder is not written yet; a missing one is unavailable', async () => {
    const root = tempRoot();
    mkdirSync(path.join(root, DET, 'M00'), { recursive: true });
    expect((await new DetectorBufferReader({ root, detector: DET }).probe(1n, 2n)).state).toBe('not-yet-written');
    await expect(new DetectorBufferReader({ root, detector: 'JF09T01V01' }).probe(1n, 2n)).rejects.toBeInstanceOf(BufferUnavailable);
    await expect(new DetectorBufferReader({ root, detector: DET }).probe(3n, 2n)).rejects.toThrow(/after stop/);
  });
});
