import type { FromSchema } from 'json-schema-to-ts';
import { detectorOptionsSchema as detectorOptionsRegistered } from './detector-options';

/**
 * The body of POST /retrieve_from_buffers: the one source of truth for the
 * request's shape and its TypeScript type. Domain rules that need the facility
 * (beamline, pgroup directory, known detectors) live in lib/core/request-rules.ts.
 *
 * Limits (documented in the README) keep one request from exhausting memory or
 * the filesystem: strings up to 256 characters, `channels_list` up to 10,000
 * names, `pv_list` 2,000, `camera_list` 100, `detectors` 32.
 */
export const ALLOWED_RATE_MULTIPLICATORS = [1, 2, 4, 8, 10, 20, 40, 50, 100] as const;
export const MAX_PULSES_PER_REQUEST = 60_001;

/** Pulse ids: integers; "1000" is accepted as the 2020 server converted with int(). */
const pulseId = {
  anyOf: [
    { type: 'integer', minimum: 0, maximum: 9007199254740991 },
    { type: 'string', pattern: '^[0-9]{1,16}$' },
  ],
} as const;

const channelName = { type: 'string', minLength: 1, maxLength: 256 } as const;

export const DETECTOR_NAME_PATTERN = '^JF[0-9]{2}T[0-9]{2}V[0-9]{2}$';

/**
 * Options accepted per detector (lib/schemas/detector-options.ts: the one
 * schema of the options, here without its registry `$id` so it nests);
 * anything else is refused, never ignored. Refusals of an option are worded
 * by validateDetectorOptions (lib/schemas/validate.ts delegates to it).
 */
export const detectorOptionsSchema = withoutRegistryId(detectorOptionsRegistered);

export const retrieveRequestSchema = {
  $id: 'RetrieveRequest',
  type: 'object',
  required: ['pgroup', 'start_pulseid', 'stop_pulseid'],
  properties: {
    pgroup: { type: 'string', pattern: '^p[0-9]{5}$' },
    start_pulseid: pulseId,
    stop_pulseid: pulseId,
    rate_multiplicator: { type: 'integer', enum: [...ALLOWED_RATE_MULTIPLICATORS] },
    directory_name: { type: 'string', maxLength: 256 },
    channels_list: { type: 'array', items: channelName, maxItems: 10_000 },
    camera_list: { type: 'array', items: { ...channelName, pattern: ':FPICTURE$' }, maxItems: 100 },
    pv_list: { type: 'array', items: channelName, maxItems: 2_000 },
    detectors: {
      type: 'object',
      propertyNames: { pattern: DETECTOR_NAME_PATTERN },
      additionalProperties: detectorOptionsSchema,
      maxProperties: 32,
    },
    scan_info: {
      type: 'object',
      properties: { scan_name: { type: 'string', minLength: 1, maxLength: 128 } },
      maxProperties: 64,
    },
    /** true: names the buffers do not know (yet) are retrieved anyway, noted in the run's logs instead of refused. */
    allow_unknown_channels: { type: 'boolean' },
    /**
     * The BSREAD and PVCHANNELS files' datasets compressed (shuffle + gzip, readable without plugins), as
     * the facility writes BS data; default true. false: no filter (a larger file, nothing to decode).
     */
    bs_compression: { type: 'boolean' },
  },
  additionalProperties: true,
  maxProperties: 64,
} as const;

export type RetrieveRequestBody = FromSchema<typeof retrieveRequestSchema>;

/** A schema without `$id`: nested in another schema, an `$id` would name a second registry entry and re-base references. */
function withoutRegistryId<T extends { $id: string }>(schema: T): Omit<T, '$id'> {
  const { $id: _id, ...rest } = schema;
  return rest;
}

/** `{pgroup}`: the body of advance_run_number, close_pgroup_writing, get_current_run_number. */
export const pgroupRequestSchema = {
  $id: 'PgroupRequest',
  type: 'object',
  required: ['pgroup'],
  properties: { pgroup: { type: 'string', pattern: '^p[0-9]{5}$' } },
  additionalProperties: true,
} as const;

export type PgroupRequestBody = FromSchema<typeof pgroupRequestSchema>;

/** Path parameters of GET /runs/{pgroup}/{run_number}. */
export const runPathSchema = {
  $id: 'RunPath',
  type: 'object',
  required: ['pgroup', 'run_number'],
  properties: {
    pgroup: { type: 'string', pattern: '^p[0-9]{5}$' },
    run_number: { type: 'string', pattern: '^[0-9]{1,9}$' },
  },
  additionalProperties: true,
} as const;

export type RunPath = FromSchema<typeof runPathSchema>;

/** Query of GET /channels: `search` (a part of the name, or a glob with * and ?), `kind` (comma-separated bs, camera, pv), `limit`. */
export const channelSearchSchema = {
  $id: 'ChannelSearch',
  type: 'object',
  required: ['search'],
  properties: {
    search: { type: 'string', minLength: 1, maxLength: 256 },
    kind: { type: 'string', pattern: '^(bs|camera|pv)(,(bs|camera|pv))*$' },
    limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
  },
  additionalProperties: true,
} as const;

export type ChannelSearchQuery = FromSchema<typeof channelSearchSchema>;
