/**
 * The facility's detector endpoints (jungfrau.md §7), each for the caller's
 * own beamline: which detectors it has, which of them are running (from the
 * detector buffer's LATEST markers), and powering one on.
 */
import { beamlineOf } from '../accept';
import { RequestRefused } from '../errors';
import type { Caller, FacilityConfig } from '../facility';
import { parseJungfrauName } from '../jungfrau/detector-name';
import type { DetectorControl, ModuleMarkers } from './ports';

/** A module runs if its LATEST marker was written less than this long ago (the facility's rule). */
export const RUNNING_MARKER_SECONDS = 30;

/** The caller's beamline and its detectors; refused when it has none (as the original). */
export function beamlineDetectors(facility: FacilityConfig, caller: Caller): { beamline: string; detectors: string[] } {
  const beamline = beamlineOf(facility, caller);
  const detectors = Object.keys(facility.beamlines[beamline]?.detectors ?? {});
  if (detectors.length === 0) throw new RequestRefused(undefined, `beamline ${beamline} has no detectors (the facility config lists none)`);
  return { beamline, detectors };
}

export interface AllowedDetectors {
  beamline: string;
  detectors: string[];
  /** Per detector its description, else its name. */
  descriptions: string[];
  /** Per detector its live view `sf-daq-<daq>:<5000 + id>`, null when the facility names no DAQ machine. */
  visualisation_address: Array<string | null>;
}

/**
 * GET /get_allowed_detectors.
 * @example allowedDetectors(facility, caller) // { beamline: 'alvra', detectors: ['JF01T03V01'], descriptions: ['Jungfrau 1.5M'], visualisation_address: ['sf-daq-12:5001'] }
 */
export function allowedDetectors(facility: FacilityConfig, caller: Caller): AllowedDetectors {
  const { beamline, detectors } = beamlineDetectors(facility, caller);
  const configs = facility.beamlines[beamline]!.detectors!;
  return {
    beamline,
    detectors,
    descriptions: detectors.map((d) => configs[d]?.description ?? d),
    visualisation_address: detectors.map((d) => {
      const daq = configs[d]?.daq;
      const id = parseJungfrauName(d)?.id;
      return daq !== undefined && id !== undefined ? `sf-daq-${daq}:${5000 + id}` : null;
    }),
  };
}

export interface RunningDetectors {
  beamline: string;
  /** Every module running. */
  running_detectors: string[];
  /** No module running. */
  missing_detectors: string[];
  /** Some modules running, some not: module indexes of each. */
  limping_detectors: Record<string, { running_modules: number[]; missing_modules: number[] }>;
}

/**
 * GET /get_running_detectors: per detector of the beamline, its modules'
 * LATEST markers; a module runs if its marker is younger than 30 s.
 *
 * @example await runningDetectors(facility, caller, markers) // { running_detectors: ['JF01T03V01'], missing_detectors: [], limping_detectors: {} }
 */
export async function runningDetectors(facility: FacilityConfig, caller: Caller, markers: ModuleMarkers): Promise<RunningDetectors> {
  const { beamline, detectors } = beamlineDetectors(facility, caller);
  const result: RunningDetectors = { beamline, running_detectors: [], missing_detectors: [], limping_detectors: {} };
  for (const detector of detectors) {
    const modules = parseJungfrauName(detector)?.modules ?? 0;
    const ages = await markers.latestAges(detector, modules);
    const running = ages.flatMap((age, m) => (age !== undefined && age < RUNNING_MARKER_SECONDS ? [m] : []));
    const missing = ages.flatMap((age, m) => (age !== undefined && age < RUNNING_MARKER_SECONDS ? [] : [m]));
    if (missing.length === 0) result.running_detectors.push(detector);
    else if (running.length === 0) result.missing_detectors.push(detector);
    else result.limping_detectors[detector] = { running_modules: running, missing_modules: missing };
  }
  return result;
}

/**
 * POST /power_on_detector `{detector_name}`: a detector of the caller's
 * beamline, through the detector control (refused clearly where there is none).
 */
export async function powerOnDetector(detector: string, facility: FacilityConfig, caller: Caller, control: DetectorControl): Promise<{ beamline: string; message: string }> {
  const { beamline, detectors } = beamlineDetectors(facility, caller);
  if (!detectors.includes(detector)) throw new RequestRefused('detector_name', `${detector} does not belong to beamline ${beamline} (its detectors: ${detectors.join(', ')})`);
  await control.powerOn(detector);
  return { beamline, message: `request to power on detector ${detector} sent, wait a few minutes` };
}
