/**
 * Conversion speed of JF06T08 (8 modules, 4.2 Mpixel a frame), printed, not
 * asserted (the machine is shared): SFDAQ_BENCH=1 npx vitest run test/unit/core/jungfrau/speed.test.ts
 */
import { expect, test } from 'vitest';
import { createConverter } from '../../../../lib/core/jungfrau/converter';
import { knownCalibration, knownRaw, resolved } from './fixtures';

test.runIf(process.env.SFDAQ_BENCH === '1')('JF06T08V04 frames per second', { timeout: 900_000 }, () => {
  const modules = 8;
  const calibration = knownCalibration(modules, 6, 3, 997);
  const frames = 32;
  const raw = knownRaw(modules, frames);
  const rows: string[] = [];
  for (const options of [
    { adc_to_energy: true },
    { adc_to_energy: true, geometry: true },
    { adc_to_energy: true, geometry: true, factor: 12.4 },
    { adc_to_energy: true, geometry: true, double_pixels: 'interp' as const },
    { adc_to_energy: true, geometry: true, roi: { signal: [100, 1100, 100, 1100] } },
    { adc_to_energy: true, geometry: true, downsample: [2, 2] },
  ]) {
    const t0 = performance.now();
    const c = createConverter(calibration, resolved('JF06T08V04', modules, options));
    const setupMs = performance.now() - t0;
    const out = c.allocate(frames);
    c.convert(raw, 4, out); // warm up
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    c.convert(raw, frames, out);
    const wallS = (performance.now() - w0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    rows.push(`${JSON.stringify(options).padEnd(78)} ${c.images[0]!.shape.join('x').padEnd(10)} setup ${setupMs.toFixed(0).padStart(5)} ms  ${(frames / wallS).toFixed(1).padStart(6)} frames/s wall  ${(frames / cpuS).toFixed(1).padStart(6)} frames/s CPU`);
  }
  console.log(rows.join('\n'));
  expect(rows).toHaveLength(6);
});
