import { describe, expect, test } from 'vitest';
import { checkDetectorOptions } from '../../../../lib/core/detectors/options-at-accept';
import type { CalibrationLookup } from '../../../../lib/core/detectors/ports';
import { RequestRefused } from '../../../../lib/core/errors';
import { normaliseRequest } from '../../../../lib/core/run-request';
import { validateRetrieveBody } from '../../../../lib/schemas/validate';

const DET = 'JF06T08V04';
const base = { pgroup: 'p12345', start_pulseid: 1000, stop_pulseid: 2000 };
const at = new Date('2025-06-01T10:00:00Z'); // 20250601_120000 in Zurich
/** A facility with the gain file and a pedestal of 2025-06-01 09:00 (Zurich) for every detector. */
const calibrated: CalibrationLookup = { hasGainFile: async () => true, pedestalNames: async () => ['20250601_090000.h5', 'notes.txt'] };

/** The accept path's checks of the options in order: the schema, the request rules, the resolution against the detector. */
async function accept(options: unknown, calibration: CalibrationLookup | undefined = calibrated) {
  const request = normaliseRequest(validateRetrieveBody({ ...base, detectors: { [DET]: options } }));
  return { request, ...(await checkDetectorOptions(request, at, calibration)) };
}

async function refusal(options: unknown, calibration?: CalibrationLookup): Promise<RequestRefused> {
  try {
    await accept(options, calibration);
  } catch (error) {
    expect(error).toBeInstanceOf(RequestRefused);
    return error as RequestRefused;
  }
  throw new Error(`expected a refusal for ${JSON.stringify(options)}`);
}

describe('every detector option is checked at accept, a refusal naming it', () => {
  test.for([
    ['adc_to_energy', { adc_to_energy: 'yes' }, 'adc_to_energy', /"yes" is not valid: it must be true or false/],
    ['factor negative', { adc_to_energy: true, factor: -1 }, 'factor', /must be a positive number/],
    ['factor text', { adc_to_energy: true, factor: '12.4' }, 'factor', /it must be a positive number \(keV per output unit\), or null/],
    ['geometry', { adc_to_energy: true, geometry: 1 }, 'geometry', /it must be true or false/],
    ['gap_pixels', { adc_to_energy: true, gap_pixels: 'no' }, 'gap_pixels', /it must be true or false/],
    ['double_pixels value', { adc_to_energy: true, double_pixels: 'spread' }, 'double_pixels', /"keep", "mask" or "interp"/],
    ['double_pixels interp without gap pixels', { adc_to_energy: true, double_pixels: 'interp', gap_pixels: false }, 'double_pixels', /needs gap_pixels true/],
    ['double_pixels interp with a factor', { adc_to_energy: true, double_pixels: 'interp', factor: 12.4 }, 'double_pixels', /cannot be combined with a factor/],
    ['double_pixels two names disagreeing', { adc_to_energy: true, double_pixels: 'keep', double_pixels_action: 'mask' }, 'double_pixels', /disagrees with double_pixels_action/],
    ['module_edge_pixels', { adc_to_energy: true, module_edge_pixels: 'cut' }, 'module_edge_pixels', /"keep" or "mask"/],
    ['roi rectangle of 3', { adc_to_energy: true, roi: { signal: [0, 100, 5] } }, 'roi.signal', /must be 4 whole numbers \[y1, y2, x1, x2\]/],
    ['roi label with a slash', { adc_to_energy: true, roi: { 'a/b': [0, 1, 0, 1] } }, 'roi.a/b', /without "\/"/],
    ['roi upside down', { adc_to_energy: true, roi: { signal: [100, 50, 0, 10] } }, 'roi.signal', /needs y1 < y2/],
    ['roi outside the image', { adc_to_energy: true, geometry: true, roi: { signal: [0, 5000, 0, 10] } }, 'roi.signal', /must be below .*the image height with these options/],
    ['downsample zero', { adc_to_energy: true, downsample: [0, 2] }, 'downsample', /two whole numbers >= 1/],
    ['downsample with roi', { adc_to_energy: true, downsample: [2, 2], roi: { s: [0, 10, 0, 10] } }, 'downsample', /cannot be combined with roi/],
    ['save_ppicker_events_only', { save_ppicker_events_only: 'true' }, 'save_ppicker_events_only', /it must be true or false/],
    ['remove_raw_files', { remove_raw_files: 1 }, 'remove_raw_files', /it must be true or false/],
    ['compression', { compression: 'lz4' }, 'compression', /it must be true or false/],
    ['disabled_modules beyond the detector', { disabled_modules: [9] }, 'disabled_modules', /module 9 does not exist \(JF06T08V04 has modules 0..7\)/],
    ['disabled_modules every one', { disabled_modules: [0, 1, 2, 3, 4, 5, 6, 7] }, 'disabled_modules', /disables every module/],
    ['selected_pulse_ids outside the range', { selected_pulse_ids: [5] }, 'selected_pulse_ids', /pulse id 5 is outside/],
    ['an option that does not exist', { threshold: 3 }, 'threshold', /option "threshold" is not supported/],
  ] as const)('%s', async ([, options, option, message]) => {
    const error = await refusal(options);
    expect(error.field).toBe(`detectors.${DET}.${option}`);
    expect(error.message).toMatch(new RegExp(`^detectors\\.${DET}\\.${option.replace('/', '\\/')}: `));
    expect(error.message).toMatch(message);
  });
});

describe('accepted options', () => {
  test('are kept as sent (selected_pulse_ids as whole numbers, sorted) and resolved with the defaults', async () => {
    const options = {
      adc_to_energy: true, factor: 12.4, geometry: true, double_pixels_action: 'mask', module_edge_pixels: 'mask',
      roi: { signal: [0, 100, 0, 200] }, save_ppicker_events_only: true, remove_raw_files: true, compression: true,
      disabled_modules: [3], selected_pulse_ids: ['1500', 1200, 1200],
    };
    const { request, resolved } = await accept(options);
    expect(request.detectors[DET]).toEqual({ ...options, selected_pulse_ids: [1200, 1500] });
    const r = resolved[DET]!;
    expect([r.conversion, r.gapPixels, r.geometry, r.doublePixels, r.dtype, r.convert, r.keepRawFile]).toEqual([true, true, true, 'mask', 'int32', true, false]);
    expect(r.outputs.map((o) => [o.group, o.shape])).toEqual([[`data/${DET}:ROI_signal`, [100, 200]]]);
  });

  test('roi or compression alone leave the raw file as it is (the facility quirk), said in the notes', async () => {
    const { resolved, notes } = await accept({ compression: true, roi: { signal: [0, 10, 0, 10] } });
    expect([resolved[DET]!.convert, resolved[DET]!.rawFileApart, resolved[DET]!.keepRawFile]).toEqual([false, true, true]);
    expect(notes).toEqual([`${DET}: compression and roi alone convert nothing (as at the facility): the raw file is kept whole, its frames bitshuffle+LZ4 compressed, no ROI cut out`]);
  });

  test('conversion options without adc_to_energy have no effect, noted', async () => {
    const { notes } = await accept({ geometry: true, factor: 3 });
    expect(notes).toEqual([`${DET}: factor, geometry: no effect without adc_to_energy (the raw words are kept)`]);
  });
});

describe('calibration at accept: a conversion needs the gain file and a pedestal taken at or before the run', () => {
  test('no gain file: refused saying so', async () => {
    const error = await refusal({ adc_to_energy: true }, { ...calibrated, hasGainFile: async () => false });
    expect(error.field).toBe(`detectors.${DET}.adc_to_energy`);
    expect(error.message).toMatch(/has no gain file \(\/sf\/jungfrau\/config\/gainMaps\/JF06T08V04\/gains.h5\)/);
  });

  test('no pedestal, or only later ones: refused with how to take one', async () => {
    for (const names of [[], ['20250601_130000.h5']]) {
      const error = await refusal({ adc_to_energy: true }, { ...calibrated, pedestalNames: async () => names });
      expect(error.field).toBe(`detectors.${DET}.adc_to_energy`);
      expect(error.message).toMatch(/no pedestal of JF06T08V04 taken at or before this run \(20250601_120000\)/);
      expect(error.message).toMatch(/POST \/take_pedestal \{"pgroup": "p12345", "detectors": \["JF06T08V04"\]\}, or sfdaq pedestal -p p12345 -d JF06T08V04 --wait/);
    }
  });

  test('the raw file only (no adc_to_energy) needs no calibration', async () => {
    const none: CalibrationLookup = { hasGainFile: async () => false, pedestalNames: async () => [] };
    await expect(accept({ compression: true }, none)).resolves.toBeDefined();
  });
});
