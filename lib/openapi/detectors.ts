/**
 * The detector endpoints and pedestal runs in OpenAPI 3.1 terms, merged into
 * the broker's description by lib/openapi/document.ts. Request bodies are
 * lib/schemas/detector-endpoints.ts's own schemas; answers are described here.
 *
 * @example
 *   const detectors = detectorsOpenApi({ answer, json, ref, pgroupPath, runNumberPath });
 *   paths: { ...paths, ...detectors.paths }, schemas: { ...schemas, ...detectors.schemas }
 */
import { powerOnSchema, setPvListSchema, takePedestalSchema } from '../schemas/detector-endpoints';
import { RUNNING_MARKER_SECONDS } from '../core/detectors/endpoints';

const ok = { const: 'ok' } as const;
const names = { type: 'array', items: { type: 'string' } } as const;
const modules = { type: 'array', items: { type: 'integer', minimum: 0 } } as const;
const count = { type: 'integer', minimum: 0 } as const;

const withoutId = <T extends { $id: string }>(schema: T): Omit<T, '$id'> => {
  const { $id: _id, ...rest } = schema;
  return rest;
};

export const allowedDetectorsSchema = {
  type: 'object',
  required: ['status', 'message', 'detectors', 'descriptions', 'visualisation_address'],
  properties: {
    status: ok,
    message: { type: 'string' },
    detectors: names,
    descriptions: { ...names, description: "per detector its description (the facility config's), else its name" },
    visualisation_address: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'null' }] }, description: 'per detector its live view sf-daq-<daq>:<5000 + detector number>, null when the facility names no DAQ machine' },
  },
} as const;

export const runningDetectorsSchema = {
  type: 'object',
  required: ['status', 'message', 'detectors', 'running_detectors', 'missing_detectors', 'limping_detectors'],
  properties: {
    status: ok,
    message: { type: 'string' },
    detectors: { ...names, description: 'the running detectors (the original answer\'s field)' },
    running_detectors: { ...names, description: `every module's LATEST marker in the detector buffer is younger than ${RUNNING_MARKER_SECONDS} s` },
    missing_detectors: { ...names, description: 'no module runs' },
    limping_detectors: {
      type: 'object',
      description: 'some modules run, some do not',
      additionalProperties: { type: 'object', required: ['running_modules', 'missing_modules'], properties: { running_modules: modules, missing_modules: modules } },
    },
  },
} as const;

export const pvListSchema = {
  type: 'object',
  required: ['status', 'message', 'pv_list'],
  properties: { status: ok, message: { type: 'string' }, pv_list: names, updated: { type: 'string', format: 'date-time' } },
} as const;

export const messageSchema = {
  type: 'object',
  required: ['status', 'message'],
  properties: { status: ok, message: { type: 'string' } },
} as const;

export const pedestalAcceptedSchema = {
  type: 'object',
  required: ['status', 'message', 'run_number', 'stamp', 'start_pulseid', 'stop_pulseid', 'files'],
  properties: {
    status: ok,
    message: { type: 'string', description: '"request to take pedestal sent, wait at least N seconds"' },
    run_number: { ...count, description: 'the run retrieving the dark frames into raw/JF_pedestals/' },
    stamp: { type: 'string', pattern: '^[0-9]{8}_[0-9]{6}$', description: 'YYYYmmdd_HHMMSS (facility time): JF_pedestals/<stamp>.json, and the pedestal file /sf/jungfrau/data/pedestal/<DET>/<stamp>.h5' },
    start_pulseid: count,
    stop_pulseid: count,
    files: names,
  },
} as const;

const detectorPedestal = {
  type: 'object',
  required: ['detector', 'state'],
  properties: {
    detector: { type: 'string' },
    state: { enum: ['pending', 'done', 'failed'] },
    raw_file: { type: 'string' },
    result_file: { type: 'string', description: '<raw>.res.h5: gains, gainsRMS (3 planes G0, G1, G2, float64), pixel_mask (int64)' },
    calibration_file: { type: 'string', description: 'the copy conversion uses: jungfrau/data/pedestal/<DET>/<stamp>.h5' },
    frames: {
      type: 'object',
      properties: { analyzed: count, good: count, used_g0: count, used_g1: count, used_g2: count, wrong_gain: count },
    },
    good_pixels: count,
    pixels: count,
    reason: { type: 'string' },
  },
} as const;

export const pedestalStatusSchema = {
  type: 'object',
  required: ['beamline', 'pgroup', 'run_number', 'stamp', 'state', 'detectors', 'start_pulseid', 'stop_pulseid', 'rate_multiplicator', 'pedestalmode', 'request_time', 'updated'],
  properties: {
    beamline: { type: 'string' },
    pgroup: { type: 'string' },
    run_number: count,
    stamp: { type: 'string' },
    state: { enum: ['retrieving', 'computing', 'done', 'failed'] },
    detectors: { type: 'array', items: detectorPedestal },
    start_pulseid: count,
    stop_pulseid: count,
    rate_multiplicator: count,
    pedestalmode: { type: 'boolean' },
    request_time: { type: 'string', format: 'date-time' },
    updated: { type: 'string', format: 'date-time' },
    finished: { type: 'string', format: 'date-time' },
    reason: { type: 'string' },
  },
} as const;

export const pedestalStatusReplySchema = {
  type: 'object',
  required: ['status', 'message', 'pedestal'],
  properties: { status: ok, message: { enum: ['retrieving', 'computing', 'done', 'failed'] }, pedestal: { $ref: '#/components/schemas/PedestalStatus' } },
} as const;

interface Helpers {
  answer: (okSchema: string, description: string) => Record<string, unknown>;
  json: (schema: object) => Record<string, unknown>;
  ref: (name: string) => { $ref: string };
  pgroupPath: Record<string, unknown>;
  runNumberPath: Record<string, unknown>;
}

/** The paths and component schemas of the detector endpoints. */
export function detectorsOpenApi({ answer, json, ref, pgroupPath, runNumberPath }: Helpers) {
  const noParameters = 'No parameters (a non-empty body or query is refused); the beamline is the caller\'s.';
  return {
    paths: {
      '/get_allowed_detectors': {
        get: { operationId: 'getAllowedDetectors', summary: "The caller's beamline's detectors, their descriptions and live views", description: noParameters, responses: answer('AllowedDetectors', 'the detectors') },
      },
      '/get_running_detectors': {
        get: {
          operationId: 'getRunningDetectors',
          summary: 'Which of the beamline\'s detectors write frames now',
          description: `${noParameters} A module runs if its LATEST marker in the detector buffer was written less than ${RUNNING_MARKER_SECONDS} s ago.`,
          responses: answer('RunningDetectors', 'running, missing and limping detectors'),
        },
      },
      '/get_pvlist': {
        get: { operationId: 'getPvList', summary: "The beamline's default PV list (empty before the first set_pvlist)", description: noParameters, responses: answer('PvList', 'the list') },
      },
      '/set_pvlist': {
        post: {
          operationId: 'setPvList',
          summary: "Replace the beamline's default PV list",
          description: 'De-duplicated in order; the previous list is kept as a timestamped backup. Where the deployment says so (SFDAQ_DEFAULT_PV_LIST), a retrieve request without pv_list retrieves these PVs.',
          requestBody: { required: true, content: json(ref('SetPvListRequest')) },
          responses: answer('PvList', 'the list as stored'),
        },
      },
      '/power_on_detector': {
        post: {
          operationId: 'powerOnDetector',
          summary: 'Power a detector of the beamline on (simulated detectors only; refused where the broker has no detector control)',
          requestBody: { required: true, content: json(ref('PowerOnRequest')) },
          responses: answer('Message', '"request to power on detector <DET> sent, wait a few minutes"'),
        },
      },
      '/take_pedestal': {
        post: {
          operationId: 'takePedestal',
          summary: 'The detectors take dark frames (gains forced G0, G1, G2); they are retrieved as a run into raw/JF_pedestals/ and each detector\'s pedestal is computed and installed for conversion',
          description: 'Follow it with GET /runs/{pgroup}/{run_number} (the retrieval) and GET /pedestals/{pgroup}/{run_number} (the pedestal). Refused where the broker has no detector control.',
          requestBody: { required: true, content: json(ref('TakePedestalRequest')) },
          responses: answer('PedestalAccepted', 'the pedestal run is under way'),
        },
      },
      '/pedestals/{pgroup}/{run_number}': {
        get: {
          operationId: 'getPedestalStatus',
          summary: "A pedestal run's state (retrieving, computing, done, failed) and per detector its pedestal file and statistics",
          parameters: [pgroupPath, runNumberPath],
          responses: answer('PedestalStatusReply', 'the pedestal'),
        },
      },
    },
    schemas: {
      TakePedestalRequest: withoutId(takePedestalSchema),
      SetPvListRequest: withoutId(setPvListSchema),
      PowerOnRequest: withoutId(powerOnSchema),
      AllowedDetectors: allowedDetectorsSchema,
      RunningDetectors: runningDetectorsSchema,
      PvList: pvListSchema,
      Message: messageSchema,
      PedestalAccepted: pedestalAcceptedSchema,
      PedestalStatus: pedestalStatusSchema,
      PedestalStatusReply: pedestalStatusReplySchema,
    },
  };
}
