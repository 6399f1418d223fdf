import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { checkFacilityConfig, type FacilityConfig } from '../core/facility';
import { DEFAULT_CLOCK, type FacilityClockConfig } from '../core/clock';
import { DEFAULT_RETRY } from '../adapters/buffers/retry';
import { DEFAULT_DETECTOR_WORK, type DetectorWorkConfig } from '../core/detector-work';
import type { BufferEndpoints } from '../retrieval/types';
import { MAX_PULSES_PER_REQUEST } from '../schemas/retrieve-request';

/**
 * The broker's configuration: built once from the environment (a Lambda
 * instance's, or the one the local stack gives each instance), checked once,
 * passed down to `buildApp(config)`. Nothing below lib/runtime reads
 * process.env. AWS endpoints are the SDK's own standard variables
 * (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SFN), so
 * the same code runs against AWS, LocalStack or the local emulators.
 */
export interface BrokerConfig {
  /** Root standing in for /sf: pgroups live at <dataRoot>/<beamline>/data/<pgroup>/raw. */
  dataRoot: string;
  runTable: string;
  bucket: string;
  stateMachineArn: string;
  /**
   * How the AWS SDK clients talk: region, endpoints and credentials from the
   * SDK's own standard variables of the given environment (so a broker built
   * in a test process talks to its own emulators, whatever process.env
   * holds), path-style S3 (emulators), connection and per-request timeouts.
   */
  aws: {
    region?: string;
    endpoints: { dynamodb?: string; s3?: string; sfn?: string };
    credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    s3ForcePathStyle: boolean;
    connectionTimeoutMs: number;
    requestTimeoutMs: number;
    maxAttempts: number;
  };
  facility: FacilityConfig;
  /** Largest request body accepted, bytes. */
  maxBodyBytes: number;
  /** Idempotency-Key: forgotten after `ttlSeconds`; a holder is presumed alive for `leaseSeconds`; a retry waits up to `waitSeconds` for it. */
  idempotency: { ttlSeconds: number; leaseSeconds: number; waitSeconds: number };
  /** Where the four buffers are and how hard a retriever tries (only the workflow's retrievers use it). */
  buffers: BufferEndpoints;
  /** Seconds to wait after the request before reading (the original: 60 s data/image, 10 s detector). */
  delays: { dataSeconds: number; detectorSeconds: number };
  /** The recovery sweep acts on an unfinished run only once it is this old (seconds): younger ones are still being handed off. */
  recovery: { graceSeconds: number };
  /** Retrievers report progress at most this often (ms). */
  progressIntervalMs: number;
  /**
   * How detectors are split into work items, and the most a run may ask for
   * (lib/core/detector-work.ts): SFDAQ_DETECTOR_ITEM_BYTES (8 GiB),
   * SFDAQ_DETECTOR_MAX_ITEMS (500), SFDAQ_MAX_DETECTOR_BYTES (default: items x item bytes).
   */
  detectorWork: DetectorWorkConfig;
  /**
   * Checks at the door: names against the buffers' catalogues (each answers
   * within `nameBudgetMs` or the request goes on unchecked, noted in the run
   * log; lists cached `nameCacheSeconds`), ranges against what the buffers
   * keep (`retentionSeconds` per buffer; absent = unknown, not checked; the
   * detector buffer from its own listing) and at most `horizonPulses` ahead.
   */
  door: {
    checkNames: boolean;
    nameBudgetMs: number;
    nameCacheSeconds: number;
    archiverMgmtUrl: string;
    retentionSeconds: { data?: number; image?: number; archiver?: number };
    horizonPulses: number;
  };
  /**
   * Detectors beyond retrieval: the pedestal workflow (statemachine/pedestal.asl.json),
   * the detector control (only the local stack's simulator: SFDAQ_DETECTOR_CONTROL_URL;
   * without it pedestal runs and power-on are refused), and which beamlines'
   * requests without `pv_list` get the beamline's default PV list
   * (SFDAQ_DEFAULT_PV_LIST: off (default), all, or a comma list of beamlines).
   */
  detectors?: {
    pedestalStateMachineArn?: string;
    controlUrl?: string;
    defaultPvList: 'all' | string[];
  };
}

/** A configuration that cannot work: every problem found, named by its variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`configuration: ${problems.join('; ')}`);
  }
}

const count = { type: 'number', minimum: 0 } as const;
const positive = { type: 'number', exclusiveMinimum: 0 } as const;
const text = { type: 'string', minLength: 1 } as const;

/** The numbers and names a broker needs; NaN and Infinity are refused (strictNumbers). */
const configSchema = {
  type: 'object',
  required: ['dataRoot', 'runTable', 'bucket', 'stateMachineArn', 'aws', 'maxBodyBytes', 'idempotency', 'buffers', 'delays', 'recovery', 'progressIntervalMs', 'detectorWork'],
  properties: {
    dataRoot: text,
    runTable: text,
    bucket: text,
    stateMachineArn: text,
    aws: {
      type: 'object',
      required: ['connectionTimeoutMs', 'requestTimeoutMs', 'maxAttempts'],
      properties: { connectionTimeoutMs: positive, requestTimeoutMs: positive, maxAttempts: { type: 'integer', minimum: 1 } },
    },
    maxBodyBytes: positive,
    idempotency: {
      type: 'object',
      required: ['ttlSeconds', 'leaseSeconds', 'waitSeconds'],
      properties: { ttlSeconds: positive, leaseSeconds: positive, waitSeconds: count },
    },
    buffers: {
      type: 'object',
      required: ['dataBufferUrl', 'imageBufferUrl', 'archiverUrl', 'detectorBufferRoot', 'retry', 'deadlineMs'],
      properties: {
        dataBufferUrl: text,
        imageBufferUrl: text,
        archiverUrl: text,
        detectorBufferRoot: text,
        retry: {
          type: 'object',
          required: ['attempts', 'baseDelayMs', 'maxDelayMs'],
          properties: { attempts: { type: 'integer', minimum: 1 }, baseDelayMs: count, maxDelayMs: count },
        },
        deadlineMs: positive,
      },
    },
    delays: { type: 'object', required: ['dataSeconds', 'detectorSeconds'], properties: { dataSeconds: count, detectorSeconds: count } },
    recovery: { type: 'object', required: ['graceSeconds'], properties: { graceSeconds: count } },
    progressIntervalMs: positive,
    detectorWork: {
      type: 'object',
      required: ['itemBytes', 'maxItems', 'maxBytes'],
      properties: { itemBytes: { type: 'number', minimum: 1_048_576 }, maxItems: { type: 'integer', minimum: 1, maximum: 2_000 }, maxBytes: positive },
    },
    door: {
      type: 'object',
      required: ['checkNames', 'nameBudgetMs', 'nameCacheSeconds', 'archiverMgmtUrl', 'retentionSeconds', 'horizonPulses'],
      properties: {
        checkNames: { type: 'boolean' },
        nameBudgetMs: positive,
        nameCacheSeconds: count,
        archiverMgmtUrl: text,
        retentionSeconds: { type: 'object', properties: { data: positive, image: positive, archiver: positive } },
        horizonPulses: { type: 'integer', minimum: 0 },
      },
    },
  },
} as const;

const validateShape = new Ajv({ strict: true, strictNumbers: true, allErrors: true, allowUnionTypes: true }).compile(configSchema);

/** Which environment variable a config path came from, so a problem names what to fix. */
const SOURCE_OF: Record<string, string> = {
  '/maxBodyBytes': 'SFDAQ_MAX_BODY_BYTES',
  '/idempotency/ttlSeconds': 'SFDAQ_IDEMPOTENCY_TTL_SECONDS',
  '/idempotency/leaseSeconds': 'SFDAQ_IDEMPOTENCY_LEASE_SECONDS',
  '/idempotency/waitSeconds': 'SFDAQ_IDEMPOTENCY_WAIT_SECONDS',
  '/buffers/retry/attempts': 'SFDAQ_RETRY_ATTEMPTS',
  '/buffers/retry/baseDelayMs': 'SFDAQ_RETRY_BASE_MS',
  '/buffers/retry/maxDelayMs': 'SFDAQ_RETRY_MAX_MS',
  '/buffers/deadlineMs': 'SFDAQ_RETRIEVAL_DEADLINE_MS',
  '/delays/dataSeconds': 'SFDAQ_DATA_DELAY_SECONDS',
  '/delays/detectorSeconds': 'SFDAQ_DETECTOR_DELAY_SECONDS',
  '/recovery/graceSeconds': 'SFDAQ_RECOVERY_GRACE_SECONDS',
  '/progressIntervalMs': 'SFDAQ_PROGRESS_INTERVAL_MS',
  '/detectorWork/itemBytes': 'SFDAQ_DETECTOR_ITEM_BYTES',
  '/detectorWork/maxItems': 'SFDAQ_DETECTOR_MAX_ITEMS',
  '/detectorWork/maxBytes': 'SFDAQ_MAX_DETECTOR_BYTES',
  '/door/nameBudgetMs': 'SFDAQ_NAME_CHECK_BUDGET_MS',
  '/door/nameCacheSeconds': 'SFDAQ_NAME_CACHE_SECONDS',
  '/door/retentionSeconds/data': 'SFDAQ_DATA_BUFFER_RETENTION_SECONDS',
  '/door/retentionSeconds/image': 'SFDAQ_IMAGE_BUFFER_RETENTION_SECONDS',
  '/door/retentionSeconds/archiver': 'SFDAQ_ARCHIVER_RETENTION_SECONDS',
  '/door/horizonPulses': 'SFDAQ_HORIZON_PULSES',
  '/aws/connectionTimeoutMs': 'SFDAQ_AWS_CONNECTION_TIMEOUT_MS',
  '/aws/requestTimeoutMs': 'SFDAQ_AWS_REQUEST_TIMEOUT_MS',
  '/aws/maxAttempts': 'SFDAQ_AWS_MAX_ATTEMPTS',
  '/runTable': 'SFDAQ_RUN_TABLE',
  '/bucket': 'SFDAQ_BUCKET',
  '/stateMachineArn': 'SFDAQ_STATE_MACHINE_ARN',
};

/** Check a config built by hand or from the environment; throws ConfigError naming every problem. */
export function checkConfig(config: BrokerConfig): BrokerConfig {
  if (!validateShape(config)) {
    const problems = (validateShape.errors ?? []).map((e) => {
      const path = e.keyword === 'required' ? `${e.instancePath}/${String(e.params.missingProperty)}` : e.instancePath;
      const got = valueAt(config, path);
      if (got === '' && e.keyword === 'minLength') return `${SOURCE_OF[path] ?? path} is not set`;
      return `${SOURCE_OF[path] ?? (path || 'config')} ${e.keyword === 'required' ? 'is not set' : `${e.message} (got ${typeof got === 'number' && !Number.isFinite(got) ? 'not a number' : JSON.stringify(got) ?? 'nothing'})`}`;
    });
    throw new ConfigError(problems);
  }
  if (!Number.isFinite(config.buffers.clock.epochTimeMs)) throw new ConfigError(['SFDAQ_CLOCK_EPOCH_TIME is not an ISO time']);
  checkFacilityConfig(config.facility);
  const defaults = config.detectors?.defaultPvList;
  const unknown = Array.isArray(defaults) ? defaults.filter((b) => !config.facility.beamlines[b]) : [];
  if (unknown.length > 0) throw new ConfigError([`SFDAQ_DEFAULT_PV_LIST names ${unknown.join(', ')}, not a beamline of the facility (use off, all, or beamline names)`]);
  return config;
}

function valueAt(config: unknown, path: string): unknown {
  return path.split('/').slice(1).reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], config);
}

/** The facility from SFDAQ_FACILITY (inline JSON) or SFDAQ_FACILITY_FILE (a JSON file). */
export function loadFacility(env: NodeJS.ProcessEnv): FacilityConfig {
  const source = env.SFDAQ_FACILITY !== undefined ? 'SFDAQ_FACILITY' : 'SFDAQ_FACILITY_FILE';
  const text = env.SFDAQ_FACILITY ?? (env.SFDAQ_FACILITY_FILE ? readFileSync(env.SFDAQ_FACILITY_FILE, 'utf8') : undefined);
  if (!text) throw new ConfigError(['set SFDAQ_FACILITY (JSON) or SFDAQ_FACILITY_FILE (path to JSON)']);
  try {
    return checkFacilityConfig(JSON.parse(text) as FacilityConfig);
  } catch (error) {
    throw new ConfigError([`${source}: ${(error as Error).message}`]);
  }
}

/** A number from the environment, or the default; a non-number stays NaN so checkConfig names it. */
const num = (env: NodeJS.ProcessEnv, name: string, fallback: number) => (env[name] === undefined || env[name] === '' ? fallback : Number(env[name]));

/**
 * The configuration from an environment (a Lambda's, or one the local stack builds), checked.
 *
 * @example const config = loadConfig(process.env); // in a Lambda handler module, once per instance
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  // Every problem at once: a missing facility must not hide a missing table name.
  const problems: string[] = [];
  let facility: FacilityConfig = { beamlines: {} };
  try {
    facility = loadFacility(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  let config: BrokerConfig;
  try {
    config = checkConfig(configFromEnv(env, facility));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError([...problems, ...error.problems]);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function configFromEnv(env: NodeJS.ProcessEnv, facility: FacilityConfig): BrokerConfig {
  return {
    dataRoot: env.SFDAQ_DATA_ROOT ?? '/sf',
    runTable: env.SFDAQ_RUN_TABLE ?? '',
    bucket: env.SFDAQ_BUCKET ?? '',
    stateMachineArn: env.SFDAQ_STATE_MACHINE_ARN ?? '',
    aws: {
      ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
      endpoints: {
        ...(env.AWS_ENDPOINT_URL_DYNAMODB ? { dynamodb: env.AWS_ENDPOINT_URL_DYNAMODB } : {}),
        ...(env.AWS_ENDPOINT_URL_S3 ? { s3: env.AWS_ENDPOINT_URL_S3 } : {}),
        ...(env.AWS_ENDPOINT_URL_SFN ? { sfn: env.AWS_ENDPOINT_URL_SFN } : {}),
      },
      ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } }
        : {}),
      s3ForcePathStyle: env.SFDAQ_S3_FORCE_PATH_STYLE === 'true',
      connectionTimeoutMs: num(env, 'SFDAQ_AWS_CONNECTION_TIMEOUT_MS', 3_000),
      requestTimeoutMs: num(env, 'SFDAQ_AWS_REQUEST_TIMEOUT_MS', 10_000),
      maxAttempts: num(env, 'SFDAQ_AWS_MAX_ATTEMPTS', 3),
    },
    facility,
    maxBodyBytes: num(env, 'SFDAQ_MAX_BODY_BYTES', 1_048_576),
    idempotency: {
      ttlSeconds: num(env, 'SFDAQ_IDEMPOTENCY_TTL_SECONDS', 86_400),
      // Longer than any HTTP function's timeout (29 s), so a holder whose lease ended is surely gone.
      leaseSeconds: num(env, 'SFDAQ_IDEMPOTENCY_LEASE_SECONDS', 60),
      waitSeconds: num(env, 'SFDAQ_IDEMPOTENCY_WAIT_SECONDS', 15),
    },
    buffers: {
      dataBufferUrl: env.SFDAQ_DATA_BUFFER_URL ?? 'https://data-api.psi.ch/sf-databuffer',
      imageBufferUrl: env.SFDAQ_IMAGE_BUFFER_URL ?? 'https://data-api.psi.ch/sf-imagebuffer',
      archiverUrl: env.SFDAQ_ARCHIVER_URL ?? 'http://sf-archapp-05.psi.ch:17668',
      detectorBufferRoot: env.SFDAQ_DETECTOR_BUFFER_ROOT ?? '/gpfs/photonics/swissfel/buffer',
      clock: clockFromEnv(env),
      retry: {
        attempts: num(env, 'SFDAQ_RETRY_ATTEMPTS', DEFAULT_RETRY.attempts),
        baseDelayMs: num(env, 'SFDAQ_RETRY_BASE_MS', DEFAULT_RETRY.baseDelayMs),
        maxDelayMs: num(env, 'SFDAQ_RETRY_MAX_MS', DEFAULT_RETRY.maxDelayMs),
      },
      deadlineMs: num(env, 'SFDAQ_RETRIEVAL_DEADLINE_MS', 14 * 60_000),
    },
    delays: { dataSeconds: num(env, 'SFDAQ_DATA_DELAY_SECONDS', 60), detectorSeconds: num(env, 'SFDAQ_DETECTOR_DELAY_SECONDS', 10) },
    recovery: { graceSeconds: num(env, 'SFDAQ_RECOVERY_GRACE_SECONDS', 120) },
    progressIntervalMs: num(env, 'SFDAQ_PROGRESS_INTERVAL_MS', 1_000),
    detectorWork: detectorWorkFromEnv(env),
    door: {
      checkNames: env.SFDAQ_NAME_CHECK !== 'off',
      nameBudgetMs: num(env, 'SFDAQ_NAME_CHECK_BUDGET_MS', 300),
      nameCacheSeconds: num(env, 'SFDAQ_NAME_CACHE_SECONDS', 300),
      // The Archiver Appliance serves its management API (getAllPVs) on its own port (17665 at PSI).
      archiverMgmtUrl: env.SFDAQ_ARCHIVER_MGMT_URL ?? env.SFDAQ_ARCHIVER_URL ?? 'http://sf-archapp-05.psi.ch:17665',
      retentionSeconds: {
        ...(env.SFDAQ_DATA_BUFFER_RETENTION_SECONDS ? { data: num(env, 'SFDAQ_DATA_BUFFER_RETENTION_SECONDS', 0) } : {}),
        ...(env.SFDAQ_IMAGE_BUFFER_RETENTION_SECONDS ? { image: num(env, 'SFDAQ_IMAGE_BUFFER_RETENTION_SECONDS', 0) } : {}),
        ...(env.SFDAQ_ARCHIVER_RETENTION_SECONDS ? { archiver: num(env, 'SFDAQ_ARCHIVER_RETENTION_SECONDS', 0) } : {}),
      },
      horizonPulses: num(env, 'SFDAQ_HORIZON_PULSES', MAX_PULSES_PER_REQUEST),
    },
    detectors: {
      ...(env.SFDAQ_PEDESTAL_STATE_MACHINE_ARN ? { pedestalStateMachineArn: env.SFDAQ_PEDESTAL_STATE_MACHINE_ARN } : {}),
      ...(env.SFDAQ_DETECTOR_CONTROL_URL ? { controlUrl: env.SFDAQ_DETECTOR_CONTROL_URL } : {}),
      defaultPvList: defaultPvListOf(env.SFDAQ_DEFAULT_PV_LIST),
    },
  };
}

function detectorWorkFromEnv(env: NodeJS.ProcessEnv): DetectorWorkConfig {
  const itemBytes = num(env, 'SFDAQ_DETECTOR_ITEM_BYTES', DEFAULT_DETECTOR_WORK.itemBytes);
  const maxItems = num(env, 'SFDAQ_DETECTOR_MAX_ITEMS', DEFAULT_DETECTOR_WORK.maxItems);
  return { itemBytes, maxItems, maxBytes: num(env, 'SFDAQ_MAX_DETECTOR_BYTES', itemBytes * maxItems) };
}

/**
 * SFDAQ_DEFAULT_PV_LIST: unset, '' or 'off': no beamline; 'all' or 'on': every beamline; else a comma list of beamlines.
 * @example defaultPvListOf('alvra, bernina') // ['alvra', 'bernina']
 */
export function defaultPvListOf(value: string | undefined): 'all' | string[] {
  const text = (value ?? '').trim();
  if (text === '' || text === 'off') return [];
  if (text === 'all' || text === 'on') return 'all';
  return text.split(',').map((b) => b.trim()).filter((b) => b !== '');
}

/** SFDAQ_CLOCK_EPOCH_PULSE_ID / SFDAQ_CLOCK_EPOCH_TIME (ISO) set the facility clock. */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): FacilityClockConfig {
  if (!env.SFDAQ_CLOCK_EPOCH_PULSE_ID) return DEFAULT_CLOCK;
  let epochPulseId: bigint;
  try {
    epochPulseId = BigInt(env.SFDAQ_CLOCK_EPOCH_PULSE_ID);
  } catch {
    throw new ConfigError([`SFDAQ_CLOCK_EPOCH_PULSE_ID is not an integer (got ${JSON.stringify(env.SFDAQ_CLOCK_EPOCH_PULSE_ID)})`]);
  }
  return { epochPulseId, epochTimeMs: Date.parse(env.SFDAQ_CLOCK_EPOCH_TIME ?? '') };
}
