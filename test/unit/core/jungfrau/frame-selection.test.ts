/** Frames a converted file keeps, CrystFEL lists, and the header bits they read (jungfrau.md §5). */
import { expect, test } from 'vitest';
import { crystfelLists, highGainOfFirstGoodFrame, keptFrames } from '../../../../lib/core/jungfrau/frame-selection';
import { adcOf, forcedGainOf, gainBitsOf, isHighGain, isLaserLight, isPulsePickerEvent, pixelWord } from '../../../../lib/core/jungfrau/pixel-word';

const frames = {
  pulseId: [100, 101, 102, 103, 104],
  isGoodFrame: [1, 1, 0, 1, 1],
  daqRec: [1 << 19, 1 << 16, 1 << 19, (1 << 19) | (1 << 16) | (1 << 17), 1 << 17],
};

test('kept frames: good ones, then selected pulse ids, then the pulse picker', () => {
  expect(keptFrames(frames, { selectedPulseIds: null, ppickerEventsOnly: false })).toEqual([0, 1, 3, 4]);
  expect(keptFrames(frames, { selectedPulseIds: [101, 102, 103], ppickerEventsOnly: false })).toEqual([1, 3]);
  expect(keptFrames(frames, { selectedPulseIds: [], ppickerEventsOnly: true })).toEqual([0, 3]);
  expect(keptFrames({ ...frames, pulseId: frames.pulseId.map(BigInt) }, { selectedPulseIds: [104], ppickerEventsOnly: false })).toEqual([4]);
});

test('CrystFEL lists: light = bit 16 set and bit 17 clear', () => {
  expect(crystfelLists('/sf/x/run_000001.JF06T08V04.h5', [0, 1, 2, 3], [1 << 16, 1 << 17, (1 << 16) | (1 << 17), 0])).toEqual({
    light: ['/sf/x/run_000001.JF06T08V04.h5 //0'],
    dark: ['/sf/x/run_000001.JF06T08V04.h5 //1', '/sf/x/run_000001.JF06T08V04.h5 //2', '/sf/x/run_000001.JF06T08V04.h5 //3'],
  });
});

test('pixel word and daq_rec bits', () => {
  expect([gainBitsOf(0xc000), adcOf(0xc000), gainBitsOf(0x8005), adcOf(0x8005)]).toEqual([3, 0, 2, 5]);
  expect(pixelWord(1, 2000)).toBe(0x47d0);
  expect([isHighGain(1), isHighGain(2n), forcedGainOf(3 << 12), isPulsePickerEvent(1 << 19), isLaserLight(1 << 16), isLaserLight(3 << 16)]).toEqual([true, false, 3, true, true, false]);
});

test('high gain: bit 0 of the first good frame', () => {
  expect(highGainOfFirstGoodFrame({ isGoodFrame: [0, 1, 1], daqRec: [0, 1, 0] })).toBe(true);
  expect(highGainOfFirstGoodFrame({ isGoodFrame: [0, 1, 1], daqRec: [1, 0, 1] })).toBe(false);
  expect(highGainOfFirstGoodFrame({ isGoodFrame: [0], daqRec: [1] })).toBe(false);
});
