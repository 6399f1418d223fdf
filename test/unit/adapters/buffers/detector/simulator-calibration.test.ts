/**
 * The simulator as a detector with a calibration: gain-switching hits that the
 * published gain and pedestal files convert back to their energy, pedestal
 * runs whose dark frames give the published pedestals and mask, the files at
 * the facility's paths, and the detector table.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { readCalibration, readGainFile, readPedestalFile } from '../../../../../lib/adapters/jungfrau-files';
import { FacilityClock } from '../../../../../lib/core/clock';
import { newestPedestalAtOrBefore } from '../../../../../lib/core/jungfrau/calibration-files';
import { createConverter } from '../../../../../lib/core/jungfrau/converter';
import { resolveDetectorOptions } from '../../../../../lib/core/jungfrau/options';
import { PedestalAccumulator } from '../../../../../lib/core/jungfrau/pedestal';
import {
  DetectorBufferSimulator,
  expectedFrameHeader,
  fillModulePixels,
  hitsOf,
  moduleDefects,
  NOISE_RMS,
  pedestalGainAt,
  PUBLISHED_PEDESTAL_STAMP,
  simulatedPedestal,
  SIMULATED_DETECTORS,
  type PedestalSchedule,
} from '../../../../../local/simulators/detector';
import { useTempRoot } from './temp-root';

const DET = 'JF03T01V01'; // one module, detector number 3
const MP = 512 * 1024;
const tempRoot = useTempRoot();

describe('gain switching', () => {
  test('row-0 hits: photons in G0, pile-up in G0, G1, G2, saturation every 5th pulse, invalid word every 10th', () => {
    const kinds = new Map<string, number>();
    for (let p = 1000n; p < 1100n; p++) {
      hitsOf(3, 0, p, false).forEach((h, k) => {
        const bits = h.word >>> 14;
        const kind = h.word === 0xc000 ? 'saturated' : bits === 2 ? 'invalid' : `G${[0, 1, -1, 2][bits]}`;
        kinds.set(`${k}:${kind}`, (kinds.get(`${k}:${kind}`) ?? 0) + 1);
      });
    }
    expect(Object.fromEntries(kinds)).toEqual({ '0:G0': 100, '1:G0': 100, '2:G1': 100, '3:G2': 100, '4:saturated': 20, '4:G0': 80, '5:invalid': 10, '5:G0': 90 });
  });

  test('the published gain and pedestal files convert a dense frame back: hits to their keV, dark pixels to ~0', async () => {
    const root = tempRoot();
    const sim = new DetectorBufferSimulator({ root: path.join(root, 'buffer'), detectors: [], clock: new FacilityClock(), retentionPulses: 1e9, pixels: 'dense', calibrationRoot: root });
    const files = await sim.publishCalibration(DET);
    const calibration = await readCalibration(files.gainFile, files.pedestalFile, 1);
    const options = resolveDetectorOptions(DET, 1, { adc_to_energy: true, gap_pixels: false, double_pixels: 'keep', mask: false });
    const converter = createConverter(calibration, options);
    const pulse = 1001n; // no invalid word, no saturation
    const raw = new Uint16Array(MP);
    fillModulePixels(DET, 0, pulse, 'dense', raw);
    const [keV] = converter.allocate(1);
    converter.convert(raw, 1, [keV!]);
    const hits = hitsOf(3, 0, pulse, true);
    const stages = new Set<number>();
    for (const h of hits) {
      if (h.keV === undefined || h.word === 0xc000 || hits.some((o) => o !== h && o.index === h.index)) continue;
      stages.add(h.word >>> 14);
      const tolerance = 1 / Math.abs(calibration.gain[[0, 1, 2, 2][h.word >>> 14]!]![h.index]!); // one ADC count
      expect(Math.abs(keV![h.index]! - h.keV), `hit at ${h.index} of ${h.keV} keV`).toBeLessThanOrEqual(tolerance * 0.51);
    }
    expect([...stages].sort()).toEqual([0, 1, 3]);
    // a dark pixel: pedestal plus noise of RMS 6 ADC at ~40 ADC/keV
    let sum = 0;
    let count = 0;
    for (let i = MP / 2; i < MP / 2 + 10_000; i++) {
      if (hits.some((h) => h.index === i)) continue;
      sum += keV![i]! ** 2;
      count++;
    }
    expect(Math.sqrt(sum / count)).toBeGreaterThan(0.05);
    expect(Math.sqrt(sum / count)).toBeLessThan(0.3);
  });
});

describe('pedestal runs', () => {
  test('dark frames of the three forced stages give the published pedestal and mask (except the id pixels)', () => {
    const schedule: PedestalSchedule = { startPulseId: 5000n, framesPerStage: 100, loops: 1 }; // each row of a frame is one of 8 noise versions: 100 frames see them all
    const acc = new PedestalAccumulator({ modules: 1 });
    const frame = new Uint16Array(MP);
    for (let p = 5000n; p < 5000n + 300n; p++) {
      fillModulePixels(DET, 0, p, 'dense', frame, schedule);
      const daqRec = Number(expectedFrameHeader(DET, 0, p, schedule).daqRec);
      const g = pedestalGainAt(schedule, p)!;
      expect((daqRec >> 12) & 3).toBe(g);
      expect(frame[MP - 1]! >>> 14).toBe(g === 3 ? 3 : g);
      acc.add(frame, 1, { isGoodFrame: [1], daqRec: [daqRec] });
    }
    const result = acc.finish();
    expect(result.stats.used).toEqual([100, 100, 0, 100]);
    const truth = simulatedPedestal(3, 1);
    const isId = (i: number) => i < 6;
    let off = 0;
    let rms = 0;
    let good = 0;
    for (let i = 0; i < MP; i++) {
      if (isId(i)) continue;
      if ((result.pixelMask[i]! & ~1) !== truth.pixelMask[i]) expect(`pixel ${i}: mask ${result.pixelMask[i]}`).toBe(`mask ${truth.pixelMask[i]}`);
      if (truth.pixelMask[i] !== 0) continue; // stuck pixels add their G0 values to G1, as at the facility
      off += Math.abs(result.pedestal[1][i]! - truth.pedestal[1][i]!);
      rms += result.rms[0][i]!;
      good++;
    }
    expect(off / good).toBeLessThan(1); // mean of 8 noise versions of RMS 3: about 0.8
    expect(rms / good).toBeGreaterThan(NOISE_RMS[0] * 0.8);
    expect(rms / good).toBeLessThan(NOISE_RMS[0] * 1.1);
    const { dead, stuck } = moduleDefects(3, 0);
    expect(dead.length + stuck.length).toBeGreaterThan(0);
    for (const i of stuck) expect(result.pixelMask[i]! & ((1 << 2) | (1 << 4))).toBe((1 << 2) | (1 << 4));
  });

  test('takePedestal: the buffer holds dark frames with forced gains, then normal frames again', async () => {
    const root = tempRoot();
    const sim = new DetectorBufferSimulator({ root, detectors: [], clock: new FacilityClock(), retentionPulses: 1e9, pixels: 'sparse' });
    const run = sim.takePedestal(DET, { startPulseId: 1000n, highG0: true });
    expect([run.framesPerStage, run.loops, run.stopPulseId]).toEqual([1000, 1, 3999n]);
    expect(sim.takePedestal('JF01T03V01', { startPulseId: 1n, pedestalmode: true })).toMatchObject({ framesPerStage: 50, loops: 200, stopPulseId: 30_000n });
    await sim.writeRange(DET, 999n, 4001n);
    const slot = (p: bigint) => {
      const file = path.join(root, DET, 'M00', '0', `${(p / 1000n) * 1000n}.bin`);
      const buf = Buffer.alloc(41 + 2048);
      const fd = openSync(file, 'r');
      readSync(fd, buf, 0, buf.length, Number(p % 1000n) * 1_048_617);
      closeSync(fd);
      return { daqRec: Number(buf.readBigUInt64LE(17)), words: new Uint16Array(buf.buffer.slice(41)) };
    };
    for (const [p, gain] of [[999n, undefined], [1000n, 0], [1999n, 0], [2000n, 1], [3000n, 3], [3999n, 3], [4000n, undefined]] as const) {
      const { daqRec, words } = slot(p);
      expect(daqRec & 1, `${p} high G0`).toBe(gain === undefined ? 0 : 1);
      expect((daqRec >> 12) & 3, `${p} forced gain`).toBe(gain ?? 0);
      const bits = new Set([...words.subarray(6)].map((w) => w >>> 14));
      if (gain !== undefined) expect([...bits], `${p} every pixel in the forced stage (no photons)`).toEqual(moduleDefects(3, 0).stuck.some((i) => i >= 6 && i < 1024) && gain !== 0 ? [gain, 0] : [gain]);
      else expect(bits.size, `${p} photons switch gains`).toBeGreaterThan(1);
    }
  });
});

describe('published files', () => {
  test('gain file, pedestal file, config JSON at the facility paths; kept when present', async () => {
    const root = tempRoot();
    const buffer = path.join(root, 'buffer');
    const sim = new DetectorBufferSimulator({ root: buffer, detectors: [], clock: new FacilityClock(), retentionPulses: 1e9, pixels: 'sparse', calibrationRoot: root });
    const files = await sim.publishCalibration('JF04T02V01');
    expect(files).toEqual({
      gainFile: path.resolve(root, 'jungfrau/config/gainMaps/JF04T02V01/gains.h5'),
      pedestalFile: path.resolve(root, `jungfrau/data/pedestal/JF04T02V01/${PUBLISHED_PEDESTAL_STAMP}.h5`),
      configFile: path.resolve(buffer, 'config/JF04T02V01.json'),
    });
    expect(JSON.parse(readFileSync(files.configFile!, 'utf8'))).toEqual({ detector_name: 'JF04T02V01', gain_file: files.gainFile, pedestal_file: files.pedestalFile });
    const gains = await readGainFile(files.gainFile, { modules: 2 });
    expect([gains.gain.length, gains.dtype]).toEqual([6, 'float64']);
    expect(gains.gain[0]![MP + 5]).toBeCloseTo(40, -1);
    expect(gains.gain[1]![5]).toBeLessThan(0);
    const ped = await readPedestalFile(files.pedestalFile, { modules: 2 });
    expect([ped.pedestal.length, ped.pixelMaskDtype, ped.pixelMask[0], ped.pixelMask[6]]).toEqual([3, 'int64', 1, simulatedPedestal(4, 2).pixelMask[6]]);
    expect(newestPedestalAtOrBefore(readdirSync(path.dirname(files.pedestalFile)), '20250101_000000')).toBe(`${PUBLISHED_PEDESTAL_STAMP}.h5`);
    const mtime = statSync(files.gainFile).mtimeMs;
    await sim.publishCalibration('JF04T02V01');
    expect(statSync(files.gainFile).mtimeMs).toBe(mtime);
    expect(existsSync(`${files.gainFile}.partial`)).toBe(false);
  });

  test('the simulator knows the facility detectors, JF06T08V04 and JF07T32V01 included', () => {
    expect(SIMULATED_DETECTORS.JF06T08V04?.modules).toBe(8);
    expect(SIMULATED_DETECTORS.JF07T32V01?.modules).toBe(32);
    for (const [name, d] of Object.entries(SIMULATED_DETECTORS)) expect(Number(name.slice(5, 7))).toBe(d.modules);
  });
});
