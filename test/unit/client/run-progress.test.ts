import { describe, expect, test } from 'vitest';
import { formatRun, runProgress } from '../../../cli/format';
import type { RunStatus } from '../../../lib/client';

const run = (sources: unknown[]): RunStatus => ({ beamline: 'alvra', pgroup: 'p12345', run_number: 7, state: 'retrieving', updated: '2026-12-01T00:00:00Z', sources } as unknown as RunStatus);

describe('progress inside the sources, as sfdaq status shows it', () => {
  test('finished sources count whole, running ones by pulses written; the running source is named', () => {
    const status = run([
      { source: 'BSREAD', kind: 'data', file: 'f', state: 'done' },
      { source: 'JF01T03V01', kind: 'detector', file: 'g', state: 'retrieving', progress: { pulses_written: 500, pulses_expected: 2000, bytes_written: 1, rate_pulses_per_s: 120.4, updated: 'x' } },
    ]);
    const { fraction, detail } = runProgress(status);
    expect(fraction).toBeCloseTo((1 + 0.25) / 2);
    expect(detail).toBe('JF01T03V01 500/2,000 pulses, 120 pulses/s');
    expect(formatRun(status)).toContain('      500 of 2,000 pulses written');
  });

  test('a source without progress counts nothing until it finishes', () => {
    expect(runProgress(run([{ source: 'CAMERAS', kind: 'image', file: 'f', state: 'pending' }]))).toEqual({ fraction: 0, detail: '' });
  });
});
