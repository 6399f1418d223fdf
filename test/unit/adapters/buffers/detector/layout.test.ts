import { describe, expect, test } from 'vitest';
import {
  bufferFilePath,
  FILE_BYTES,
  fileStartPulseId,
  folderStartPulseId,
  latestFilePath,
  moduleFolderName,
  parseDetectorName,
  SLOT_BYTES,
  slotIndex,
  slotOffset,
} from '../../../../../lib/adapters/buffers/detector/layout';
import { readBatches } from '../../../../../lib/adapters/buffers/detector/batches';
import { detectorPulseRange, pulseIdsOf } from '../../../../../lib/adapters/buffers/detector/pulses';

describe('detector buffer layout', () => {
  test('slot and file sizes match sf_daq_buffer', () => {
    expect(SLOT_BYTES).toBe(1_048_617);
    expect(FILE_BYTES).toBe(1_048_617_001);
    expect(slotOffset(999) + SLOT_BYTES).toBe(FILE_BYTES - 1);
  });

  test.for([
    [18_940_426_916n, 18_940_400_000n, 18_940_426_000n, 916],
    [999n, 0n, 0n, 999],
    [1000n, 0n, 1000n, 0],
    [100_000n, 100_000n, 100_000n, 0],
    [199_999n, 100_000n, 199_000n, 999],
  ] as const)('pulse %s -> folder %s, file %s, slot %s', ([pulse, folder, file, slot]) => {
    expect(folderStartPulseId(pulse)).toBe(folder);
    expect(fileStartPulseId(pulse)).toBe(file);
    expect(slotIndex(pulse)).toBe(slot);
  });

  test('paths', () => {
    expect(bufferFilePath('/buf', 'JF01T03V01', 1, 18_940_426_916n)).toBe('/buf/JF01T03V01/M01/18940400000/18940426000.bin');
    expect(latestFilePath('/buf', 'JF07T32V01', 31)).toBe('/buf/JF07T32V01/M31/LATEST');
    expect(moduleFolderName(0)).toBe('M00');
    expect(() => moduleFolderName(100)).toThrow(RangeError);
  });

  test('detector names', () => {
    expect(parseDetectorName('JF01T03V01')).toEqual({ number: 1, modules: 3, version: 1 });
    expect(parseDetectorName('JF07T32V02')).toEqual({ number: 7, modules: 32, version: 2 });
    for (const bad of ['JF1T03V01', 'jf01t03v01', 'JF01T03', 'JF01T03V01 ', 'EG01T03V01', 'JF01T00V01']) {
      expect(() => parseDetectorName(bad), bad).toThrow(/JFxxTyyVzz|no modules/);
    }
  });
});

describe('pulse selection', () => {
  test('closed range with a step', () => {
    expect([...pulseIdsOf({ start: 10n, stop: 14n, step: 2 })]).toEqual([10n, 12n, 14n]);
    expect([...pulseIdsOf([5n, 3n])]).toEqual([5n, 3n]);
    expect(() => [...pulseIdsOf({ start: 1n, stop: 2n, step: 0n })]).toThrow(RangeError);
  });

  test('rate multiplicator picks the first and last ids divisible by it', () => {
    expect(detectorPulseRange(1001n, 1095n, 10)).toEqual({ start: 1010n, stop: 1090n, step: 10n });
    expect(detectorPulseRange(1000n, 1000n, 1)).toEqual({ start: 1000n, stop: 1000n, step: 1n });
    expect(detectorPulseRange(1001n, 1009n, 10)).toBeUndefined();
  });

  test('read batches stay inside one block, merge adjacent slots and pack them', () => {
    const batches = [...readBatches(pulseIdsOf({ start: 990n, stop: 1010n, step: 2 }), 100)];
    expect(batches.map((b) => b.blockStart)).toEqual([900n, 1000n]);
    expect(batches[0]!.runs).toEqual([90, 92, 94, 96, 98].map((first, place) => ({ first, count: 1, place })));
    expect(batches[0]!.places).toEqual([0, 1, 2, 3, 4]);
    const dense = [...readBatches(pulseIdsOf({ start: 995n, stop: 1012n, step: 1 }), 10)];
    expect(dense.map((b) => [b.blockStart, b.runs])).toEqual([
      [990n, [{ first: 5, count: 5, place: 0 }]],
      [1000n, [{ first: 0, count: 10, place: 0 }]],
      [1010n, [{ first: 0, count: 3, place: 0 }]],
    ]);
    const repeats = [...readBatches([7n, 3n, 7n, 4n, 9n], 10)];
    expect(repeats.map((b) => [b.runs, b.places])).toEqual([
      [[{ first: 3, count: 2, place: 0 }, { first: 7, count: 1, place: 2 }, { first: 9, count: 1, place: 3 }], [2, 0, 2, 1, 3]],
    ]);
    expect([...readBatches(Array(25).fill(5n), 10)].map((b) => b.pulseIds.length)).toEqual([10, 10, 5]);
    expect(() => [...readBatches([1n], 7)]).toThrow(/divide 1000/);
  });
});
