import type { DetectorOptionsBody } from '../schemas/detector-options';
import type { RetrieveRequestBody } from '../schemas/retrieve-request';
import { MAX_PULSES_PER_REQUEST } from '../schemas/retrieve-request';
import { RequestRefused } from './errors';
import { closestOf } from './names/distance';

/**
 * Per-detector options after validation, as the scientist sent them
 * (lib/schemas/detector-options.ts: adc_to_energy, factor, geometry, roi, ...),
 * except `selected_pulse_ids`: whole numbers, de-duplicated, sorted. What they
 * mean together (defaults, combinations) is resolved from these by
 * resolveDetectorOptions, at accept (to refuse) and in the retriever.
 */
export type DetectorOptions = Omit<DetectorOptionsBody, 'selected_pulse_ids' | 'disabled_modules'> & {
  disabled_modules?: number[];
  selected_pulse_ids?: number[];
};

/**
 * A retrieve request after the schema and the pure rules: pulse ids as
 * integers, lists de-duplicated in the user's order, defaults filled in.
 * `extra` holds the user's unknown keys, saved as sent.
 */
export interface RunRequest {
  pgroup: string;
  start_pulseid: number;
  stop_pulseid: number;
  rate_multiplicator: number;
  directory_name?: string;
  channels_list: string[];
  camera_list: string[];
  pv_list: string[];
  detectors: Record<string, DetectorOptions>;
  scan_info?: Record<string, unknown>;
  /** false: BSREAD and PVCHANNELS files without compression (default: compressed). */
  bs_compression?: boolean;
}

function dedupe(list: readonly string[] | undefined): string[] {
  return [...new Set(list ?? [])];
}

const toInt = (v: number | string): number => (typeof v === 'string' ? Number.parseInt(v, 10) : v);

/**
 * Apply the request rules that need no outside knowledge, in the original's
 * order where it had one. Throws RequestRefused naming the field.
 */
export function normaliseRequest(body: RetrieveRequestBody): RunRequest {
  const start = toInt(body.start_pulseid);
  const stop = toInt(body.stop_pulseid);
  if (stop < start) throw new RequestRefused('stop_pulseid', `bad start or stop pulseid provided in request parameters: stop_pulseid ${stop} is before start_pulseid ${start}`);
  const n = stop - start + 1;
  if (n > MAX_PULSES_PER_REQUEST) throw new RequestRefused('stop_pulseid', `requested number of pulses ${n} too large (max. ${MAX_PULSES_PER_REQUEST})`);

  const detectors: Record<string, DetectorOptions> = {};
  for (const [name, options] of Object.entries(body.detectors ?? {})) {
    const { selected_pulse_ids: _ids, disabled_modules: _modules, ...asSent } = options;
    const opts: DetectorOptions = { ...asSent };
    if (options.disabled_modules !== undefined) opts.disabled_modules = [...options.disabled_modules];
    if (options.selected_pulse_ids !== undefined) {
      const ids = [...new Set(options.selected_pulse_ids.map(toInt))].sort((a, b) => a - b);
      const outside = ids.find((p) => p < start || p > stop);
      if (outside !== undefined) throw new RequestRefused(`detectors.${name}.selected_pulse_ids`, `detectors.${name}.selected_pulse_ids: pulse id ${outside} is outside [start_pulseid, stop_pulseid]`);
      opts.selected_pulse_ids = ids;
    }
    detectors[name] = opts;
  }

  const request: RunRequest = {
    pgroup: body.pgroup,
    start_pulseid: start,
    stop_pulseid: stop,
    rate_multiplicator: body.rate_multiplicator ?? 1,
    channels_list: dedupe(body.channels_list),
    camera_list: dedupe(body.camera_list),
    pv_list: dedupe(body.pv_list),
    detectors,
  };
  if (body.directory_name !== undefined) request.directory_name = body.directory_name;
  if (body.scan_info !== undefined) request.scan_info = body.scan_info as Record<string, unknown>;
  if (body.bs_compression !== undefined) request.bs_compression = body.bs_compression;

  if (request.channels_list.length + request.camera_list.length + request.pv_list.length + Object.keys(detectors).length === 0) {
    throw new RequestRefused('channels_list', 'request did not contain any channels to be written to file (channels_list, camera_list, pv_list and detectors are all empty)');
  }
  return request;
}

/** Detector module count from its name: JFxxTyyVzz, yy = modules. */
export function detectorModules(name: string): number {
  return Number.parseInt(name.slice(5, 7), 10);
}

/**
 * Rules that need the beamline's detector list: every detector is the
 * beamline's. Each one's options are checked against the detector by
 * checkDetectorOptions (lib/core/detectors/options-at-accept.ts).
 */
export function checkDetectors(request: RunRequest, knownDetectors: readonly string[], beamline: string): void {
  for (const name of Object.keys(request.detectors)) {
    if (!knownDetectors.includes(name)) {
      // One edit only: detector names differing more are other detectors (another beamline's, another module count).
      const close = closestOf(name, knownDetectors, { limit: 3, max: 1 });
      const hint = close.length > 0 ? `; did you mean ${close.join(', ')}?` : '';
      throw new RequestRefused(`detectors.${name}`, `detector ${name} is not known at beamline ${beamline} (known: ${knownDetectors.join(', ') || 'none'})${hint}`);
    }
  }
}
