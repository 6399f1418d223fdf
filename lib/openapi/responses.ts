import { ALLOWED_RATE_MULTIPLICATORS } from '../schemas/retrieve-request';

/**
 * JSON Schemas (2020-12, OpenAPI 3.1's dialect) of the broker's answers. The
 * requests' schemas are lib/schemas' own; the answers are described here
 * because only the API description needs them. test/e2e/openapi.test.ts
 * checks real answers of the local stack against them.
 */
const runNumber = { type: 'integer', minimum: 0, description: 'the run number (per pgroup, from 1)' } as const;

export const refusedSchema = {
  type: 'object',
  description: 'A refusal. HTTP 200 for refusals of the request itself (the original contract: clients test r.json()["status"]); 400/413/415 for a malformed body, 404/405 for a wrong path or method, 503 when the broker could not handle it.',
  required: ['status', 'message'],
  properties: {
    status: { const: 'failed' },
    message: { type: 'string', description: 'what and why, for people' },
    field: { type: 'string', description: 'the request field at fault, e.g. detectors.JF01T03V01.disabled_modules' },
    run_number: { ...runNumber, description: 'set when a run number was taken but the run could not be started' },
  },
} as const;

export const acceptedSchema = {
  type: 'object',
  required: ['status', 'message', 'run_number', 'files'],
  properties: {
    status: { const: 'ok' },
    message: { type: 'string', pattern: '^[0-9]+$', description: 'the run number as a string (the 2020 contract)' },
    run_number: runNumber,
    files: { type: 'array', items: { type: 'string' }, description: 'the files the run will write, one per source' },
  },
} as const;

export const runNumberSchema = {
  type: 'object',
  required: ['status', 'message', 'run_number'],
  properties: {
    status: { const: 'ok' },
    message: { type: 'string', pattern: '^[0-9]+$' },
    run_number: runNumber,
  },
} as const;

export const closedSchema = {
  type: 'object',
  required: ['status', 'message'],
  properties: { status: { const: 'ok' }, message: { type: 'string' } },
} as const;

const state = { enum: ['accepted', 'retrieving', 'done', 'done_with_problems', 'failed'] } as const;

export const sourceResultSchema = {
  type: 'object',
  required: ['source', 'kind', 'file', 'state'],
  properties: {
    source: { type: 'string', description: 'BSREAD, CAMERAS, PVCHANNELS or the detector name' },
    kind: { enum: ['data', 'image', 'archiver', 'detector'] },
    file: { type: 'string' },
    state: { enum: ['pending', 'retrieving', 'done', 'done_with_problems', 'failed'] },
    reason: { type: 'string', description: 'why the source failed, for people (never a stack trace or a server path)' },
    check: {
      type: 'object',
      description: 'the consistency check of the file: verdict, the range judged, and per channel its counts and problems (every channel up to 50; beyond, the channels with problems, up to 50)',
      properties: {
        verdict: { enum: ['ok', 'problems'] },
        channels: { type: 'object', additionalProperties: { type: 'object', properties: { problems: { type: 'array', items: { type: 'string' } } } } },
        channels_total: { type: 'integer', minimum: 0 },
        channels_with_problems: { type: 'integer', minimum: 0 },
        channels_omitted: { type: 'integer', minimum: 0 },
      },
    },
    progress: {
      type: 'object',
      description: 'how far the source has got, reported by its retriever while it works (and its last report once finished)',
      required: ['pulses_written', 'pulses_expected', 'bytes_written', 'updated'],
      properties: {
        pulses_written: { type: 'integer', minimum: 0 },
        pulses_expected: { type: 'integer', minimum: 0 },
        bytes_written: { type: 'integer', minimum: 0 },
        rate_pulses_per_s: { type: 'number' },
        items_done: { type: 'integer', minimum: 0 },
        items_total: { type: 'integer', minimum: 0 },
        updated: { type: 'string', format: 'date-time' },
      },
    },
  },
} as const;

export const runStatusSchema = {
  type: 'object',
  required: ['beamline', 'pgroup', 'run_number', 'state', 'updated'],
  properties: {
    beamline: { type: 'string' },
    pgroup: { type: 'string' },
    run_number: runNumber,
    state,
    updated: { type: 'string', format: 'date-time' },
    sources: { type: 'array', items: { $ref: '#/components/schemas/SourceResult' } },
    reason: { type: 'string' },
    request_time: { type: 'string', format: 'date-time' },
    finished: { type: 'string', format: 'date-time' },
    notes: { type: 'array', items: { type: 'string' }, description: 'what the broker noted at the door (names not checked, unknown names allowed, part of the range gone)' },
  },
} as const;

export const channelListSchema = {
  type: 'object',
  required: ['status', 'message', 'channels', 'total', 'truncated', 'unavailable'],
  properties: {
    status: { const: 'ok' },
    message: { type: 'string' },
    channels: {
      type: 'array',
      items: { type: 'object', required: ['name', 'kind', 'backend'], properties: { name: { type: 'string' }, kind: { enum: ['bs', 'camera', 'pv'] }, backend: { type: 'string' } } },
    },
    total: { type: 'integer', minimum: 0 },
    truncated: { type: 'boolean' },
    unavailable: { type: 'array', description: 'catalogues that did not answer in time (their names are missing)', items: { type: 'object', properties: { kind: { type: 'string' }, buffer: { type: 'string' }, why: { type: 'string' } } } },
  },
} as const;

export const runStatusReplySchema = {
  type: 'object',
  required: ['status', 'message', 'run'],
  properties: { status: { const: 'ok' }, message: state, run: { $ref: '#/components/schemas/RunStatus' } },
} as const;

export const runListSchema = {
  type: 'object',
  required: ['status', 'message', 'runs'],
  properties: { status: { const: 'ok' }, message: { type: 'string' }, runs: { type: 'array', items: { $ref: '#/components/schemas/RunStatus' } } },
} as const;

export const RATES_TEXT = ALLOWED_RATE_MULTIPLICATORS.join(', ');
