/**
 * A request's detector options, checked at accept against each detector:
 * defaults and combinations resolved (lib/core/jungfrau/options.ts), every
 * refusal naming `detectors.<DET>.<option>`, and, when a detector's frames
 * are to be converted, its calibration files looked for, so a run is never
 * numbered for a conversion that cannot happen.
 */
import { RequestRefused } from '../errors';
import { gainFilePath, newestPedestalAtOrBefore, pedestalDirectory, pedestalStamp } from '../jungfrau/calibration-files';
import { resolveDetectorOptions, type DetectorOptionsInput, type ResolvedDetectorOptions } from '../jungfrau/options';
import { detectorModules, type RunRequest } from '../run-request';
import type { CalibrationLookup } from './ports';

/** How calibration paths are shown to scientists: as the facility names them, under /sf. */
const SHOWN_ROOT = '/sf';

export interface CheckedDetectors {
  resolved: Record<string, ResolvedDetectorOptions>;
  /** For the run's status: what options do (or do not) do, per detector. */
  notes: string[];
}

/**
 * Resolve every detector's options and, for a conversion, find its gain file
 * and a pedestal taken at or before `requestTime`. Throws RequestRefused
 * naming the option (or `detectors.<DET>.adc_to_energy` for a missing
 * calibration, with how to get it).
 *
 * @example
 *   await checkDetectorOptions(request, new Date(), calibration)
 *   // throws: detectors.JF01T03V01.adc_to_energy: no pedestal of JF01T03V01 taken at or before 20250601_120000 ...
 */
export async function checkDetectorOptions(request: RunRequest, requestTime: Date, calibration?: CalibrationLookup): Promise<CheckedDetectors> {
  const resolved: Record<string, ResolvedDetectorOptions> = {};
  const notes: string[] = [];
  for (const [detector, options] of Object.entries(request.detectors)) {
    const r = resolveDetectorOptions(detector, detectorModules(detector), options as DetectorOptionsInput, {
      startPulseId: request.start_pulseid,
      stopPulseId: request.stop_pulseid,
    });
    resolved[detector] = r;
    notes.push(...r.notes.map((note) => `${detector}: ${note}`));
  }
  if (calibration) {
    for (const [detector, r] of Object.entries(resolved)) {
      if (r.conversion) await checkCalibration(detector, request.pgroup, requestTime, calibration);
    }
  }
  return { resolved, notes };
}

/** The gain file must exist; a pedestal must have been taken at or before the run. */
async function checkCalibration(detector: string, pgroup: string, requestTime: Date, calibration: CalibrationLookup): Promise<void> {
  const field = `detectors.${detector}.adc_to_energy`;
  if (!(await calibration.hasGainFile(detector))) {
    throw new RequestRefused(field, `${field}: ${detector} has no gain file (${gainFilePath(SHOWN_ROOT, detector)}), so its frames cannot be converted to keV: ask the detector group to install its gain maps, or leave adc_to_energy out to get the raw file`);
  }
  const stamp = pedestalStamp(requestTime);
  const names = await calibration.pedestalNames(detector);
  if (newestPedestalAtOrBefore(names, stamp) === undefined) {
    const later = names.some((n) => /^\d{8}_\d{6}\.h5$/.test(n));
    throw new RequestRefused(
      field,
      `${field}: no pedestal of ${detector} taken at or before this run (${stamp}) in ${pedestalDirectory(SHOWN_ROOT, detector)}/${later ? ' (only later ones)' : ''}: ` +
        `take a pedestal run first (POST /take_pedestal {"pgroup": "${pgroup}", "detectors": ["${detector}"]}, or sfdaq pedestal -p ${pgroup} -d ${detector} --wait), or leave adc_to_energy out to get the raw file`,
    );
  }
}
