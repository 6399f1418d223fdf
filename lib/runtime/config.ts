import { readFileSync } from 'node:fs';
import { checkFacilityConfig, type FacilityConfig } from '../core/facility';
import { DEFAULT_CLOCK, type FacilityClockConfig } from '../core/clock';
import { DEFAULT_RETRY } from '../adapters/buffers/retry';
import type { BufferEndpoints } from '../retrieval/types';

/**
 * Configuration, read once from the environment and passed down; nothing
 * below lib/runtime reads process.env. AWS endpoints are the SDK's own
 * standard variables (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL_SFN), so the same code runs against AWS, LocalStack or
 * the local emulators.
 */
export interface BrokerConfig {
  /** Root standing in for /sf: pgroups live at <dataRoot>/<beamline>/data/<pgroup>/raw. */
  dataRoot: string;
  runTable: string;
  bucket: string;
  stateMachineArn: string;
  s3ForcePathStyle: boolean;
  facility: FacilityConfig;
  /** Largest request body accepted, bytes. */
  maxBodyBytes: number;
  /** Idempotency-Key: forgotten after `ttlSeconds`; a holder is presumed alive for `leaseSeconds`; a retry waits up to `waitSeconds` for it. */
  idempotency: { ttlSeconds: number; leaseSeconds: number; waitSeconds: number };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`configuration: environment variable ${name} is not set`);
  return value;
}

/** The facility from SFDAQ_FACILITY (inline JSON) or SFDAQ_FACILITY_FILE (a JSON file). */
export function loadFacility(env: NodeJS.ProcessEnv): FacilityConfig {
  const text = env.SFDAQ_FACILITY ?? (env.SFDAQ_FACILITY_FILE ? readFileSync(env.SFDAQ_FACILITY_FILE, 'utf8') : undefined);
  if (!text) throw new Error('configuration: set SFDAQ_FACILITY (JSON) or SFDAQ_FACILITY_FILE (path to JSON)');
  return checkFacilityConfig(JSON.parse(text) as FacilityConfig);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  return {
    dataRoot: env.SFDAQ_DATA_ROOT ?? '/sf',
    runTable: required(env, 'SFDAQ_RUN_TABLE'),
    bucket: required(env, 'SFDAQ_BUCKET'),
    stateMachineArn: required(env, 'SFDAQ_STATE_MACHINE_ARN'),
    s3ForcePathStyle: env.SFDAQ_S3_FORCE_PATH_STYLE === 'true',
    facility: loadFacility(env),
    maxBodyBytes: Number(env.SFDAQ_MAX_BODY_BYTES ?? 1_048_576),
    idempotency: {
      ttlSeconds: Number(env.SFDAQ_IDEMPOTENCY_TTL_SECONDS ?? 86_400),
      // Longer than any HTTP function's timeout (29 s), so a holder whose lease ended is surely gone.
      leaseSeconds: Number(env.SFDAQ_IDEMPOTENCY_LEASE_SECONDS ?? 60),
      waitSeconds: Number(env.SFDAQ_IDEMPOTENCY_WAIT_SECONDS ?? 15),
    },
  };
}

/**
 * Where the four buffers are (only the workflow's retrievers need this).
 * SFDAQ_CLOCK_EPOCH_PULSE_ID / SFDAQ_CLOCK_EPOCH_TIME (ISO) set the facility clock.
 */
export function loadBufferEndpoints(env: NodeJS.ProcessEnv = process.env): BufferEndpoints {
  return {
    dataBufferUrl: env.SFDAQ_DATA_BUFFER_URL ?? 'https://data-api.psi.ch/sf-databuffer',
    imageBufferUrl: env.SFDAQ_IMAGE_BUFFER_URL ?? 'https://data-api.psi.ch/sf-imagebuffer',
    archiverUrl: env.SFDAQ_ARCHIVER_URL ?? 'http://sf-archapp-05.psi.ch:17668',
    detectorBufferRoot: env.SFDAQ_DETECTOR_BUFFER_ROOT ?? '/gpfs/photonics/swissfel/buffer',
    clock: clockFromEnv(env),
    retry: {
      attempts: Number(env.SFDAQ_RETRY_ATTEMPTS ?? DEFAULT_RETRY.attempts),
      baseDelayMs: Number(env.SFDAQ_RETRY_BASE_MS ?? DEFAULT_RETRY.baseDelayMs),
      maxDelayMs: Number(env.SFDAQ_RETRY_MAX_MS ?? DEFAULT_RETRY.maxDelayMs),
    },
    deadlineMs: Number(env.SFDAQ_RETRIEVAL_DEADLINE_MS ?? 14 * 60_000),
  };
}

export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): FacilityClockConfig {
  if (!env.SFDAQ_CLOCK_EPOCH_PULSE_ID) return DEFAULT_CLOCK;
  return { epochPulseId: BigInt(env.SFDAQ_CLOCK_EPOCH_PULSE_ID), epochTimeMs: Date.parse(env.SFDAQ_CLOCK_EPOCH_TIME ?? '') };
}

/** Seconds to wait after the request before reading (the original: 60 s data/image, 10 s detector). */
export function loadRetrievalDelays(env: NodeJS.ProcessEnv = process.env): { dataSeconds: number; detectorSeconds: number } {
  return { dataSeconds: Number(env.SFDAQ_DATA_DELAY_SECONDS ?? 60), detectorSeconds: Number(env.SFDAQ_DETECTOR_DELAY_SECONDS ?? 10) };
}
