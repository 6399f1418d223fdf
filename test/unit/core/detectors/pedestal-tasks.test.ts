import { describe, expect, test } from 'vitest';
import { computeDetectorPedestal, pedestalRunProgress, recordPedestal, type PedestalFilesPort, type PedestalTaskDeps } from '../../../../lib/core/detectors/pedestal-tasks';
import type { PedestalStatus, PedestalStore } from '../../../../lib/core/detectors/ports';
import { MODULE_PIXELS } from '../../../../lib/core/jungfrau/constants';
import type { PedestalResult } from '../../../../lib/core/jungfrau/pedestal';
import type { RunStatus } from '../../../../lib/core/run-status';

const REF = { beamline: 'bernina', pgroup: 'p23456', run_number: 4, stamp: '20250601_120000' };
const NOW = new Date('2025-06-01T10:05:00Z');
const STATUS: PedestalStatus = {
  ...REF, state: 'retrieving', start_pulseid: 1000, stop_pulseid: 1005, rate_multiplicator: 1, pedestalmode: false,
  request_time: '2025-06-01T10:00:00.000Z', updated: '2025-06-01T10:00:00.000Z',
  detectors: [{ detector: 'JF07T01V01', state: 'pending', raw_file: '/sf/x/JF_pedestals/run_000004.JF07T01V01.h5' }],
};

function memoryPedestals(initial?: PedestalStatus): PedestalStore & { last?: PedestalStatus } {
  const store: PedestalStore & { last?: PedestalStatus } = {
    ...(initial ? { last: initial } : {}),
    put: async (s) => void (store.last = structuredClone(s)),
    get: async () => store.last,
  };
  return store;
}

function deps(run: RunStatus | undefined, pedestals = memoryPedestals(STATUS), files?: Partial<PedestalFilesPort>): PedestalTaskDeps & { written: Record<string, unknown> } {
  const written: Record<string, unknown> = {};
  return {
    written,
    store: { getStatus: async () => run },
    pedestals,
    now: () => NOW,
    runContext: async () => ({ ...REF, request: {} as never, output_directory: '/sf/x/JF_pedestals', files: { JF07T01V01: '/sf/x/JF_pedestals/run_000004.JF07T01V01.h5' }, request_time_ms: 0 }),
    computeFiles: {
      readFrames: async () => ({ frames: 0, modules: 1 }),
      readExtraMask: async () => undefined,
      writeResult: async (path: string, result: PedestalResult) => void (written.result = { path, result }),
      publish: async (file: string, detector: string, stamp: string) => ((written.published = { file, detector, stamp }), `/sf/jungfrau/data/pedestal/${detector}/${stamp}.h5`),
      copyCalibration: async (dir: string) => void (written.copies = dir),
      ...files,
    },
  };
}

const run = (state: RunStatus['state'], extra: Partial<RunStatus> = {}) => ({ ...REF, state, updated: NOW.toISOString(), ...extra }) as RunStatus;

describe('pedestalRunProgress: follow the retrieval', () => {
  test('wait while it runs; compute once done (with or without problems), marking the pedestal computing', async () => {
    expect(await pedestalRunProgress(REF, deps(run('retrieving')))).toEqual({ next: 'wait', state: 'retrieving' });
    expect(await pedestalRunProgress(REF, deps(undefined))).toEqual({ next: 'wait', state: 'unknown' });
    for (const state of ['done', 'done_with_problems'] as const) {
      const pedestals = memoryPedestals(STATUS);
      expect(await pedestalRunProgress(REF, deps(run(state), pedestals))).toEqual({ next: 'compute', state });
      expect(pedestals.last?.state).toBe('computing');
    }
  });

  test('give up when the retrieval failed (its reason), or did not finish within 2 hours', async () => {
    expect(await pedestalRunProgress(REF, deps(run('failed', { reason: 'range expired from the detector buffer' } as Partial<RunStatus>)))).toEqual({
      next: 'give_up', state: 'failed', reason: "the pedestal run's retrieval failed: range expired from the detector buffer",
    });
    const old = memoryPedestals({ ...STATUS, request_time: '2025-06-01T07:00:00.000Z' });
    expect(await pedestalRunProgress(REF, deps(run('retrieving'), old))).toMatchObject({ next: 'give_up', reason: "the pedestal run's retrieval did not finish within 2 hours" });
  });
});

describe('computeDetectorPedestal: the raw frames through the accumulator, the result installed', () => {
  /** Dark frames of one module: pixel i has ADC 1000 + (i % 7) in G0, +/-1 alternating by frame; frames forced G0, G1 (gain bits 01), G2 (11). */
  function frames(counts: [number, number, number]) {
    return async (_file: string, _det: string, onBlock: (b: { pixels: Uint16Array; count: number; isGoodFrame: Uint8Array; daqRec: Uint32Array }) => void) => {
      let n = 0;
      for (const [stage, g] of [[0, 0], [1, 1], [2, 3]] as const) {
        for (let f = 0; f < counts[stage]; f++) {
          const pixels = new Uint16Array(MODULE_PIXELS);
          for (let i = 0; i < MODULE_PIXELS; i++) pixels[i] = (g << 14) | (1000 + stage * 100 + (i % 7) + (f % 2 ? 1 : -1));
          onBlock({ pixels, count: 1, isGoodFrame: Uint8Array.of(1), daqRec: Uint32Array.of(g << 12) });
          n++;
        }
      }
      return { frames: n, modules: 1 };
    };
  }

  test('means and RMS per gain, the result beside the raw file, published under the stamp, the calibration copied beside it', async () => {
    const d = deps(run('done'), memoryPedestals(STATUS), { readFrames: frames([4, 2, 2]) });
    const result = await computeDetectorPedestal({ ...REF, detector: 'JF07T01V01' }, d);
    expect(result).toEqual({
      detector: 'JF07T01V01', state: 'done',
      raw_file: '/sf/x/JF_pedestals/run_000004.JF07T01V01.h5',
      result_file: '/sf/x/JF_pedestals/run_000004.JF07T01V01.res.h5',
      calibration_file: '/sf/jungfrau/data/pedestal/JF07T01V01/20250601_120000.h5',
      frames: { analyzed: 8, good: 8, used_g0: 4, used_g1: 2, used_g2: 2, wrong_gain: 0 },
      good_pixels: MODULE_PIXELS, pixels: MODULE_PIXELS,
    });
    const { path, result: written } = d.written.result as { path: string; result: PedestalResult };
    expect(path).toBe(result.result_file);
    expect([written.pedestal[0][3], written.pedestal[1][3], written.pedestal[2][3]]).toEqual([1003, 1103, 1203]);
    expect(written.rms[0][3]).toBeCloseTo(1, 10);
    expect(d.written.published).toEqual({ file: result.result_file, detector: 'JF07T01V01', stamp: REF.stamp });
    expect(d.written.copies).toBe('/sf/x/JF_pedestals');
  });

  test('no good pixel, or a raw file of another detector size: that detector fails with the reason, nothing is written', async () => {
    const bad = deps(run('done'), memoryPedestals(STATUS), { readFrames: frames([1, 0, 0]) });
    expect(await computeDetectorPedestal({ ...REF, detector: 'JF07T01V01' }, bad)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/^no good pixel in 1 good frames/) });
    expect(bad.written).toEqual({});
    const other = deps(run('done'), memoryPedestals(STATUS), { readFrames: async () => ({ frames: 3, modules: 2 }) });
    expect(await computeDetectorPedestal({ ...REF, detector: 'JF07T01V01' }, other)).toMatchObject({ state: 'failed', reason: 'the raw file has 2 modules, JF07T01V01 has 1' });
    expect(await computeDetectorPedestal({ ...REF, detector: 'JF01T03V01' }, other)).toMatchObject({ state: 'failed', reason: 'detector JF01T03V01 is not in pedestal run 4' });
  });
});

describe('recordPedestal: the outcome', () => {
  test('done when every detector made its pedestal', async () => {
    const pedestals = memoryPedestals(STATUS);
    const done = { detector: 'JF07T01V01', state: 'done' as const, calibration_file: '/sf/jungfrau/data/pedestal/JF07T01V01/20250601_120000.h5' };
    const status = await recordPedestal({ ...REF, detectors: ['JF07T01V01'], results: [done] }, { pedestals, now: () => NOW });
    expect(status).toMatchObject({ state: 'done', detectors: [done], finished: NOW.toISOString() });
    expect(status.reason).toBeUndefined();
    expect(pedestals.last).toEqual(status);
  });

  test("failed with the reasons: a task's error (its message, no server path), or the retrieval given up", async () => {
    const crashed = { detector: 'JF07T01V01', state: 'failed' as const, error: { Error: 'Runtime.OutOfMemory', Cause: JSON.stringify({ errorType: 'Runtime.OutOfMemory', errorMessage: 'out of memory reading /mnt/sf/secret/file.h5' }) } };
    const failed = await recordPedestal({ ...REF, detectors: ['JF07T01V01'], results: [crashed] }, { pedestals: memoryPedestals(STATUS), now: () => NOW });
    expect(failed.state).toBe('failed');
    expect(failed.detectors[0]).toMatchObject({ detector: 'JF07T01V01', state: 'failed', raw_file: STATUS.detectors[0]!.raw_file });
    expect(failed.reason).toMatch(/^JF07T01V01: Runtime.OutOfMemory: out of memory reading /);
    expect(failed.reason).not.toMatch(/\/mnt\/sf\/secret/);
    const gaveUp = await recordPedestal({ ...REF, detectors: ['JF07T01V01'], run: { next: 'give_up', state: 'failed', reason: "the pedestal run's retrieval failed: x" } }, { pedestals: memoryPedestals(STATUS), now: () => NOW });
    expect(gaveUp).toMatchObject({ state: 'failed', reason: "the pedestal run's retrieval failed: x", detectors: [{ detector: 'JF07T01V01', state: 'failed', reason: "the pedestal run's retrieval failed: x" }] });
  });
});
