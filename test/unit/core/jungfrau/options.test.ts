/** Detector options (jungfrau.md §5): refusals naming the option, defaults, and how options combine. */
import { describe, expect, test } from 'vitest';
import { RequestRefused } from '../../../../lib/core/errors';
import { DETECTOR_OPTION_NAMES, detectorOptionsSchema, resolveDetectorOptions, validateDetectorOptions } from '../../../../lib/schemas/detector-options';

const DET = 'JF06T08V04';
const resolve = (options: unknown, context = { startPulseId: 1000, stopPulseId: 2000 }) => resolveDetectorOptions(DET, 8, options, context);
const refusal = (options: unknown): RequestRefused => {
  try {
    resolve(options);
  } catch (error) {
    if (error instanceof RequestRefused) return error;
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(options)}`);
};

describe('each option refused with a message naming it', () => {
  test.for([
    ['adc_to_energy', { adc_to_energy: 'yes' }, /adc_to_energy: "yes" is not valid: it must be true or false/],
    ['factor', { adc_to_energy: true, factor: 0 }, /factor: 0 is not valid: it must be a positive number/],
    ['factor', { adc_to_energy: true, factor: '2' }, /factor: "2" is not valid/],
    ['geometry', { geometry: 1 }, /geometry: 1 is not valid: it must be true or false/],
    ['gap_pixels', { gap_pixels: 'no' }, /gap_pixels: "no" is not valid/],
    ['mask', { mask: null }, /mask: null is not valid/],
    ['double_pixels', { double_pixels: 'drop' }, /double_pixels: "drop" is not valid: it must be "keep", "mask" or "interp"/],
    ['double_pixels_action', { double_pixels_action: 'interpolate' }, /double_pixels_action: "interpolate" is not valid/],
    ['module_edge_pixels', { module_edge_pixels: 'interp' }, /module_edge_pixels: "interp" is not valid: it must be "keep" or "mask"/],
    ['roi.signal', { roi: { signal: [0, 100, 5] } }, /roi.signal: \[0,100,5\] must be 4 whole numbers \[y1, y2, x1, x2\]/],
    ['roi', { roi: 'all' }, /roi: "all" is not valid: it must be a dictionary of named rectangles/],
    ['roi.1', { roi: [[0, 1, 0, 1], [0, -1, 0, 1]] }, /roi.1: \[0,-1,0,1\] must be 4 whole numbers/],
    ['roi.a/b', { roi: { 'a/b': [0, 1, 0, 1] } }, /label must be 1 to 64 characters without "\/"/],
    ['downsample', { downsample: [2, 0] }, /downsample: \[2,0\] is not valid: it must be \[N, M\]: two whole numbers >= 1/],
    ['save_ppicker_events_only', { save_ppicker_events_only: 'true' }, /save_ppicker_events_only: "true" is not valid/],
    ['remove_raw_files', { remove_raw_files: 0 }, /remove_raw_files: 0 is not valid/],
    ['crystfel_lists_laser', { crystfel_lists_laser: [] }, /crystfel_lists_laser: \[\] is not valid/],
    ['compression', { compression: 'yes' }, /compression: "yes" is not valid: it must be true or false/],
    ['disabled_modules', { disabled_modules: [8] }, /disabled_modules: module 8 does not exist \(JF06T08V04 has modules 0..7\)/],
    ['disabled_modules', { disabled_modules: [0, 1, 2, 3, 4, 5, 6, 7] }, /disabled_modules: disables every module: nothing would be written/],
    ['disabled_modules', { disabled_modules: [1, 1] }, /names a module twice/],
    ['selected_pulse_ids', { selected_pulse_ids: [999] }, /selected_pulse_ids: pulse id 999 is outside \[start_pulseid, stop_pulseid\]/],
    ['selected_pulse_ids', { selected_pulse_ids: [1.5] }, /selected_pulse_ids: \[1.5\] is not valid/],
    ['unknown', { unknown: true }, /detector option "unknown" is not supported \(supported: adc_to_energy, factor/],
  ] as const)('%s', ([field, options, message]) => {
    const e = refusal(options);
    expect(e.field).toBe(`detectors.${DET}.${field}`);
    expect(e.message).toMatch(new RegExp(`^detectors\\.${DET}\\.${field.replace(/[./]/g, '\\$&')}`));
    expect(e.message).toMatch(message);
  });

  test('checks that need the detector: geometry known, image size, combinations', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ adc_to_energy: true, double_pixels: 'interp', gap_pixels: false }, 'double_pixels', /needs gap_pixels true/],
      [{ adc_to_energy: true, double_pixels_action: 'interp', factor: 2 }, 'double_pixels_action', /cannot be combined with a factor/],
      [{ adc_to_energy: true, double_pixels: 'mask', double_pixels_action: 'keep' }, 'double_pixels', /the same option under two names/],
      [{ adc_to_energy: true, roi: { s: [5, 5, 0, 10] } }, 'roi.s', /needs y1 < y2/],
      [{ adc_to_energy: true, roi: { s: [0, 5, 10, 3] } }, 'roi.s', /needs x1 < x2/],
      [{ adc_to_energy: true, geometry: true, roi: { s: [0, 2136, 0, 10] } }, 'roi.s', /y2 = 2136 must be below 2136, the image height/],
      [{ adc_to_energy: true, geometry: true, roi: { s: [0, 10, 0, 2232] } }, 'roi.s', /x2 = 2232 must be below 2232/],
      [{ adc_to_energy: true, roi: [0, 10, 0, 10], downsample: [2, 2] }, 'downsample', /cannot be combined with roi/],
      [{ adc_to_energy: true, gap_pixels: false, downsample: [5000, 2] }, 'downsample', /larger than the image \(4096 x 1024/],
    ];
    for (const [options, field, message] of cases) {
      const e = refusal(options);
      expect([e.field, e.message]).toEqual([`detectors.${DET}.${field}`, expect.stringMatching(message)]);
    }
    const stripsel = (() => {
      try {
        resolveDetectorOptions('JF05T01V01', 1, { adc_to_energy: true });
      } catch (e) {
        return e as RequestRefused;
      }
    })();
    expect(stripsel?.field).toBe('detectors.JF05T01V01.adc_to_energy');
    expect(stripsel?.message).toMatch(/stripsel detector; leave adc_to_energy out to get the raw file/);
    expect(() => resolveDetectorOptions('JF42T02V01', 2, { adc_to_energy: true })).toThrow(/JF42T02V01 has no geometry/);
    expect(() => validateDetectorOptions(DET, [1])).toThrow(/must be a dictionary of options/);
  });
});

describe('defaults', () => {
  test('nothing asked: raw file only, as it is', () => {
    expect(resolve({})).toMatchObject({
      conversion: false, mask: false, gapPixels: false, geometry: false, doublePixels: 'keep', moduleEdgePixels: 'keep', factor: null,
      rawFileApart: false, convert: false, keepRawFile: true, outputs: [], imageShape: [4096, 1024], dtype: 'uint16', enabledModules: [0, 1, 2, 3, 4, 5, 6, 7],
    });
  });

  test('adc_to_energy: mask, gap pixels, double pixels masked, edges kept, no geometry, float32 keV', () => {
    const r = resolve({ adc_to_energy: true });
    expect(r).toMatchObject({ conversion: true, mask: true, gapPixels: true, geometry: false, doublePixels: 'mask', moduleEdgePixels: 'keep', factor: null, dtype: 'float32' });
    expect(r).toMatchObject({ rawFileApart: true, convert: true, keepRawFile: true, imageShape: [8 * 514, 1030] });
    expect(r.outputs).toEqual([{ group: `data/${DET}`, shape: [8 * 514, 1030], dtype: 'float32' }]);
  });

  test('with a factor: int32; with geometry: the detector image', () => {
    expect(resolve({ adc_to_energy: true, factor: 12.4, geometry: true })).toMatchObject({ dtype: 'int32', factor: 12.4, imageShape: [2136, 2232] });
  });

  test('sub-options without adc_to_energy have no effect (noted for the log)', () => {
    const r = resolve({ geometry: true, factor: 2, double_pixels: 'interp' });
    expect(r).toMatchObject({ conversion: false, geometry: false, factor: null, doublePixels: 'keep', gapPixels: false });
    expect(r.notes).toEqual([expect.stringMatching(/^factor, geometry, double_pixels: no effect without adc_to_energy/)]);
  });

  test('double_pixels_action is the original name of double_pixels', () => {
    expect(resolve({ adc_to_energy: true, double_pixels_action: 'keep' }).doublePixels).toBe('keep');
    expect(resolve({ adc_to_energy: true, double_pixels: 'interp', double_pixels_action: 'interp' }).doublePixels).toBe('interp');
  });

  test('today\'s rules: selected pulse ids as integers, de-duplicated and sorted; disabled modules sorted', () => {
    expect(resolve({ selected_pulse_ids: ['1500', 1200, 1500] }).selectedPulseIds).toEqual([1200, 1500]);
    expect(resolve({ disabled_modules: [5, 2] })).toMatchObject({ disabledModules: [2, 5], enabledModules: [0, 1, 3, 4, 6, 7] });
    expect(resolveDetectorOptions(DET, 8, { selected_pulse_ids: [5] }).selectedPulseIds).toEqual([5]); // no range known: not checked
  });
});

describe('how options combine (sf_daq_broker)', () => {
  test.for([
    // options, raw file apart, converted, raw kept
    [{ compression: true }, true, false, true],
    [{ roi: { s: [0, 10, 0, 10] } }, true, false, true],
    [{ roi: { s: [0, 10, 0, 10] }, compression: true, remove_raw_files: true }, true, false, true],
    [{ adc_to_energy: true }, true, true, true],
    [{ adc_to_energy: true, remove_raw_files: true }, true, true, false],
    [{ disabled_modules: [3] }, true, true, true],
    [{ save_ppicker_events_only: true, remove_raw_files: true }, true, true, false],
    [{ selected_pulse_ids: [1000] }, true, true, true],
    [{ selected_pulse_ids: [] }, false, false, true],
    [{ remove_raw_files: true }, false, false, true],
  ] as const)('%j -> apart %s, converted %s, raw kept %s', ([options, apart, convert, keep]) => {
    expect(resolve(options)).toMatchObject({ rawFileApart: apart, convert, keepRawFile: keep });
  });

  test('the quirk: roi or compression alone leave the raw file, and say so', () => {
    const roi = resolve({ roi: { s: [0, 10, 0, 10] } });
    expect(roi.outputs).toEqual([]);
    expect(roi.notes).toContainEqual(expect.stringMatching(/^roi alone converts nothing \(as at the facility\): the raw file is kept whole, no ROI cut out$/));
    expect(resolve({ compression: true, roi: [0, 10, 0, 10] }).notes).toContainEqual(expect.stringMatching(/^compression and roi alone convert nothing/));
    expect(resolve({ remove_raw_files: true }).notes).toContainEqual(expect.stringMatching(/remove_raw_files: no effect/));
  });

  test('roi with a conversion: one output per rectangle, the whole image not written', () => {
    const r = resolve({ adc_to_energy: true, geometry: true, roi: { signal: [10, 110, 20, 220], background: [0, 5, 0, 5] } });
    expect(r.outputs).toEqual([
      { group: `data/${DET}:ROI_signal`, shape: [100, 200], dtype: 'float32', roi: { label: 'signal', y1: 10, y2: 110, x1: 20, x2: 220 } },
      { group: `data/${DET}:ROI_background`, shape: [5, 5], dtype: 'float32', roi: { label: 'background', y1: 0, y2: 5, x1: 0, x2: 5 } },
    ]);
    expect(resolve({ disabled_modules: [0], roi: [[0, 3, 0, 4]] }).outputs).toEqual([{ group: `data/${DET}:ROI_0`, shape: [3, 4], dtype: 'uint16', roi: { label: '0', y1: 0, y2: 3, x1: 0, x2: 4 } }]);
  });

  test('downsample shapes the output; [1, 1] is none', () => {
    expect(resolve({ adc_to_energy: true, geometry: true, downsample: [4, 4] }).outputs[0]!.shape).toEqual([534, 558]);
    expect(resolve({ adc_to_energy: true, downsample: [1, 1] }).downsample).toBeNull();
  });

  test('mask false makes double_pixels / module_edge_pixels "mask" a note', () => {
    expect(resolve({ adc_to_energy: true, mask: false, module_edge_pixels: 'mask' }).notes).toHaveLength(2);
  });
});

test('the schema: strict, every option named once', () => {
  expect(DETECTOR_OPTION_NAMES).toEqual(Object.keys(detectorOptionsSchema.properties));
  expect(DETECTOR_OPTION_NAMES).toHaveLength(16);
  expect(validateDetectorOptions(DET, { factor: null, adc_to_energy: true })).toEqual({ factor: null, adc_to_energy: true });
});
