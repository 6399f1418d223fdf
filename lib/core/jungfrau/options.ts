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
 *   selected_pulse_ids: roi or compression alone leave the raw file only.
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
import { lookupGeometry, imageLayout, type DetectorGeometry } from './geometry';
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
  const field = (option: string) => `detectors.${detector}.${option}`;
  const refuse = (option: string, message: string): never => {
    throw new RequestRefused(field(option), `${field(option)}: ${message}`);
  };
  const notes: string[] = [];

  // disabled_modules and selected_pulse_ids: today's rules and messages (run-request.ts).
  const disabledModules = [...new Set(options.disabled_modules ?? [])].sort((a, b) => a - b);
  const badModule = (options.disabled_modules ?? []).find((m) => m >= modules);
  if (badModule !== undefined) refuse('disabled_modules', `module ${badModule} does not exist (${detector} has modules 0..${modules - 1})`);
  if (disabledModules.length >= modules) {
    throw new RequestRefused(field('disabled_modules'), `${field('disabled_modules')} disables every module: nothing would be written`);
  }
  const enabledModules = [...Array(modules).keys()].filter((m) => !disabledModules.includes(m));
  let selectedPulseIds: number[] | null = null;
  if (options.selected_pulse_ids !== undefined) {
    const ids = [...new Set(options.selected_pulse_ids.map((v) => (typeof v === 'string' ? Number.parseInt(v, 10) : v)))].sort((a, b) => a - b);
    const { startPulseId: start, stopPulseId: stop } = context;
    if (start !== undefined && stop !== undefined) {
      const outside = ids.find((p) => p < start || p > stop);
      if (outside !== undefined) refuse('selected_pulse_ids', `pulse id ${outside} is outside [start_pulseid, stop_pulseid]`);
    }
    selectedPulseIds = ids;
  }

  // adc_to_energy and its sub-options.
  const conversion = options.adc_to_energy === true;
  if (options.double_pixels !== undefined && options.double_pixels_action !== undefined && options.double_pixels !== options.double_pixels_action) {
    refuse('double_pixels', `"${options.double_pixels}" disagrees with double_pixels_action "${options.double_pixels_action}" (they are the same option: send one)`);
  }
  const dpOption = options.double_pixels !== undefined ? 'double_pixels' : 'double_pixels_action';
  let geometryTable: DetectorGeometry | undefined;
  if (conversion) {
    const found = lookupGeometry(detector);
    if (!found.ok) refuse('adc_to_energy', `${found.reason}; leave adc_to_energy out to get the raw file`);
    else geometryTable = found.geometry;
    if (geometryTable && geometryTable.modules !== modules) {
      refuse('adc_to_energy', `the geometry of ${detector} has ${geometryTable.modules} modules, the facility lists ${modules}`);
    }
  } else {
    const without = CONVERSION_ONLY.filter((o) => options[o] !== undefined && options[o] !== null);
    if (without.length > 0) notes.push(`${without.join(', ')}: no effect without adc_to_energy (the raw words are kept)`);
  }
  const factor = conversion ? (options.factor ?? null) : null;
  const gapPixels = conversion ? (options.gap_pixels ?? true) : false;
  const geometry = conversion ? (options.geometry ?? false) : false;
  const mask = conversion ? (options.mask ?? true) : false;
  const doublePixels: DoublePixels = conversion ? (options.double_pixels ?? options.double_pixels_action ?? 'mask') : 'keep';
  const moduleEdgePixels: EdgePixels = conversion ? (options.module_edge_pixels ?? 'keep') : 'keep';
  if (factor !== null && !(Number.isFinite(factor) && factor > 0)) refuse('factor', `must be a positive number of keV (e.g. 1 for photon energy units), got ${factor}`);
  if (doublePixels === 'interp' && !gapPixels) {
    refuse(dpOption, '"interp" spreads double pixels into the gap pixels: it needs gap_pixels true (or choose "keep" or "mask")');
  }
  if (doublePixels === 'interp' && factor !== null) {
    refuse(dpOption, '"interp" cannot be combined with a factor (jungfrau_utils refuses it): leave factor out or choose "keep" or "mask"');
  }
  if (conversion && !mask && doublePixels === 'mask') notes.push('double_pixels "mask": no effect on the values with mask false (the pixel mask still marks them)');
  if (conversion && !mask && moduleEdgePixels === 'mask') notes.push('module_edge_pixels "mask": no effect on the values with mask false (the pixel mask still marks them)');

  // What happens to the files (BR detector_writer.py / convert_file.py).
  const rois = roisOf(options.roi);
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
    notes.push(`${alone} alone convert nothing (as at the facility): the raw file is kept as it is, uncompressed and uncut`);
  }
  if (!convert && removeRawFiles) notes.push('remove_raw_files: no effect, nothing is converted so the raw file is the only file');
  if (crystfelListsLaser && !rawFileApart) notes.push('crystfel_lists_laser: no effect, the lists are made only with a converted file');

  const layout = imageLayout(geometryTable, { enabledModules, gapPixels, geometry });
  const imageShape = layout.shape;
  const dtype: ImageDType = conversion ? (factor !== null ? 'int32' : 'float32') : 'uint16';

  let downsample: [number, number] | null = null;
  if (options.downsample !== undefined) {
    const [n, m] = options.downsample as [number, number];
    if (rois.length > 0) refuse('downsample', 'cannot be combined with roi (jungfrau_utils exports one or the other): drop one of them');
    if (n > imageShape[0] || m > imageShape[1]) {
      refuse('downsample', `[${n}, ${m}] is larger than the image (${imageShape[0]} x ${imageShape[1]} with these options)`);
    }
    if (n !== 1 || m !== 1) downsample = [n, m];
    if (!convert) notes.push('downsample: no effect, nothing is converted');
  }
  for (const r of rois) {
    const where = `roi.${r.label}`;
    const [h, w] = imageShape;
    if (!(r.y1 < r.y2)) refuse(where, `[${r.y1}, ${r.y2}, ${r.x1}, ${r.x2}] needs y1 < y2 (the form is [y1, y2, x1, x2], rows y1..y2-1)`);
    if (!(r.x1 < r.x2)) refuse(where, `[${r.y1}, ${r.y2}, ${r.x1}, ${r.x2}] needs x1 < x2 (the form is [y1, y2, x1, x2], columns x1..x2-1)`);
    if (!(r.y2 < h)) refuse(where, `y2 = ${r.y2} must be below the image height ${h} (the image is ${h} x ${w} with these options; the facility refuses y2 = ${h})`);
    if (!(r.x2 < w)) refuse(where, `x2 = ${r.x2} must be below the image width ${w} (the image is ${h} x ${w} with these options; the facility refuses x2 = ${w})`);
  }

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

/** roi as a dictionary label -> [y1, y2, x1, x2], a list of those (labels 0, 1, ...), or one rectangle (label 0). */
function roisOf(roi: DetectorOptionsInput['roi']): Roi[] {
  if (roi === undefined) return [];
  const rect = (label: string, v: readonly number[]): Roi => ({ label, y1: v[0]!, y2: v[1]!, x1: v[2]!, x2: v[3]! });
  if (Array.isArray(roi)) {
    if (roi.length > 0 && roi.every((v) => typeof v === 'number')) return [rect('0', roi as readonly number[])];
    return (roi as readonly (readonly number[])[]).map((v, i) => rect(String(i), v));
  }
  return Object.entries(roi as Readonly<Record<string, readonly number[]>>).map(([label, v]) => rect(label, v));
}
