import type { RunRequest } from './run-request';
import type { RunStatus } from './run-status';

/** The saved run record: the request as received (normalised) plus the broker's fields. */
export type RunRecord = Record<string, unknown> & {
  pgroup: string;
  beamline: string;
  run_number: number;
  request_time: string;
};

/** Per-pgroup run numbers: atomic, never reused. */
export interface RunCounter {
  /** Allocate the next run number; throws PgroupClosed if the pgroup is closed. */
  next(beamline: string, pgroup: string): Promise<number>;
  current(beamline: string, pgroup: string): Promise<number>;
  /** Mark closed; later next() calls throw PgroupClosed. */
  close(beamline: string, pgroup: string): Promise<void>;
  isClosed(beamline: string, pgroup: string): Promise<boolean>;
}

/** The pgroup's filesystem (EFS on AWS, a local directory when emulated). */
export interface PgroupFilesystem {
  /** Refuse (RequestRefused) unless the pgroup's raw/ directory exists at this beamline. */
  checkPgroupExists(beamline: string, pgroup: string): Promise<void>;
  /** Refuse (RequestRefused) unless raw/ exists, is a real directory, and raw/.daq is creatable/writable. */
  checkPgroupWritable(beamline: string, pgroup: string): Promise<void>;
  /** Resolve raw/<directory_name> (without creating it); refuse symlinks leaving raw/. Returns the absolute directory. */
  outputDirectory(beamline: string, pgroup: string, directoryParts: string[]): Promise<string>;
  isClosed(beamline: string, pgroup: string): Promise<boolean>;
  markClosed(beamline: string, pgroup: string): Promise<void>;
  /** Atomically write raw/.daq/run_NNNNNN.json; returns its path. */
  writeRunRecord(record: RunRecord): Promise<string>;
  /** Create or append raw/scan_info/<scan_name>.json. */
  appendScanInfo(beamline: string, pgroup: string, scanInfo: Record<string, unknown>, files: string[], range: [number, number]): Promise<string>;
}

/** The object store copy of the bookkeeping and the run's status. */
export interface RunRecordStore {
  putRecord(record: RunRecord): Promise<void>;
  getRecord(beamline: string, pgroup: string, runNumber: number): Promise<RunRecord | undefined>;
  putStatus(status: RunStatus): Promise<void>;
  getStatus(beamline: string, pgroup: string, runNumber: number): Promise<RunStatus | undefined>;
}

/** What the workflow receives: enough to retrieve without reading anything else. */
export interface WorkflowInput {
  beamline: string;
  pgroup: string;
  run_number: number;
  request: RunRequest;
  output_directory: string;
  files: Record<string, string>;
  request_time_ms: number;
}

export interface WorkflowStarter {
  /** Start the run's execution, named after the run so a repeated start cannot run twice. */
  start(input: WorkflowInput): Promise<{ executionArn: string }>;
}
