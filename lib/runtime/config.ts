import { readFileSync } from 'node:fs';
import { checkFacilityConfig, type FacilityConfig } from '../core/facility';

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
  };
}
