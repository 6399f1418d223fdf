/**
 * How a detector of a run is split into work items (issue 13), pure.
 *
 * A Jungfrau 16M frame is 32 MiB; one worker (a Lambda, 15 minutes at most)
 * writes some hundreds of MB/s, so a 60,001-pulse request (1.9 TB) needs many
 * workers. The split is by **pulse ranges**: part p writes the frames
 * p*k .. p*k+k-1 of the requested pulses, all modules. Why not module groups:
 * - the output is row-major [N, modules*512, 1024]: a pulse range is one
 *   contiguous byte range of the file (sequential writes), a module group 32
 *   scattered 1 MiB stripes per frame;
 * - compression and conversion work on whole frames (one chunk = one frame,
 *   geometry places every module on one canvas), and is_good_frame needs
 *   every module of a frame: a module split would need a second pass;
 * - a frame (32 MiB) is small next to a worker's memory, so nothing forces it.
 *
 * Size: parts of at most `itemBytes` of pixels written (raw frames, plus the
 * converted images when converting), split evenly (every part k or k-1
 * frames). The default 8 GiB comes from the deployment's limits
 * (bench/README.md): 40 workers at once share one EFS file system (1-5 GiB/s
 * of writes), so a worker gets 25-128 MiB/s when all run: 8 GiB then takes
 * 64-330 s, well inside Lambda's 900 s even at the slow end.
 */
import { resolveDetectorOptions, type DetectorOptionsInput, type ResolvedDetectorOptions } from './jungfrau/options';
import { MODULE_PIXELS } from './jungfrau/constants';
import { RequestRefused } from './errors';
import { detectorRange } from './rate';
import { detectorModules, type RunRequest } from './run-request';

/** Bytes of one module's pixels in a frame (512 x 1024 uint16). */
export const MODULE_FRAME_BYTES = MODULE_PIXELS * 2;

export interface DetectorWorkConfig {
  /** Pixel bytes one work item writes at most (raw, plus converted when converting). */
  itemBytes: number;
  /** Work items of all detectors of a run at most (the workflow's 256 KB states and 25,000-event history). */
  maxItems: number;
  /** Pixel bytes a run may ask for at most; above it the request is refused at the door. */
  maxBytes: number;
}

/** 8 GiB a part, 500 parts a run: 4 TiB, twice a 16M detector's 60,001 pulses. */
export const DEFAULT_DETECTOR_WORK: DetectorWorkConfig = { itemBytes: 8 * 2 ** 30, maxItems: 500, maxBytes: 500 * 8 * 2 ** 30 };

/** The pulses of a detector, never as an array for a range (60,001 pulses stay three numbers). */
export type DetectorPulses =
  | { kind: 'range'; first: number; last: number; step: number; count: number }
  | { kind: 'selected'; ids: number[]; count: number; dropped: number };

/**
 * The pulse ids a detector writes: `selected_pulse_ids` divisible by the rate, else every multiple of the rate in [start, stop].
 * @example detectorPulses({ start_pulseid: 1001, stop_pulseid: 1095, rate_multiplicator: 10, detectors: { JF: {} } }, 'JF') // { kind: 'range', first: 1010, last: 1090, step: 10, count: 9 }
 */
export function detectorPulses(request: Pick<RunRequest, 'start_pulseid' | 'stop_pulseid' | 'rate_multiplicator' | 'detectors'>, detector: string): DetectorPulses {
  const rate = request.rate_multiplicator;
  const selected = (request.detectors[detector] as { selected_pulse_ids?: readonly (number | string)[] } | undefined)?.selected_pulse_ids;
  if (selected !== undefined) {
    const asked = selected.map(Number);
    const ids = [...new Set(asked.filter((p) => p % rate === 0))].sort((a, b) => a - b);
    return { kind: 'selected', ids, count: ids.length, dropped: asked.length - ids.length };
  }
  const r = detectorRange(request.start_pulseid, request.stop_pulseid, rate);
  return { kind: 'range', first: r.first, last: r.last, step: r.step, count: r.count };
}

/** The i-th pulse id (0 <= i < count). @example pulseAt({ kind: 'range', first: 10, last: 30, step: 10, count: 3 }, 2) // 30 */
export function pulseAt(pulses: DetectorPulses, i: number): number {
  return pulses.kind === 'range' ? pulses.first + i * pulses.step : pulses.ids[i]!;
}

/** What a detector's options make of its frames. */
export interface DetectorProcessing {
  modules: number;
  /** Module folder indexes read, in order (disabled ones left out). */
  enabled: number[];
  /** bitshuffle+LZ4 for the run's file (the raw file, or the converted one). */
  compression: boolean;
  /**
   * Converting (jungfrau.md §5): the run's file is the converted file and the raw
   * frames go to `raw_data/` (removed after a conversion that kept frames with
   * remove_raw_files). Undefined: the run's file is the raw sf_writer file.
   */
  converted?: ResolvedDetectorOptions;
  /** Sentences for the source's log. */
  notes: string[];
}

/** The options today's raw file always took; a request with only these keeps its one raw file. */
const RAW_FILE_OPTIONS = new Set(['compression', 'disabled_modules', 'selected_pulse_ids']);

/**
 * What to write for a detector. A choice where sf_daq_broker and this broker's
 * past differ: options among compression, disabled_modules and
 * selected_pulse_ids keep their meaning of today (one raw file, those modules
 * and pulses, compressed when asked) because scripts rely on it; as soon as a
 * processing option is present (adc_to_energy, roi, downsample,
 * save_ppicker_events_only, ...), `resolveDetectorOptions` decides as the
 * facility's converter does (what is exported, the raw file apart).
 * Throws RequestRefused for options that cannot work.
 *
 * @example detectorProcessing('JF06T08V04', { adc_to_energy: true, compression: true }).converted?.dtype // 'float32'
 */
export function detectorProcessing(detector: string, options: Readonly<Record<string, unknown>> = {}, context: { startPulseId?: number; stopPulseId?: number } = {}): DetectorProcessing {
  const modules = detectorModules(detector);
  const input = options as DetectorOptionsInput;
  const disabled = [...new Set(input.disabled_modules ?? [])];
  const field = `detectors.${detector}.disabled_modules`;
  const outside = disabled.find((m) => !Number.isInteger(m) || m < 0 || m >= modules);
  if (outside !== undefined) throw new RequestRefused(field, `detector ${detector} has modules 0..${modules - 1}; cannot disable module ${outside}`);
  const enabled = [...Array(modules).keys()].filter((m) => !disabled.includes(m));
  if (enabled.length === 0) throw new RequestRefused(field, `detector ${detector}: every module is disabled`);
  const compression = input.compression === true;
  if (Object.keys(options).every((k) => RAW_FILE_OPTIONS.has(k))) return { modules, enabled, compression, notes: [] };
  const resolved = resolveDetectorOptions(detector, modules, input, context);
  if (!resolved.convert) return { modules, enabled: resolved.enabledModules, compression, notes: resolved.notes };
  return { modules, enabled: resolved.enabledModules, compression: resolved.compression, converted: resolved, notes: resolved.notes };
}

const DTYPE_BYTES = { uint16: 2, int32: 4, float32: 4 } as const;

/** Pixel bytes a frame costs: its raw modules, plus its converted images. */
export function frameWorkBytes(processing: DetectorProcessing): { raw: number; converted: number } {
  const raw = processing.enabled.length * MODULE_FRAME_BYTES;
  const converted = (processing.converted?.outputs ?? []).reduce((sum, o) => sum + o.shape[0] * o.shape[1] * DTYPE_BYTES[o.dtype], 0);
  return { raw, converted };
}

/** One detector of a run, split into parts. */
export interface DetectorWork {
  detector: string;
  pulses: DetectorPulses;
  frames: number;
  processing: DetectorProcessing;
  /** Bytes of one raw frame (enabled modules) and of all frames' work (raw + converted). */
  rawFrameBytes: number;
  workBytes: number;
  /** Parts, and frames of the largest part (parts differ by one frame at most). */
  parts: number;
  framesPerPart: number;
}

/**
 * Split a detector into parts of at most `itemBytes` of work, evenly.
 *
 * @example
 *   const w = detectorWork(request, 'JF07T32V01', { itemBytes: 8 * 2 ** 30 }); // 60,001 pulses
 *   w.parts, w.framesPerPart  // 235, 256
 */
export function detectorWork(request: Pick<RunRequest, 'start_pulseid' | 'stop_pulseid' | 'rate_multiplicator' | 'detectors'>, detector: string, config: Pick<DetectorWorkConfig, 'itemBytes'>): DetectorWork {
  const pulses = detectorPulses(request, detector);
  const processing = detectorProcessing(detector, (request.detectors[detector] ?? {}) as Record<string, unknown>, { startPulseId: request.start_pulseid, stopPulseId: request.stop_pulseid });
  const bytes = frameWorkBytes(processing);
  const perFrame = bytes.raw + bytes.converted;
  const frames = pulses.count;
  const fit = Math.max(1, Math.floor(config.itemBytes / perFrame));
  const parts = Math.max(1, Math.ceil(frames / fit));
  return {
    detector, pulses, frames, processing,
    rawFrameBytes: bytes.raw,
    workBytes: frames * perFrame,
    parts,
    framesPerPart: Math.max(1, Math.ceil(frames / parts)),
  };
}

/** The frames of part `p`: indexes first..first+count-1 of the detector's pulses. */
export interface PartRange {
  part: number;
  first: number;
  count: number;
  /** First and last pulse id of the part. */
  firstPulse: number;
  lastPulse: number;
}

/**
 * Part p holds frames floor(p*N/K) .. floor((p+1)*N/K)-1: an even split, no part more than one frame longer than another.
 * @example partRange({ frames: 10, parts: 4, pulses }, 1) // { part: 1, first: 2, count: 3, ... }
 */
export function partRange(work: Pick<DetectorWork, 'frames' | 'parts' | 'pulses'>, part: number): PartRange {
  if (!Number.isInteger(part) || part < 0 || part >= work.parts) throw new RangeError(`part ${part} outside 0..${work.parts - 1}`);
  const first = Math.floor((part * work.frames) / work.parts);
  const count = Math.floor(((part + 1) * work.frames) / work.parts) - first;
  return { part, first, count, firstPulse: pulseAt(work.pulses, first), lastPulse: pulseAt(work.pulses, first + Math.max(count, 1) - 1) };
}

/** A run's detector volume against the deployment's limits. */
export interface DetectorVolume {
  bytes: number;
  items: number;
  perDetector: Array<{ detector: string; bytes: number; items: number; frames: number }>;
}

/** @example detectorVolume(request, DEFAULT_DETECTOR_WORK).bytes // 2.0e12 for JF07T32V01 x 60,001 pulses */
export function detectorVolume(request: Pick<RunRequest, 'start_pulseid' | 'stop_pulseid' | 'rate_multiplicator' | 'detectors'>, config: Pick<DetectorWorkConfig, 'itemBytes'>): DetectorVolume {
  const perDetector = Object.keys(request.detectors).map((detector) => {
    const w = detectorWork(request, detector, config);
    return { detector, bytes: w.workBytes, items: w.frames > 0 ? w.parts : 0, frames: w.frames };
  });
  return { bytes: perDetector.reduce((s, d) => s + d.bytes, 0), items: perDetector.reduce((s, d) => s + d.items, 0), perDetector };
}

/**
 * Why the run's detectors are too much for this deployment, or undefined.
 * @example volumeProblem(volume, { itemBytes: 8 * 2 ** 30, maxItems: 500, maxBytes: 4e12 })
 *   // 'the detectors ask for 6,037 GB of frames (JF07T32V01: 2,013 GB, ...), more than this deployment writes in one run: 4,000 GB ...'
 */
export function volumeProblem(volume: DetectorVolume, config: DetectorWorkConfig): string | undefined {
  const limit = Math.min(config.maxBytes, config.maxItems * config.itemBytes);
  if (volume.bytes <= limit && volume.items <= config.maxItems) return undefined;
  const gb = (b: number) => (b >= 10e9 ? `${Math.round(b / 1e9).toLocaleString('en-US')} GB` : b >= 1e9 ? `${(b / 1e9).toFixed(1)} GB` : `${Math.round(b / 1e6).toLocaleString('en-US')} MB`);
  const parts = volume.perDetector.filter((d) => d.bytes > 0).sort((a, b) => b.bytes - a.bytes);
  const listed = parts.slice(0, 3).map((d) => `${d.detector}: ${gb(d.bytes)} in ${d.frames.toLocaleString('en-US')} frames`).join(', ') + (parts.length > 3 ? `, and ${parts.length - 3} more` : '');
  const why = volume.bytes > limit
    ? `more than this deployment writes in one run: ${gb(limit)} (${config.maxItems} work items of at most ${gb(config.itemBytes)})`
    : `in ${volume.items} work items, more than the ${config.maxItems} one run may have`;
  return `the detectors ask for ${gb(volume.bytes)} of frames (${listed}), ${why}; ask for fewer pulses (a higher rate_multiplicator, selected_pulse_ids, disabled_modules) or split the request`;
}
