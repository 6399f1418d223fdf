/**
 * The run monitor's endpoints in OpenAPI 3.1 terms, for lib/openapi/document.ts
 * to merge into the broker's description (its test requires every deployed
 * route to be described). Schemas are JSON Schema 2020-12, as there.
 *
 * @example
 *   const monitor = monitorOpenApi({ answer, pgroupPath, runNumberPath });
 *   paths: { ...paths, ...monitor.paths }, schemas: { ...schemas, ...monitor.schemas }
 */
import { DEFAULT_RUN_LIST_LIMIT, MAX_RUN_LIST_LIMIT } from '../core/run-list';

/** ajv strict mode wants no union types: a nullable value is anyOf the value or null. */
const nullable = <T extends object>(schema: T) => ({ anyOf: [schema, { type: 'null' }] }) as const;
const state = { enum: ['accepted', 'retrieving', 'done', 'done_with_problems', 'failed'] } as const;
const sourceState = { enum: ['pending', 'retrieving', 'done', 'done_with_problems', 'failed'] } as const;
const verdict = { enum: ['ok', 'problems', null] } as const;
const time = nullable({ type: 'string', format: 'date-time' });
const count = { type: 'integer', minimum: 0 } as const;
const nullableCount = nullable(count);
const range = { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 2, description: 'first and last missing pulse id (inclusive)' } as const;

const progress = {
  type: 'object',
  description: 'progress inside a source, when the status carries it',
  required: ['pulses_written', 'pulses_expected'],
  properties: {
    pulses_written: count, pulses_expected: count, bytes_written: count, rate_pulses_per_s: { type: 'number' },
    items_done: count, items_total: count, updated: { type: 'string' },
  },
} as const;

const shownFile = {
  type: 'object',
  required: ['path', 'size_bytes', 'modified'],
  properties: {
    path: { type: 'string', description: "below the pgroup's raw/ directory" },
    size_bytes: nullableCount,
    modified: time,
    problem: { type: 'string', description: 'why it is not shown (outside raw/, a symlink leading out, not a file)' },
  },
} as const;

export const runSummarySchema = {
  type: 'object',
  required: ['run_number', 'state', 'updated', 'request_time', 'finished', 'duration_s', 'sources', 'size_bytes', 'verdict'],
  properties: {
    run_number: count, state, reason: { type: 'string' }, updated: { type: 'string' }, request_time: time, finished: time,
    duration_s: nullable({ type: 'number' }),
    sources: {
      type: 'object', required: ['total', 'done', 'failed', 'pending', 'names'],
      properties: { total: count, done: count, failed: count, pending: count, names: { type: 'array', items: { type: 'string' } } },
    },
    size_bytes: { ...nullableCount, description: 'the output files together, once the run is finished' },
    verdict,
    progress: { type: 'object', required: ['pulses_written', 'pulses_expected'], properties: { pulses_written: count, pulses_expected: count } },
  },
} as const;

export const runSummariesSchema = {
  type: 'object',
  required: ['status', 'message', 'beamline', 'pgroup', 'runs'],
  properties: { status: { const: 'ok' }, message: { type: 'string' }, beamline: { type: 'string' }, pgroup: { type: 'string' }, runs: { type: 'array', items: runSummarySchema } },
} as const;

export const runDetailsSchema = {
  type: 'object',
  required: ['beamline', 'pgroup', 'run_number', 'state', 'updated', 'request_time', 'finished', 'duration_s', 'size_bytes', 'request', 'sources', 'logs'],
  properties: {
    beamline: { type: 'string' }, pgroup: { type: 'string' }, run_number: count, state, reason: { type: 'string' }, updated: { type: 'string' },
    request_time: time, finished: time, duration_s: nullable({ type: 'number' }), size_bytes: count,
    request: { ...nullable({ type: 'object' }), description: 'raw/.daq/run_NNNNNN.json: the request as sent plus the broker\'s fields' },
    request_problem: { type: 'string' },
    sources: {
      type: 'array',
      items: {
        type: 'object',
        required: ['source', 'kind', 'state', 'file', 'verdict', 'channels', 'channels_total'],
        properties: {
          source: { type: 'string' }, kind: { enum: ['data', 'image', 'archiver', 'detector'] }, state: sourceState, reason: { type: 'string' },
          file: { oneOf: [shownFile, { type: 'null' }] }, progress, verdict,
          range: { type: 'object', properties: { start: { type: 'integer' }, stop: { type: 'integer' }, rate: { type: 'integer' }, expected: count, expected_pulses: { type: 'string' } } },
          channels: {
            type: 'array',
            description: 'per channel the check\'s verdict, problems first',
            items: {
              type: 'object', required: ['name', 'verdict', 'present', 'problems', 'counts'],
              properties: {
                name: { type: 'string' }, verdict: { enum: ['ok', 'problems'] }, present: { type: 'boolean' },
                problems: { type: 'array', items: { type: 'string' } },
                counts: { type: 'object', additionalProperties: { anyOf: [{ type: 'number' }, { type: 'boolean' }, { type: 'null' }] } },
                missing_pulses: { type: 'object', required: ['ranges', 'total', 'missing'], properties: { ranges: { type: 'array', items: range }, total: count, missing: count } },
              },
            },
          },
          channels_total: count,
        },
      },
    },
    logs: {
      type: 'array',
      items: {
        type: 'object', required: ['name', 'source', 'size_bytes', 'text', 'truncated'],
        properties: { name: { type: 'string' }, source: { type: 'string' }, size_bytes: nullableCount, text: { type: 'string', description: 'the log, or its last 64 KiB' }, truncated: { type: 'boolean' }, problem: { type: 'string' } },
      },
    },
  },
} as const;

export const runDetailsReplySchema = {
  type: 'object',
  required: ['status', 'message', 'run'],
  properties: { status: { const: 'ok' }, message: { type: 'string' }, run: runDetailsSchema },
} as const;

export const quicklookReplySchema = {
  type: 'object',
  required: ['status', 'message', 'plot'],
  properties: {
    status: { const: 'ok' },
    message: { enum: ['series', 'presence', 'image'] },
    plot: {
      oneOf: [
        {
          type: 'object', description: 'a channel against pulse id: x = pulse ids, y = values (null = a gap); min/max = the envelope when downsampled',
          required: ['kind', 'source', 'channel', 'x', 'y', 'min', 'max', 'rows', 'downsampled', 'pulses_per_point', 'gaps'],
          properties: {
            kind: { const: 'series' }, source: { type: 'string' }, channel: { type: 'string' },
            x: { type: 'array', items: { type: 'number' } }, y: { type: 'array', items: nullable({ type: 'number' }) },
            min: nullable({ type: 'array', items: nullable({ type: 'number' }) }), max: nullable({ type: 'array', items: nullable({ type: 'number' }) }),
            rows: count, downsampled: { type: 'boolean' }, pulses_per_point: count, gaps: count, values_per_row: count,
          },
        },
        {
          type: 'object', description: 'per channel which expected pulses are there: `cells` is base64, a byte per cell (255 = all there, 0 = none)',
          required: ['kind', 'source', 'range', 'channels', 'channels_total'],
          properties: {
            kind: { const: 'presence' }, source: { type: 'string' }, range: { type: 'object' }, channels_total: count,
            channels: {
              type: 'array',
              items: {
                type: 'object', required: ['name', 'expected', 'found', 'missing', 'cells', 'missing_ranges'],
                properties: { name: { type: 'string' }, expected: count, found: count, missing: count, pulses_per_cell: count, cells: { type: 'string', contentEncoding: 'base64' }, missing_ranges: { type: 'array', items: range }, missing_ranges_total: count },
              },
            },
          },
        },
        {
          type: 'object', description: 'one image, binned to at most `size` pixels a side, as a palette PNG (viridis; index 0 = no data)',
          required: ['kind', 'source', 'channel', 'frame', 'frames', 'width', 'height', 'bin', 'scale', 'png'],
          properties: {
            kind: { const: 'image' }, source: { type: 'string' }, channel: { type: 'string' }, frame: count, frames: count, pulse_id: nullable({ type: 'integer' }),
            source_width: count, source_height: count, width: count, height: count, bin: count, scale: { enum: ['log', 'linear'] },
            min: nullable({ type: 'number' }), max: nullable({ type: 'number' }), high: { ...nullable({ type: 'number' }), description: 'top of the colour scale (99.9th percentile)' },
            png: { type: 'string', contentEncoding: 'base64', contentMediaType: 'image/png' },
          },
        },
      ],
    },
  },
} as const;

type Responses = Record<string, unknown>;

/** The monitor's paths and schemas, built with document.ts's own helpers. */
export function monitorOpenApi(helpers: { answer: (okSchema: string, description: string) => Responses; pgroupPath: object; runNumberPath: object }) {
  const { answer, pgroupPath, runNumberPath } = helpers;
  const page = (description: string) => ({ '200': { description, content: { 'text/html': { schema: { type: 'string' } } } }, '503': { description: 'the monitor was not built into this deployment' } });
  const query = (name: string, schema: object, description: string) => ({ name, in: 'query', required: false, schema, description });
  return {
    paths: {
      '/monitor': {
        get: { operationId: 'getMonitor', summary: 'The run monitor (a web page; it asks for data with the caller\'s x-api-key)', security: [{}], responses: page('the page') },
      },
      '/monitor/{asset}': {
        get: {
          operationId: 'getMonitorAsset', summary: "The run monitor's script and style sheet", security: [{}],
          parameters: [{ name: 'asset', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }, example: 'app.js' }],
          responses: { ...page('the file'), '404': { description: 'no such file' } },
        },
      },
      '/monitor/runs/{pgroup}': {
        get: {
          operationId: 'listRunSummaries', summary: "The pgroup's latest runs for the monitor, newest first: time, duration, size on disk, check verdict, progress",
          parameters: [pgroupPath, { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_RUN_LIST_LIMIT, default: DEFAULT_RUN_LIST_LIMIT } }],
          responses: answer('RunSummaries', 'the runs'),
        },
      },
      '/runs/{pgroup}/{run_number}/details': {
        get: {
          operationId: 'getRunDetails', summary: 'A run for the monitor: the request as sent, files with sizes, logs (bounded), the check per channel with the missing pulses, progress',
          parameters: [pgroupPath, runNumberPath],
          responses: answer('RunDetailsReply', "the run's details"),
        },
      },
      '/runs/{pgroup}/{run_number}/quicklook': {
        get: {
          operationId: 'getQuicklook', summary: "A quick-look plot of a finished source's file, downsampled on the server",
          parameters: [
            pgroupPath, runNumberPath,
            { name: 'source', in: 'query', required: true, schema: { type: 'string', maxLength: 64 }, example: 'BSREAD' },
            query('kind', { enum: ['series', 'presence', 'image'] }, 'default: series for BS channels and PVs, image for cameras and detectors'),
            query('channel', { type: 'string', maxLength: 256 }, 'a channel, PV or camera the run asked for (default: the first)'),
            query('frame', { type: 'integer', minimum: 0, default: 0 }, 'which image'),
            query('points', { type: 'integer', minimum: 10, maximum: 4000, default: 1000 }, 'points of a series, cells of a presence strip'),
            query('size', { type: 'integer', minimum: 64, maximum: 1024, default: 1024 }, 'longest side of an image'),
            query('scale', { enum: ['log', 'linear'] }, 'colour scale of an image (default log for detectors, linear for cameras)'),
          ],
          responses: answer('QuicklookReply', 'the plot'),
        },
      },
    },
    schemas: { RunSummaries: runSummariesSchema, RunDetailsReply: runDetailsReplySchema, QuicklookReply: quicklookReplySchema },
  };
}
