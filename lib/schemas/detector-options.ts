/**
 * The per-detector options of a retrieve request (`detectors.<DET>`): the
 * JSON Schema (one source of truth for the shape and, through
 * json-schema-to-ts, the type), its validator with messages in the
 * scientist's terms, and the resolution into what the retriever does
 * (lib/core/jungfrau/options.ts: defaults, combinations, per-option checks).
 *
 * Names are sf_daq_broker's; `double_pixels` is also accepted under its
 * original name `double_pixels_action`.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { FromSchema } from 'json-schema-to-ts';
import { RequestRefused } from '../core/errors';
import {
  resolveDetectorOptions as resolveOptions,
  type DetectorOptionsInput,
  type ResolveContext,
  type ResolvedDetectorOptions,
} from '../core/jungfrau/options';

const MAX_PULSES = 60_001;
const MAX_ROIS = 64;
const MAX_SIDE = 100_000;

const pulseId = {
  anyOf: [
    { type: 'integer', minimum: 0, maximum: 9007199254740991 },
    { type: 'string', pattern: '^[0-9]{1,16}$' },
  ],
} as const;

const doublePixels = { type: 'string', enum: ['keep', 'mask', 'interp'] } as const;
/** [y1, y2, x1, x2] on the output image, half-open. */
const rectangle = { type: 'array', items: { type: 'integer', minimum: 0, maximum: MAX_SIDE }, minItems: 4, maxItems: 4 } as const;
/** An ROI label becomes part of an HDF5 group name `<DET>:ROI_<label>`. */
export const ROI_LABEL_PATTERN = '^(?!\\.{1,2}$)[^/]{1,64}$';

export const detectorOptionsSchema = {
  $id: 'DetectorOptions',
  type: 'object',
  properties: {
    adc_to_energy: { type: 'boolean', description: 'convert ADC to keV with the gain and pedestal files' },
    factor: { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'null' }], description: 'divide keV by this and round to int32 (adc_to_energy)' },
    geometry: { type: 'boolean', description: 'place modules as the detector geometry says (adc_to_energy; default false)' },
    gap_pixels: { type: 'boolean', description: 'insert the gap pixels between chips (adc_to_energy; default true)' },
    mask: { type: 'boolean', description: 'set bad pixels to 0 (adc_to_energy; default true)' },
    double_pixels: { ...doublePixels, description: 'keep, mask or interp(olate) the double pixels (adc_to_energy; default mask)' },
    double_pixels_action: { ...doublePixels, description: 'the original name of double_pixels' },
    module_edge_pixels: { type: 'string', enum: ['keep', 'mask'], description: 'keep or mask the module edges (adc_to_energy; default keep)' },
    roi: {
      anyOf: [
        { type: 'object', propertyNames: { pattern: ROI_LABEL_PATTERN }, additionalProperties: rectangle, minProperties: 1, maxProperties: MAX_ROIS },
        { type: 'array', items: rectangle, minItems: 1, maxItems: MAX_ROIS },
        rectangle,
      ],
      description: 'named rectangles [y1, y2, x1, x2] of the output image, each saved instead of the whole image',
    },
    downsample: { type: 'array', items: { type: 'integer', minimum: 1, maximum: MAX_SIDE }, minItems: 2, maxItems: 2, description: '[N, M]: sum N x M pixel blocks' },
    save_ppicker_events_only: { type: 'boolean', description: 'keep only frames with the pulse picker open (daq_rec bit 19)' },
    remove_raw_files: { type: 'boolean', description: 'delete the raw file after a conversion' },
    crystfel_lists_laser: { type: 'boolean', description: 'write CrystFEL light/dark lists next to the converted file' },
    compression: { type: 'boolean', description: 'bitshuffle+LZ4' },
    disabled_modules: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 99 }, maxItems: 100, uniqueItems: true },
    selected_pulse_ids: { type: 'array', items: pulseId, maxItems: MAX_PULSES },
  },
  additionalProperties: false,
} as const;

export type DetectorOptionsBody = FromSchema<typeof detectorOptionsSchema>;

/** Every option name, for messages ("supported: ..."). */
export const DETECTOR_OPTION_NAMES = Object.keys(detectorOptionsSchema.properties) as (keyof DetectorOptionsBody)[];

// The schema's type must be what the core resolves (a compile-time check).
const sameShape = (body: DetectorOptionsBody): DetectorOptionsInput => body;
void sameShape;

/** How each option is written, for refusals. */
const FORMS: Record<keyof DetectorOptionsBody, string> = {
  adc_to_energy: 'true or false',
  factor: 'a positive number (keV per output unit), or null',
  geometry: 'true or false',
  gap_pixels: 'true or false',
  mask: 'true or false',
  double_pixels: '"keep", "mask" or "interp"',
  double_pixels_action: '"keep", "mask" or "interp"',
  module_edge_pixels: '"keep" or "mask"',
  roi: 'a dictionary of named rectangles, e.g. {"signal": [y1, y2, x1, x2]} with whole numbers (rows y1..y2-1, columns x1..x2-1), or a list of such rectangles',
  downsample: '[N, M]: two whole numbers >= 1',
  save_ppicker_events_only: 'true or false',
  remove_raw_files: 'true or false',
  crystfel_lists_laser: 'true or false',
  compression: 'true or false',
  disabled_modules: 'a list of distinct module numbers, e.g. [0, 3]',
  selected_pulse_ids: 'a list of pulse ids (whole numbers)',
};

const ajv = new Ajv({ strict: true, allErrors: false, allowUnionTypes: false });
const validate = ajv.compile(detectorOptionsSchema) as ValidateFunction<DetectorOptionsBody>;

/**
 * Check one detector's options against the schema; throws RequestRefused
 * naming `detectors.<DET>.<option>` (and the ROI label when one is at fault).
 *
 * @example validateDetectorOptions('JF06T08V04', { roi: { signal: [0, 100, 5] } })
 *   // throws: detectors.JF06T08V04.roi.signal: must be 4 whole numbers [y1, y2, x1, x2] (...)
 */
export function validateDetectorOptions(detector: string, options: unknown): DetectorOptionsBody {
  const base = `detectors.${detector}`;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new RequestRefused(base, `${base} must be a dictionary of options (e.g. {"adc_to_energy": true}), got ${JSON.stringify(options)}`);
  }
  if (validate(options)) return options;
  throw refusal(base, options as Record<string, unknown>, validate.errors ?? []);
}

function refusal(base: string, options: Record<string, unknown>, errors: ErrorObject[]): RequestRefused {
  const first = errors[0];
  if (!first) return new RequestRefused(base, `${base} is invalid`);
  const parts = first.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (first.keyword === 'additionalProperties' && parts.length === 0) {
    const option = String(first.params.additionalProperty);
    const field = `${base}.${option}`;
    return new RequestRefused(field, `${field}: detector option ${JSON.stringify(option)} is not supported (supported: ${DETECTOR_OPTION_NAMES.join(', ')})`);
  }
  const option = (parts[0] ?? '') as keyof DetectorOptionsBody;
  const form = FORMS[option];
  if (option === 'roi') return roiRefusal(base, options.roi);
  const field = `${base}.${option}`;
  const value = JSON.stringify(options[option]);
  if (option === 'disabled_modules' && first.keyword === 'uniqueItems') return new RequestRefused(field, `${field}: ${value} names a module twice (${form})`);
  return new RequestRefused(field, `${field}: ${value} is not valid: it must be ${form}`);
}

/** The anyOf of roi gives poor errors: say which rectangle is wrong. */
function roiRefusal(base: string, roi: unknown): RequestRefused {
  const field = `${base}.roi`;
  const form = FORMS.roi;
  const bad = (v: unknown) => !(Array.isArray(v) && v.length === 4 && v.every((n) => Number.isInteger(n) && n >= 0 && n <= MAX_SIDE));
  if (roi !== null && typeof roi === 'object' && !Array.isArray(roi)) {
    const entries = Object.entries(roi);
    if (entries.length === 0) return new RequestRefused(field, `${field}: is empty; ${form}`);
    if (entries.length > MAX_ROIS) return new RequestRefused(field, `${field}: at most ${MAX_ROIS} rectangles`);
    for (const [label, v] of entries) {
      const at = `${field}.${label}`;
      if (!new RegExp(ROI_LABEL_PATTERN, 'u').test(label)) return new RequestRefused(at, `${at}: the label must be 1 to 64 characters without "/" (it names an HDF5 group)`);
      if (bad(v)) return new RequestRefused(at, `${at}: ${JSON.stringify(v)} must be 4 whole numbers [y1, y2, x1, x2] (rows y1..y2-1, columns x1..x2-1 of the output image)`);
    }
  }
  if (Array.isArray(roi) && roi.some((v) => Array.isArray(v))) {
    if (roi.length > MAX_ROIS) return new RequestRefused(field, `${field}: at most ${MAX_ROIS} rectangles`);
    const i = roi.findIndex(bad);
    if (i >= 0) return new RequestRefused(`${field}.${i}`, `${field}.${i}: ${JSON.stringify(roi[i])} must be 4 whole numbers [y1, y2, x1, x2]`);
  }
  return new RequestRefused(field, `${field}: ${JSON.stringify(roi)} is not valid: it must be ${form}`);
}

/**
 * Validate and resolve one detector's options: what the retriever converts,
 * the output shapes, whether the raw file is kept. Throws RequestRefused
 * naming `detectors.<DET>.<option>` and the fix.
 *
 * @example
 *   const r = resolveDetectorOptions('JF06T08V04', 8, { adc_to_energy: true, geometry: true, roi: { signal: [0, 100, 0, 200] } });
 *   r.outputs // [{ group: 'data/JF06T08V04:ROI_signal', shape: [100, 200], dtype: 'float32', roi: {...} }]
 *   r.rawFileApart, r.convert, r.keepRawFile // true, true, true
 */
export function resolveDetectorOptions(detector: string, modules: number, options: unknown, context: ResolveContext = {}): ResolvedDetectorOptions {
  return resolveOptions(detector, modules, validateDetectorOptions(detector, options), context);
}

export type { ResolvedDetectorOptions, ResolveContext };
