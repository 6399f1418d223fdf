/**
 * How a detector is split into parts, how far it is refused, how its parts'
 * progress reads as one detector (pure: lib/core/detector-work.ts,
 * detector-progress.ts, door.ts).
 */
import { describe, expect, test } from 'vitest';
import { checkDetectorVolume } from '../../../../lib/core/door';
import { aggregateProgress } from '../../../../lib/core/detector-progress';
import { DEFAULT_DETECTOR_WORK, detectorVolume, detectorWork, partRange, volumeProblem } from '../../../../lib/core/detector-work';
import type { RunRequest } from '../../../../lib/core/run-request';

const MiB = 2 ** 20;
const req = (detectors: Record<string, object>, start = 10_000_000_000, pulses = 60_001, rate = 1) =>
  ({ pgroup: 'p1', start_pulseid: start, stop_pulseid: start + pulses - 1, rate_multiplicator: rate, channels_list: [], camera_list: [], pv_list: [], detectors }) as RunRequest;

describe('parts', () => {
  test('a 16M detector x 60,001 pulses: 235 parts of at most 8 GiB, split evenly, every frame in exactly one part', () => {
    const w = detectorWork(req({ JF07T32V01: {} }), 'JF07T32V01', DEFAULT_DETECTOR_WORK);
    expect(w).toMatchObject({ frames: 60_001, rawFrameBytes: 32 * MiB, parts: 235 });
    expect(w.workBytes).toBe(60_001 * 32 * MiB); // 2.01 TB
    const ranges = Array.from({ length: w.parts }, (_, p) => partRange(w, p));
    expect(Math.max(...ranges.map((r) => r.count)) * w.rawFrameBytes).toBeLessThanOrEqual(DEFAULT_DETECTOR_WORK.itemBytes);
    expect(Math.max(...ranges.map((r) => r.count)) - Math.min(...ranges.map((r) => r.count))).toBeLessThanOrEqual(1);
    ranges.forEach((r, p) => expect(r.first).toBe(p === 0 ? 0 : ranges[p - 1]!.first + ranges[p - 1]!.count));
    expect(ranges.at(-1)!.first + ranges.at(-1)!.count).toBe(60_001);
    expect(ranges[1]).toMatchObject({ firstPulse: 10_000_000_000 + ranges[1]!.first, lastPulse: 10_000_000_000 + ranges[1]!.first + ranges[1]!.count - 1 });
  });

  test('the rate, selected pulse ids and disabled modules size the parts; a small detector is one part', () => {
    const at10 = detectorWork(req({ JF07T32V01: {} }, 10_000_000_005, 60_001, 10), 'JF07T32V01', DEFAULT_DETECTOR_WORK);
    expect(at10).toMatchObject({ frames: 6_000, parts: 24, pulses: { kind: 'range', first: 10_000_000_010, step: 10 } });
    expect(partRange(at10, 23)).toMatchObject({ lastPulse: 10_000_060_000 });
    const selected = detectorWork(req({ JF06T08V04: { selected_pulse_ids: [10_000_000_004, 10_000_000_003, 10_000_000_001] } }, 10_000_000_000, 100, 1), 'JF06T08V04', { itemBytes: 2 * 8 * MiB });
    expect(selected).toMatchObject({ frames: 3, parts: 2 });
    expect([partRange(selected, 0), partRange(selected, 1)].map((r) => [r.firstPulse, r.lastPulse])).toEqual([[10_000_000_001, 10_000_000_001], [10_000_000_003, 10_000_000_004]]);
    const disabled = detectorWork(req({ JF07T32V01: { disabled_modules: [0, 1, 2, 3, 4, 5, 6, 7] } }), 'JF07T32V01', DEFAULT_DETECTOR_WORK);
    expect(disabled).toMatchObject({ rawFrameBytes: 24 * MiB, parts: 176 });
    expect(detectorWork(req({ JF01T03V01: {} }, 1, 1000), 'JF01T03V01', DEFAULT_DETECTOR_WORK).parts).toBe(1);
  });

  test('converting adds the converted images to the work (float32: twice the raw bytes, plus gap pixels)', () => {
    const raw = detectorWork(req({ JF06T08V04: {} }), 'JF06T08V04', DEFAULT_DETECTOR_WORK);
    const converted = detectorWork(req({ JF06T08V04: { adc_to_energy: true } }), 'JF06T08V04', DEFAULT_DETECTOR_WORK);
    expect(converted.processing.converted?.outputs[0]).toMatchObject({ shape: [8 * 514, 1030], dtype: 'float32' });
    expect(converted.workBytes).toBe(60_001 * (8 * MiB + 8 * 514 * 1030 * 4));
    expect(converted.parts).toBeGreaterThan(2.9 * raw.parts);
  });

  test("today's options keep one raw file; a processing option converts; a module that does not exist is refused", () => {
    expect(detectorWork(req({ JF06T08V04: { compression: true, disabled_modules: [1], selected_pulse_ids: [10_000_000_000] } }), 'JF06T08V04', DEFAULT_DETECTOR_WORK).processing.converted).toBeUndefined();
    expect(detectorWork(req({ JF06T08V04: { save_ppicker_events_only: true } }), 'JF06T08V04', DEFAULT_DETECTOR_WORK).processing.converted).toMatchObject({ conversion: false, dtype: 'uint16' });
    expect(() => detectorWork(req({ JF01T03V01: { disabled_modules: [3] } }), 'JF01T03V01', DEFAULT_DETECTOR_WORK)).toThrow(/has modules 0..2; cannot disable module 3/);
  });
});

describe('refused at the door with the numbers', () => {
  test('16M x 60,001 pulses fits the default (4.3 TB); four of them do not, and the message says the size and the limit', () => {
    expect(() => checkDetectorVolume(req({ JF07T32V01: {} }), DEFAULT_DETECTOR_WORK)).not.toThrow();
    const four = req({ JF07T32V01: {}, JF08T32V01: {}, JF09T32V01: {}, JF10T32V01: {} });
    expect(() => checkDetectorVolume(four, DEFAULT_DETECTOR_WORK)).toThrow(
      /^the detectors ask for 8,053 GB of frames \(JF07T32V01: 2,013 GB in 60,001 frames, JF08T32V01: 2,013 GB in 60,001 frames, JF09T32V01: 2,013 GB in 60,001 frames, and 1 more\), more than this deployment writes in one run: 4,295 GB \(500 work items of at most 8.6 GB\)/,
    );
    try {
      checkDetectorVolume(four, DEFAULT_DETECTOR_WORK);
    } catch (error) {
      expect(error).toMatchObject({ name: 'RequestRefused', field: 'detectors' });
    }
  });

  test('SFDAQ_MAX_DETECTOR_BYTES lowers the limit; too many items is refused even under the byte limit', () => {
    const config = { ...DEFAULT_DETECTOR_WORK, maxBytes: 100e9 };
    expect(volumeProblem(detectorVolume(req({ JF06T08V04: {} }, 1, 10_000), config), config)).toBeUndefined(); // 84 GB
    expect(volumeProblem(detectorVolume(req({ JF06T08V04: {} }, 1, 12_000), config), config)).toMatch(/101 GB .* 100 GB/);
    const small = { itemBytes: 8 * MiB, maxItems: 10, maxBytes: 1e12 };
    expect(volumeProblem(detectorVolume(req({ JF06T08V04: {} }, 1, 11), small), small)).toMatch(/^the detectors ask for 92 MB of frames \(JF06T08V04: 92 MB in 11 frames\), more than this deployment writes in one run: 84 MB/);
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`JF${10 + i}T01V01`, {}]));
    expect(volumeProblem(detectorVolume(req(eleven, 1, 1), small), small)).toMatch(/in 11 work items, more than the 10 one run may have/);
  });
});

describe('progress: parts fold into their detector', () => {
  test('items done, pulses and bytes summed, the rates of running parts added, other sources untouched', () => {
    const at = (s: number) => `2025-06-01T12:00:0${s}.000Z`;
    const folded = aggregateProgress({
      BSREAD: { pulses_written: 5, pulses_expected: 10, bytes_written: 1, updated: at(1) },
      JF07T32V01: { pulses_written: 0, pulses_expected: 300, bytes_written: 0, items_done: 0, items_total: 3, updated: at(0) },
      'JF07T32V01#0': { pulses_written: 100, pulses_expected: 100, bytes_written: 100, rate_pulses_per_s: 9, items_total: 3, updated: at(3) },
      'JF07T32V01#2': { pulses_written: 40, pulses_expected: 100, bytes_written: 40, rate_pulses_per_s: 7.5, items_total: 3, updated: at(5) },
    });
    expect(folded).toEqual({
      BSREAD: { pulses_written: 5, pulses_expected: 10, bytes_written: 1, updated: at(1) },
      JF07T32V01: { pulses_written: 140, pulses_expected: 300, bytes_written: 140, rate_pulses_per_s: 7.5, items_done: 1, items_total: 3, updated: at(5) },
    });
  });
});
