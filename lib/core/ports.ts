import type { RunRequest } from './run-request';
import type { RunStatus, SourceProgress } from './run-status';
import type { SourceCheck } from './check/types';

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
  /**
   * Record the run's step of its scan and render raw/scan_info/<scan_name>.json
   * from every step recorded (in pulse order). Once per run: a second call for
   * the same run records nothing new. Safe across processes.
   */
  appendScanInfo(beamline: string, pgroup: string, runNumber: number, scanInfo: Record<string, unknown>, files: string[], range: [number, number]): Promise<string>;
}

/** The object store copy of the bookkeeping and the run's status. */
export interface RunRecordStore {
  putRecord(record: RunRecord): Promise<void>;
  getRecord(beamline: string, pgroup: string, runNumber: number): Promise<RunRecord | undefined>;
  putStatus(status: RunStatus): Promise<void>;
  /** The full consistency check of one source (the status keeps a bounded summary). */
  putCheck(run: RunRef, source: string, check: SourceCheck): Promise<void>;
  getCheck(run: RunRef, source: string): Promise<SourceCheck | undefined>;
  getStatus(beamline: string, pgroup: string, runNumber: number): Promise<RunStatus | undefined>;
  /** The pgroup's run statuses in run order; `limit` keeps only the latest ones. */
  listStatuses(beamline: string, pgroup: string, options?: { limit?: number }): Promise<RunStatus[]>;
}

/** Which run: what the workflow carries between its states (each task loads the rest from the run record). */
export interface RunRef {
  beamline: string;
  pgroup: string;
  run_number: number;
}

/** What a workflow task works from: the run record, resolved (lib/core/run-context.ts). */
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
  /** Start the run's execution, named after the run so a repeated start cannot run twice; its input is the reference only. */
  start(run: RunRef): Promise<{ executionArn: string }>;
}

/**
 * Runs accepted and not yet finished, findable without listing every run of
 * every pgroup: the accept path opens an entry before the hand-off, the
 * workflow's last step closes it, the recovery sweep reads them.
 */
export interface OpenRunIndex {
  opened(run: RunRef, acceptedMs: number): Promise<void>;
  closed(run: RunRef): Promise<void>;
  /** The beamline's open runs, oldest first. */
  openRuns(beamline: string): Promise<Array<RunRef & { acceptedMs: number }>>;
}

/** Progress of the sources of running runs, written by the retrievers while they work. */
export interface ProgressStore {
  report(run: RunRef, source: string, progress: SourceProgress): Promise<void>;
  /** Every source's last report (empty when none). */
  read(run: RunRef): Promise<Record<string, SourceProgress>>;
  clear(run: RunRef): Promise<void>;
}

/**
 * Run numbers taken on behalf of a claim (an Idempotency-Key's holder). The
 * counter remembers which claim took which number until it is forgotten, so a
 * retry that finds its predecessor stopped can learn the number it took, or
 * fence it so it can never take one: exactly one of the two, atomically.
 */
export interface ClaimingRunCounter {
  /** Like RunCounter.next, remembering `owner`; throws PgroupClosed, or AllocationFenced once settle() fenced `owner`. */
  nextFor(beamline: string, pgroup: string, owner: string): Promise<number>;
  /** The number `owner` took, or (if it took none) fence it so it never will. */
  settle(beamline: string, pgroup: string, owner: string): Promise<{ runNumber: number } | { fenced: true }>;
  /** Drop what the counter remembers about `owner` (housekeeping once its number is recorded with the key). */
  forget(beamline: string, pgroup: string, owner: string): Promise<void>;
}

/** What an Idempotency-Key holds: the request's fingerprint, its holder, its run number and, once answered, the answer. */
export interface IdempotencyRecord {
  fingerprint: string;
  pgroup: string;
  /** The token of the request handling the key now. */
  owner: string;
  /** Until then the owner is presumed alive (longer than any function timeout); after it, a retry takes over. */
  leaseUntilMs: number;
  /** Epoch seconds after which the key is forgotten (also the DynamoDB TTL attribute). */
  expiresAtS: number;
  /** The request time of the run, chosen once, so a resumed run keeps its bookkeeping identical. */
  requestTimeMs: number;
  runNumber?: number;
  /** The stored answer (JSON), present once the request was answered. */
  outcome?: string;
}

export interface IdempotencyStore {
  /** The key's record, unless absent or expired. */
  get(beamline: string, key: string, nowMs: number): Promise<IdempotencyRecord | undefined>;
  /** Take the key if it is absent or expired; otherwise return the record holding it (undefined if it vanished meanwhile). */
  claim(beamline: string, key: string, record: Omit<IdempotencyRecord, 'runNumber' | 'outcome'>, nowMs: number): Promise<{ claimed: true } | { claimed: false; existing: IdempotencyRecord | undefined }>;
  /**
   * Hand a stale, unanswered key from `from` to `to`; returns the record as it
   * is after the hand-over (its run number read in the same atomic step), or
   * undefined if someone else moved first or the lease is still running.
   */
  takeOver(beamline: string, key: string, from: string, to: string, leaseUntilMs: number, nowMs: number): Promise<IdempotencyRecord | undefined>;
  /** Record the run number of the key's owner (false if `owner` no longer holds the key). */
  setRunNumber(beamline: string, key: string, owner: string, runNumber: number): Promise<boolean>;
  /** Store the answer (false if `owner` no longer holds the key). */
  complete(beamline: string, key: string, owner: string, outcome: string): Promise<boolean>;
  /** Give an unnumbered key back (it reads as absent), so a retry starts afresh. */
  release(beamline: string, key: string, owner: string): Promise<void>;
}

/** Read access to raw/scan_info for the accept path: a safety check before numbering, and "already appended?" for resumed runs. */
export interface ScanInfoReader {
  /** Refuse (RequestRefused) if raw/scan_info/<scan_name>.json could not be written safely (symlink leading out, not a regular file). */
  checkWritable(beamline: string, pgroup: string, scanName: string): Promise<void>;
}

/** A run's workflow execution as Step Functions knows it (the recovery sweep's look before acting). */
export type ExecutionState = { exists: false } | { exists: true; status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE'; error?: string; cause?: string };

export interface ExecutionLookup {
  describe(run: RunRef): Promise<ExecutionState>;
}
