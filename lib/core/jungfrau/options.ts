/**
 * Per-detector options of a retrieve request, resolved into what the
 * retriever and the converter do (jungfrau.md §4, §5). Defaults and the way
 * options combine are sf_daq_broker's (writer/detector_writer.py and
 * convert_file.py), quirks included:
 *
 * - The raw file goes apart (BR: `raw_data/`) when adc_to_energy,
 *   compression, disabled_modules, roi, save_ppicker_events_only or
 *   selected_pulse_ids is set, but a converted file is exported only for
 *   adc_to_energy, disabled_modules, save_ppicker_events_only or
 *   selected_pulse_ids: roi or compression alone leave the raw file only
 *   (compression still compresses its frames, as this broker always did).
 * - remove_raw_files removes the raw file only after an export, and never
 *   when no frame is left (decided at run time: `keepRawFile` is the plan).
 * - Without adc_to_energy: no conversion, no mask, no gap pixels, no
 *   geometry, double pixels kept, no factor, whatever else was sent.
 *
 * Where the original ignored a value silently we refuse it (a refusal names
 * the option and the fix) or, for options that merely have no effect, say so
 * in `notes` for the run's log.
 */
import { RequestRefused } from '../errors';
import { imageLayout, lookupGeometry } from './geometry';
import type { DoublePixels, EdgePixels } from './masks';

/** The options as sent (after the JSON Schema), field names as scientists write them. */
export interface DetectorOptionsInput {
  adc_to_energy?: boolean;
  factor?: number | null;
  geometry?: boolean;
  gap_pixels?: boolean;
  mask?: boolean;
  double_pixels?: DoublePixels;
  /** sf_daq_broker's name of `double_pixels`. */
  double_pixels_action?: DoublePixels;
  module_edge_pixels?: EdgePixels;
  roi?: Readonly<Record<string, readonly number[]>> | readonly (readonly number[])[] | readonly number[];
  downsample?: readonly number[];
  save_ppicker_events_only?: boolean;
  remove_raw_files?: boolean;
  crystfel_lists_laser?: boolean;
  compression?: boolean;
  disabled_modules?: readonly number[];
  selected_pulse_ids?: readonly (number | string)[];
}

/** A rectangle of the output image, half-open: rows y1..y2-1, columns x1..x2-1. */
export interface Roi {
  label: string;
  y1: number;
  y2: number;
  x1: number;
  x2: number;
}

export type ImageDType = 'float32' | 'int32' | 'uint16';

/** What the converter needs (a subset of ResolvedDetectorOptions). */
export interface ConversionOptions {
  detector: string;
  modules: number;
  /** Modules in the output, detector order. */
  enabledModules: number[];
  conversion: boolean;
  mask: boolean;
  gapPixels: boolean;
  geometry: boolean;
  doublePixels: DoublePixels;
  moduleEdgePixels: EdgePixels;
  factor: number | null;
  downsample: [number, number] | null;
  rois: Roi[];
}

/** One image dataset of the converted file. */
export interface OutputImage {
  /** `data/<DET>` or `data/<DET>:ROI_<label>`. */
  group: string;
  shape: [number, number];
  dtype: ImageDType;
  roi?: Roi;
}

export interface ResolvedDetectorOptions extends ConversionOptions {
  disabledModules: number[];
  compression: boolean;
  /** Sorted, de-duplicated; null = every pulse. */
  selectedPulseIds: number[] | null;
  ppickerEventsOnly: boolean;
  removeRawFiles: boolean;
  crystfelListsLaser: boolean;
  /** The raw file is written apart (BR `raw_data/`) because some processing was asked for. */
  rawFileApart: boolean;
  /** A converted file is exported (its frames: good ones, selected, pulse picker). */
  convert: boolean;
  /** The raw file stays after the export (also kept at run time when no frame is left). */
  keepRawFile: boolean;
  /** The converted image before roi and downsample. */
  imageShape: [number, number];
  dtype: ImageDType;
  /** The image datasets of the converted file (empty when nothing is converted). */
  outputs: OutputImage[];
  /** Sentences for the run's log: options without effect, quirks that apply. */
  notes: string[];
}

export interface ResolveContext {
  /** For selected_pulse_ids: every id must lie in [start, stop]. */
  startPulseId?: number;
  stopPulseId?: number;
}

const CONVERSION_ONLY = ['factor', 'geometry', 'gap_pixels', 'mask', 'double_pixels', 'double_pixels_action', 'module_edge_pixels'] as const;

/** What an option's check sees: the request's options and what follows from the detector. */
export interface CheckContext {
  detector: string;
  modules: number;
  options: DetectorOptionsInput;
  context: ResolveContext;
  /** adc_to_energy is on. */
  conversion: boolean;
  /** The image the options produce, before roi and downsample. */
  imageShape: [number, number];
  gapPixels: boolean;
  doublePixels: DoublePixels;
  factor: number | null;
}

/** A refusal: the option path below `detectors.<DET>` (e.g. `roi.signal`) and what is wrong, with the fix. */
export interface OptionProblem {
  at: string;
  problem: string;
}

type Check = (ctx: CheckContext) => OptionProblem | undefined;

/**
 * The semantic check of each option (after the JSON Schema), in the order they run.
 * @example OPTION_CHECKS.factor({ ...ctx, factor: -1 }) // { at: 'factor', problem: 'must be a positive number ...' }
 */
export const OPTION_CHECKS: Readonly<Record<keyof DetectorOptionsInput, Check>> = {
  disabled_modules: ({ detector, modules, options }) => {
    const bad = (options.disabled_modules ?? []).find((m) => m >= modules);
    if (bad !== undefined) return { at: 'disabled_modules', problem: `module ${bad} does not exist (${detector} has modules 0..${modules - 1})` };
    if (new Set(options.disabled_modules ?? []).size >= modules) return { at: 'disabled_modules', problem: 'disables every module: nothing would be written' };
    return undefined;
  },
  selected_pulse_ids: ({ options, context }) => {
    const { startPulseId: start, stopPulseId: stop } = context;
    if (options.selected_pulse_ids === undefined || start === undefined || stop === undefined) return undefined;
    const outside = normalisedIds(options.selected_pulse_ids).find((p) => p < start || p > stop);
    return outside === undefined ? undefined : { at: 'selected_pulse_ids', problem: `pulse id ${outside} is outside [start_pulseid, stop_pulseid]` };
  },
  adc_to_energy: ({ detector, modules, options }) => {
    if (options.adc_to_energy !== true) return undefined;
    const found = lookupGeometry(detector);
    if (!found.ok) return { at: 'adc_to_energy', problem: `${found.reason}; leave adc_to_energy out to get the raw file` };
    if (found.geometry.modules !== modules) return { at: 'adc_to_energy', problem: `the geometry of ${detector} has ${found.geometry.modules} modules, the facility lists ${modules}` };
    return undefined;
  },
  double_pixels_action: ({ options }) =>
    options.double_pixels !== undefined && options.double_pixels_action !== undefined && options.double_pixels !== options.double_pixels_action
      ? { at: 'double_pixels', problem: `"${options.double_pixels}" disagrees with double_pixels_action "${options.double_pixels_action}" (the same option under two names: send one)` }
      : undefined,
  double_pixels: ({ options, doublePixels, gapPixels, factor }) => {
    const at = options.double_pixels !== undefined ? 'double_pixels' : 'double_pixels_action';
    if (doublePixels === 'interp' && !gapPixels) return { at, problem: '"interp" spreads double pixels into the gap pixels: it needs gap_pixels true (or choose "keep" or "mask")' };
    if (doublePixels === 'interp' && factor !== null) return { at, problem: '"interp" cannot be combined with a factor (jungfrau_utils refuses it): leave factor out or choose "keep" or "mask"' };
    return undefined;
  },
  factor: ({ factor }) =>
    factor !== null && !(Number.isFinite(factor) && factor > 0) ? { at: 'factor', problem: `must be a positive number of keV per output unit (e.g. the photon energy to count photons), got ${factor}` } : undefined,
  geometry: () => undefined, // any boolean; needs a known geometry, checked with adc_to_energy
  gap_pixels: () => undefined,
  mask: () => undefined,
  module_edge_pixels: () => undefined,
  roi: ({ options, imageShape: [h, w] }) => {
    for (const r of roisOf(options.roi)) {
      const at = `roi.${r.label}`;
      const rect = `[${r.y1}, ${r.y2}, ${r.x1}, ${r.x2}]`;
      if (!(r.y1 < r.y2)) return { at, problem: `${rect} needs y1 < y2 (the form is [y1, y2, x1, x2]: rows y1..y2-1, columns x1..x2-1)` };
      if (!(r.x1 < r.x2)) return { at, problem: `${rect} needs x1 < x2 (the form is [y1, y2, x1, x2]: rows y1..y2-1, columns x1..x2-1)` };
      if (!(r.y2 < h)) return { at, problem: `y2 = ${r.y2} must be below ${h}, the image height with these options (${h} x ${w}; the facility refuses y2 = ${h} too)` };
      if (!(r.x2 < w)) return { at, problem: `x2 = ${r.x2} must be below ${w}, the image width with these options (${h} x ${w}; the facility refuses x2 = ${w} too)` };
    }
    return undefined;
  },
  downsample: ({ options, imageShape: [h, w] }) => {
    if (options.downsample === undefined) return undefined;
    const [n, m] = options.downsample as [number, number];
    if (roisOf(options.roi).length > 0) return { at: 'downsample', problem: 'cannot be combined with roi (jungfrau_utils exports one or the other): drop one of them' };
    if (n > h || m > w) return { at: 'downsample', problem: `[${n}, ${m}] is larger than the image (${h} x ${w} with these options)` };
    return undefined;
  },
  compression: () => undefined,
  save_ppicker_events_only: () => undefined,
  remove_raw_files: () => undefined,
  crystfel_lists_laser: () => undefined,
};

/**
 * Resolve a detector's options (already through the JSON Schema): defaults,
 * combinations, and the checks that need the detector (modules, geometry,
 * image size). Throws RequestRefused naming `detectors.<DET>.<option>`.
 *
 * @example
 *   const r = resolveDetectorOptions('JF06T08V04', 8, { adc_to_energy: true, geometry: true, factor: 0.25 });
 *   r.imageShape // [2136, 2232] (gap pixels by default)
 *   r.dtype      // 'int32'
 *   r.convert    // true
 */
export function resolveDetectorOptions(
  detector: string,
  modules: number,
  options: DetectorOptionsInput,
  context: ResolveContext = {},
): ResolvedDetectorOptions {
  const refuse = ({ at, problem }: OptionProblem): never => {
    const field = `detectors.${detector}.${at}`;
    throw new RequestRefused(field, `${field}: ${problem}`);
  };
  const notes: string[] = [];
  const run = (...names: (keyof DetectorOptionsInput)[]) => {
    for (const name of names) {
      const problem = OPTION_CHECKS[name](ctx);
      if (problem) refuse(problem);
    }
  };

  const disabledModules = [...new Set(options.disabled_modules ?? [])].sort((a, b) => a - b);
  const enabledModules = [...Array(modules).keys()].filter((m) => !disabledModules.includes(m));
  const conversion = options.adc_to_energy === true;
  const factor = conversion ? (options.factor ?? null) : null;
  const gapPixels = conversion ? (options.gap_pixels ?? true) : false;
  const geometry = conversion ? (options.geometry ?? false) : false;
  const mask = conversion ? (options.mask ?? true) : false;
  const doublePixels: DoublePixels = conversion ? (options.double_pixels ?? options.double_pixels_action ?? 'mask') : 'keep';
  const moduleEdgePixels: EdgePixels = conversion ? (options.module_edge_pixels ?? 'keep') : 'keep';
  const ctx: CheckContext = { detector, modules, options, context, conversion, imageShape: [0, 0], gapPixels, doublePixels, factor };

  run('disabled_modules', 'selected_pulse_ids', 'adc_to_energy', 'double_pixels_action', 'factor', 'double_pixels');
  const found = conversion ? lookupGeometry(detector) : undefined;
  const layout = imageLayout(found?.ok ? found.geometry : undefined, { enabledModules, gapPixels, geometry });
  ctx.imageShape = layout.shape;
  run('roi', 'downsample');

  if (!conversion) {
    const without = CONVERSION_ONLY.filter((o) => options[o] !== undefined && options[o] !== null);
    if (without.length > 0) notes.push(`${without.join(', ')}: no effect without adc_to_energy (the raw words are kept)`);
  }
  if (conversion && !mask && doublePixels === 'mask') notes.push('double_pixels "mask": no effect on the values with mask false (the pixel mask still marks them)');
  if (conversion && !mask && moduleEdgePixels === 'mask') notes.push('module_edge_pixels "mask": no effect on the values with mask false (the pixel mask still marks them)');

  // What happens to the files (BR detector_writer.py / convert_file.py).
  const rois = roisOf(options.roi);
  const selectedPulseIds = options.selected_pulse_ids !== undefined ? normalisedIds(options.selected_pulse_ids) : null;
  const compression = options.compression ?? false;
  const ppickerEventsOnly = options.save_ppicker_events_only ?? false;
  const removeRawFiles = options.remove_raw_files ?? false;
  const crystfelListsLaser = options.crystfel_lists_laser ?? false;
  const selected = selectedPulseIds !== null && selectedPulseIds.length > 0;
  const rawFileApart = conversion || compression || disabledModules.length > 0 || rois.length > 0 || ppickerEventsOnly || selected;
  const convert = conversion || disabledModules.length > 0 || ppickerEventsOnly || selected;
  const keepRawFile = !(convert && removeRawFiles);
  if (!convert && rawFileApart) {
    const alone = [compression ? 'compression' : '', rois.length > 0 ? 'roi' : ''].filter(Boolean).join(' and ');
    // The raw frames are still written bitshuffle+LZ4 compressed when asked (the broker always did); nothing is cut out.
    notes.push(`${alone} alone ${alone.includes(' and ') ? 'convert' : 'converts'} nothing (as at the facility): the raw file is kept whole${compression ? ', its frames bitshuffle+LZ4 compressed' : ''}${rois.length > 0 ? ', no ROI cut out' : ''}`);
  }
  if (!convert && removeRawFiles) notes.push('remove_raw_files: no effect, nothing is converted so the raw file is the only file');
  if (crystfelListsLaser && !rawFileApart) notes.push('crystfel_lists_laser: no effect, the lists are made only with a converted file');

  const imageShape = layout.shape;
  const dtype: ImageDType = conversion ? (factor !== null ? 'int32' : 'float32') : 'uint16';
  const requested = options.downsample as [number, number] | undefined;
  const downsample: [number, number] | null = requested && (requested[0] !== 1 || requested[1] !== 1) ? [requested[0], requested[1]] : null;
  if (requested && !convert) notes.push('downsample: no effect, nothing is converted');

  const outputs: OutputImage[] = !convert
    ? []
    : rois.length > 0
      ? rois.map((roi) => ({ group: `data/${detector}:ROI_${roi.label}`, shape: [roi.y2 - roi.y1, roi.x2 - roi.x1] as [number, number], dtype, roi }))
      : [{ group: `data/${detector}`, shape: downsample ? [Math.floor(imageShape[0] / downsample[0]), Math.floor(imageShape[1] / downsample[1])] : imageShape, dtype }];

  return {
    detector,
    modules,
    enabledModules,
    disabledModules,
    conversion,
    mask,
    gapPixels,
    geometry,
    doublePixels,
    moduleEdgePixels,
    factor,
    downsample,
    rois,
    compression,
    selectedPulseIds,
    ppickerEventsOnly,
    removeRawFiles,
    crystfelListsLaser,
    rawFileApart,
    convert,
    keepRawFile,
    imageShape,
    dtype,
    outputs,
    notes,
  };
}

/** "1000" -> 1000 (the 2020 server's int()), de-duplicated, sorted. */
function normalisedIds(ids: readonly (number | string)[]): number[] {
  return [...new Set(ids.map((v) => (typeof v === 'string' ? Number.parseInt(v, 10) : v)))].sort((a, b) => a - b);
}

/** roi as a dictionary label -> [y1, y2, x1, x2], a list of those (labels 0, 1, ...), or one rectangle (label 0). */
export function roisOf(roi: DetectorOptionsInput['roi']): Roi[] {
  if (roi === undefined) return [];
  const rect = (label: string, v: readonly number[]): Roi => ({ label, y1: v[0]!, y2: v[1]!, x1: v[2]!, x2: v[3]! });
  if (Array.isArray(roi)) {
    if (roi.length > 0 && roi.every((v) => typeof v === 'number')) return [rect('0', roi as readonly number[])];
    return (roi as readonly (readonly number[])[]).map((v, i) => rect(String(i), v));
  }
  return Object.entries(roi as Readonly<Record<string, readonly number[]>>).map(([label, v]) => rect(label, v));
}
