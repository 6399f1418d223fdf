import type { FromSchema } from 'json-schema-to-ts';
import { ALLOWED_RATE_MULTIPLICATORS, DETECTOR_NAME_PATTERN } from './retrieve-request';

/**
 * Bodies of the detector endpoints (jungfrau.md §6, §7): take_pedestal,
 * set_pvlist, power_on_detector, and the path of a pedestal run's status.
 * Refusals are worded in lib/schemas/validate.ts.
 */
const pgroup = { type: 'string', pattern: '^p[0-9]{5}$' } as const;
const detectorName = { type: 'string', pattern: DETECTOR_NAME_PATTERN } as const;

/** POST /take_pedestal: `detectors` a list of names (or, as older clients send, a dictionary name -> options). */
export const takePedestalSchema = {
  $id: 'TakePedestalRequest',
  type: 'object',
  required: ['pgroup', 'detectors'],
  properties: {
    pgroup,
    detectors: {
      anyOf: [
        { type: 'array', items: detectorName, minItems: 1, maxItems: 32, uniqueItems: true },
        { type: 'object', propertyNames: { pattern: DETECTOR_NAME_PATTERN }, additionalProperties: { type: 'object' }, minProperties: 1, maxProperties: 32 },
      ],
      description: 'the detectors to take a pedestal of, e.g. ["JF01T03V01"]',
    },
    rate_multiplicator: { type: 'integer', enum: [...ALLOWED_RATE_MULTIPLICATORS], description: 'the detector runs at 100 Hz / rate_multiplicator (default 1)' },
    pedestalmode: { type: 'boolean', description: "the firmware's pedestal mode: 50 frames per gain, 200 loops (default false: 1000 frames per gain, once)" },
  },
  additionalProperties: true,
  maxProperties: 64,
} as const;

export type TakePedestalBody = FromSchema<typeof takePedestalSchema>;

/** POST /set_pvlist. */
export const setPvListSchema = {
  $id: 'SetPvListRequest',
  type: 'object',
  required: ['pv_list'],
  properties: { pv_list: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 256 }, maxItems: 2_000 } },
  additionalProperties: false,
} as const;

export type SetPvListBody = FromSchema<typeof setPvListSchema>;

/** POST /power_on_detector. */
export const powerOnSchema = {
  $id: 'PowerOnRequest',
  type: 'object',
  required: ['detector_name'],
  properties: { detector_name: detectorName },
  additionalProperties: false,
} as const;

export type PowerOnBody = FromSchema<typeof powerOnSchema>;
