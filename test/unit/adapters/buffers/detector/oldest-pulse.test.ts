import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { oldestDetectorPulse } from '../../../../../lib/adapters/buffers/detector/oldest-pulse';
import { useTempRoot } from './temp-root';

const tempRoot = useTempRoot();

/** Empty buffer files (the listing reads names only): `<root>/<DET>/M<ii>/<pulse//100000*100000>/<start>.bin`. */
function files(root: string, detector: string, module: number, starts: number[]): void {
  for (const start of starts) {
    const dir = path.join(root, detector, `M${String(module).padStart(2, '0')}`, String(Math.floor(start / 100_000) * 100_000));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${start}.bin`), '');
  }
}

describe("the detector buffer's oldest pulse, from its listing", () => {
  test('the latest of the modules\' oldest files (older pulses are incomplete); a module without files does not count', async () => {
    const root = tempRoot();
    files(root, 'JF01T03V01', 0, [1_099_000, 1_100_000, 1_101_000]);
    files(root, 'JF01T03V01', 1, [1_100_000, 1_101_000]);
    expect(await oldestDetectorPulse(root, 'JF01T03V01', 3)).toBe(1_100_000);
    expect(await oldestDetectorPulse(root, 'JF01T03V01', [0])).toBe(1_099_000);
  });

  test('no files at all (or no folder): unknown', async () => {
    const root = tempRoot();
    expect(await oldestDetectorPulse(root, 'JF07T32V01', 32)).toBeUndefined();
  });
});
