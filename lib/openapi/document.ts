import { monitorOpenApi } from '../quicklook/openapi';
import { detectorsOpenApi } from './detectors';
import { channelSearchSchema, pgroupRequestSchema, retrieveRequestSchema, runPathSchema, MAX_PULSES_PER_REQUEST } from '../schemas/retrieve-request';
import { DEFAULT_RUN_LIST_LIMIT, MAX_RUN_LIST_LIMIT } from '../core/run-list';
import { SCAN_STEP_DETAIL_TYPE } from '../core/scan-event';
import {
  acceptedSchema, channelListSchema, closedSchema, RATES_TEXT, refusedSchema, runListSchema, runNumberSchema, runStatusReplySchema, runStatusSchema, sourceResultSchema,
} from './responses';

/**
 * The broker's HTTP API as OpenAPI 3.1, built from the same JSON Schemas the
 * handlers validate with (lib/schemas/retrieve-request.ts), so the
 * description cannot drift from what is enforced. Served at GET /openapi.json.
 *
 * @example
 *   const doc = openApiDocument({ serverUrl: 'http://localhost:10002' });
 *   doc.components.schemas.RetrieveRequest.required // ['pgroup', 'start_pulseid', 'stop_pulseid']
 */
export function openApiDocument(options: { serverUrl?: string; version?: string } = {}) {
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const json = (schema: object) => ({ 'application/json': { schema } });
  const refusals = {
    '400': { description: 'the body is not valid JSON', content: json(ref('Refused')) },
    '404': { description: 'unknown path', content: json(ref('Refused')) },
    '413': { description: 'the body is too large', content: json(ref('Refused')) },
    '415': { description: 'the body is not JSON (Content-Type: application/json)', content: json(ref('Refused')) },
    '503': { description: 'the broker could not handle the request; retry', content: json(ref('Refused')) },
  };
  const answer = (okSchema: string, description: string) => ({
    '200': { description: `${description}, or a refusal of the request (status "failed")`, content: json({ oneOf: [ref(okSchema), ref('Refused')] }) },
    ...refusals,
  });
  const pgroupQuery = { name: 'pgroup', in: 'query', required: true, schema: pgroupRequestSchema.properties.pgroup, example: 'p12345' };
  const pgroupPath = { name: 'pgroup', in: 'path', required: true, schema: runPathSchema.properties.pgroup, example: 'p12345' };
  const pgroupBody = { required: true, content: json(ref('PgroupRequest')) };
  const runNumberPath = { name: 'run_number', in: 'path', required: true, schema: runPathSchema.properties.run_number, example: '1' };
  const monitor = monitorOpenApi({ answer, pgroupPath, runNumberPath });
  const detectors = detectorsOpenApi({ answer, json, ref, pgroupPath, runNumberPath });

  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'sfdaq-broker',
      version: options.version ?? '0.1.0',
      summary: 'Data-retrieval broker of a free-electron-laser facility',
      description: [
        'One request retrieves pulses START..STOP of a pgroup from the four ring buffers (BS channels, cameras, EPICS PVs, Jungfrau detectors) into HDF5 files, and answers the run number.',
        'The API is the 2020 broker\'s: `requests.post(f"{broker}/retrieve_from_buffers", json=parameters, timeout=10)` and `r.json()["status"]` work unchanged.',
        'The caller\'s beamline is its source network, or its API key (`x-api-key`); a caller reaches only its own beamline\'s pgroups.',
        `Scan software may instead put an EventBridge event (detail-type "${SCAN_STEP_DETAIL_TYPE}", detail = the RetrieveRequest); it takes the same path.`,
      ].join('\n\n'),
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{}, { apiKey: [] }],
    paths: {
      '/retrieve_from_buffers': {
        post: {
          operationId: 'retrieveFromBuffers',
          summary: 'Retrieve pulses into HDF5 files; answers the run number',
          description: `At most ${MAX_PULSES_PER_REQUEST} pulses; rate_multiplicator one of ${RATES_TEXT}. A refused request consumes no run number and writes nothing.`,
          requestBody: { required: true, content: json(ref('RetrieveRequest')) },
          responses: answer('Accepted', 'the request is accepted'),
        },
      },
      '/get_current_run_number': {
        get: {
          operationId: 'getCurrentRunNumber',
          summary: "The pgroup's last run number (0 before the first)",
          parameters: [pgroupQuery],
          responses: answer('RunNumber', 'the current run number'),
        },
      },
      '/advance_run_number': {
        post: { operationId: 'advanceRunNumber', summary: 'Take the next run number without retrieving', requestBody: pgroupBody, responses: answer('RunNumber', 'the new run number') },
      },
      '/close_pgroup_writing': {
        post: { operationId: 'closePgroupWriting', summary: 'Close the pgroup for writing, for good', requestBody: pgroupBody, responses: answer('Closed', 'the pgroup is closed') },
      },
      '/runs/{pgroup}': {
        get: {
          operationId: 'listRuns',
          summary: "The pgroup's latest runs and their states, in run order",
          parameters: [
            pgroupPath,
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_RUN_LIST_LIMIT, default: DEFAULT_RUN_LIST_LIMIT } },
          ],
          responses: answer('RunList', 'the runs'),
        },
      },
      '/runs/{pgroup}/{run_number}': {
        get: {
          operationId: 'getRunStatus',
          summary: "A run's state (accepted, retrieving, done, done_with_problems, failed), its sources and their consistency check",
          parameters: [pgroupPath, runNumberPath],
          responses: answer('RunStatusReply', 'the run\'s status'),
        },
      },
      '/channels': {
        get: {
          operationId: 'searchChannels',
          summary: 'Names the buffers know: BS channels and cameras (kind=bs,camera, the default) or archived PVs (kind=pv)',
          description: 'search: a part of the name, or a glob over the whole name with * and ?; case-insensitive. The same catalogues the broker checks request names against.',
          parameters: [
            { name: 'search', in: 'query', required: true, schema: channelSearchSchema.properties.search, example: 'TIFALL' },
            { name: 'kind', in: 'query', required: false, schema: channelSearchSchema.properties.kind, example: 'bs,camera' },
            { name: 'limit', in: 'query', required: false, schema: channelSearchSchema.properties.limit, example: '100' },
          ],
          responses: answer('ChannelList', 'the matching names'),
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          summary: 'This description',
          security: [{}],
          responses: { '200': { description: 'the OpenAPI 3.1 document', content: json({ type: 'object' }) } },
        },
      },
      ...monitor.paths,
      ...detectors.paths,
    },
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: "a beamline's key: identifies the caller's beamline wherever it calls from" } },
      schemas: {
        RetrieveRequest: withoutId(retrieveRequestSchema),
        PgroupRequest: withoutId(pgroupRequestSchema),
        Accepted: acceptedSchema,
        RunNumber: runNumberSchema,
        Closed: closedSchema,
        Refused: refusedSchema,
        SourceResult: sourceResultSchema,
        RunStatus: runStatusSchema,
        RunStatusReply: runStatusReplySchema,
        RunList: runListSchema,
        ChannelList: channelListSchema,
        ...monitor.schemas,
        ...detectors.schemas,
      },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;

/** ajv's `$id` names the schema in its registry; inside components a relative `$id` would re-base every `$ref`. */
function withoutId<T extends { $id: string }>(schema: T): Omit<T, '$id'> {
  const { $id: _id, ...rest } = schema;
  return rest;
}
