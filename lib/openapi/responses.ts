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
    state: { enum: ['pending', 'done', 'done_with_problems', 'failed'] },
    reason: { type: 'string' },
    check: {
      type: 'object',
      description: 'the consistency check of the file: verdict, the range judged, and per channel its counts and problems',
      properties: {
        verdict: { enum: ['ok', 'problems'] },
        channels: { type: 'object', additionalProperties: { type: 'object', properties: { problems: { type: 'array', items: { type: 'string' } } } } },
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
