import { createHash, randomUUID } from 'node:crypto';
import type { RetrieveRequestBody } from '../schemas/retrieve-request';
import { beamlineOf, prepareRun, recordAndStart, type AcceptDeps, type Accepted, type PreparedRun } from './accept';
import { RequestRefused, RunNotStarted } from './errors';
import type { Caller } from './facility';
import type { ClaimingRunCounter, IdempotencyRecord, IdempotencyStore } from './ports';

/**
 * Idempotent retries of POST /retrieve_from_buffers: a client that timed out
 * re-sends the same body with the same `Idempotency-Key` and gets the same
 * run number and answer, never a second run. Keys belong to the caller's
 * beamline and are forgotten after `ttlSeconds`.
 *
 * The steps and what a crash between them leaves (a "crash" being anything
 * that stops the request for good: a killed process, a Lambda timeout):
 *
 *   1. claim the key (conditional write: absent or expired)  -> a pending key, no number
 *   2. take a number, marking the counter with our token     -> number known to the counter only
 *   3. record the number with the key                        -> number known to the key
 *   4. bookkeeping and workflow start (recordAndStart)       -> partly written run
 *   5. store the answer with the key                         -> done: retries replay it
 *
 * A retry that finds the key pending waits while the holder's lease runs
 * (`leaseSeconds`, longer than any function's timeout, so the holder is
 * dead when it ends), then takes the key over in one conditional write that
 * also returns the number recorded in step 3. Without one it settles with
 * the counter: either the number the stopped holder took in step 2, or a
 * fence that makes the holder's step 2 fail for ever. So the retry resumes
 * the same run number (step 4 is idempotent when resumed), or takes the
 * first number for the key; never a second. And it never waits for ever:
 * every lease ends.
 */
export interface IdempotencySettings {
  /** Keys are forgotten this long after their first use. */
  ttlSeconds: number;
  /** How long a request holding a key is presumed alive. */
  leaseSeconds: number;
  /** How long a retry waits for a request still holding the key before answering "in progress". */
  waitSeconds: number;
  /** Poll interval while waiting, ms (default 200). */
  pollMs?: number;
}

export interface IdempotentDeps extends AcceptDeps {
  idempotency: IdempotencyStore;
  claims: ClaimingRunCounter;
  idempotencySettings: IdempotencySettings;
  sleep?: (ms: number) => Promise<void>;
}

/** A retry arrived while the first request with its key is still being handled: try again shortly. */
export class RequestInProgress extends Error {
  override readonly name = 'RequestInProgress';
  readonly field = 'Idempotency-Key';
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}

/** The answer stored with a key (JSON): accepted, or numbered but not started. */
type StoredOutcome =
  | { kind: 'accepted'; beamline: string; runNumber: number; files: Record<string, string>; executionArn: string }
  | { kind: 'not_started'; runNumber: number; message: string };

export interface IdempotentAccepted extends Accepted {
  /** True when this is the stored answer of an earlier request with the same key. */
  replayed: boolean;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The header's value, or a refusal saying what a key may be. */
export function checkIdempotencyKey(key: string): string {
  if (!KEY_PATTERN.test(key)) {
    throw new RequestRefused('Idempotency-Key', 'the Idempotency-Key header must be 1 to 255 visible ASCII characters (e.g. a UUID)');
  }
  return key;
}

/** The same request, whatever the order of its keys: SHA-256 of its canonical JSON. */
export function fingerprintOf(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    // Object.entries reads own properties only, so a "__proto__" key is hashed as the data it is.
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * acceptRetrieve with an Idempotency-Key (see above). Refusals that need no
 * number come first and store nothing, so a corrected request may reuse its key.
 *
 * @example
 *   const { runNumber, replayed } = await acceptWithKey(body, caller, 'b7e2c1d0-...', deps);
 */
export async function acceptWithKey(body: RetrieveRequestBody, caller: Caller, key: string, deps: IdempotentDeps): Promise<IdempotentAccepted> {
  checkIdempotencyKey(key);
  const beamline = beamlineOf(deps.facility, caller);
  const fingerprint = fingerprintOf(body);
  // An answered key is answered again before any check: a retry must not be refused for what changed since.
  const known = await deps.idempotency.get(beamline, key, deps.now().getTime());
  if (known && known.fingerprint !== fingerprint) throw keyReused(known);
  if (known?.outcome !== undefined) return replay(known.outcome);

  const prepared = await prepareRun(body, caller, deps);
  const pgroup = prepared.request.pgroup;
  const settings = deps.idempotencySettings;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // The owner's start time in its token lets the counter prune marks of long-gone owners (lib/adapters/dynamodb/run-counter.ts).
  const token = `t${deps.now().getTime()}-${randomUUID()}`;
  const waitUntil = deps.now().getTime() + settings.waitSeconds * 1000;

  for (;;) {
    const now = deps.now().getTime();
    const claim = await deps.idempotency.claim(beamline, key, {
      fingerprint, pgroup, owner: token,
      leaseUntilMs: now + settings.leaseSeconds * 1000,
      expiresAtS: Math.floor(now / 1000) + settings.ttlSeconds,
      requestTimeMs: now,
    }, now);
    if (claim.claimed) return numberAndRecord(prepared, key, token, now, undefined, deps);

    const existing = claim.existing;
    if (existing && existing.fingerprint !== fingerprint) throw keyReused(existing);
    if (existing?.outcome !== undefined) return replay(existing.outcome);

    if (existing && existing.leaseUntilMs < now) {
      // The holder stopped without answering: take its key (and its number, if it took one) over.
      const taken = await deps.idempotency.takeOver(beamline, key, existing.owner, token, now + settings.leaseSeconds * 1000, now);
      if (taken) {
        let runNumber = taken.runNumber;
        if (runNumber === undefined) {
          const settled = await deps.claims.settle(beamline, pgroup, existing.owner);
          if ('runNumber' in settled) {
            runNumber = settled.runNumber;
            if (!(await deps.idempotency.setRunNumber(beamline, key, token, runNumber))) throw inProgress(settings);
          }
        }
        // The stopped holder's number is recorded with the key now, so its mark on the counter can go
        // (it had taken a number, so settle set no fence that this could lift).
        if (runNumber !== undefined) await deps.claims.forget(beamline, pgroup, existing.owner).catch(() => undefined);
        return numberAndRecord(prepared, key, token, taken.requestTimeMs, runNumber, deps);
      }
      continue; // someone else moved first: look again
    }

    // Held by a request that is (presumably) still running, or gone meanwhile: wait a little and look again.
    if (now >= waitUntil) throw inProgress(settings);
    if (existing) await sleep(Math.min(settings.pollMs ?? 200, Math.max(1, waitUntil - now)));
  }
}

function keyReused(existing: IdempotencyRecord): RequestRefused {
  const what = existing.runNumber !== undefined ? `run ${existing.runNumber} of pgroup ${existing.pgroup}` : `a request for pgroup ${existing.pgroup}`;
  return new RequestRefused('Idempotency-Key', `the Idempotency-Key was already used for a different request (${what}); send a new key with a new request`);
}

function inProgress(settings: IdempotencySettings): RequestInProgress {
  return new RequestInProgress(
    'a request with this Idempotency-Key is still being handled; send it again in a few seconds to get its answer',
    Math.max(1, Math.min(settings.leaseSeconds, 5)),
  );
}

/** Steps 2-5 for the key's holder; `runNumber` is set when resuming a number an earlier holder took. */
async function numberAndRecord(prepared: PreparedRun, key: string, token: string, requestTimeMs: number, runNumber: number | undefined, deps: IdempotentDeps): Promise<IdempotentAccepted> {
  const { beamline } = prepared;
  const pgroup = prepared.request.pgroup;
  const resume = runNumber !== undefined;
  let number: number;
  if (runNumber === undefined) {
    try {
      number = await deps.claims.nextFor(beamline, pgroup, token);
    } catch (error) {
      // No number was taken (closed, fenced, or the counter unreachable): give the key back.
      await deps.idempotency.release(beamline, key, token).catch(() => undefined);
      if ((error as Error).name === 'AllocationFenced') throw inProgress(deps.idempotencySettings);
      throw error;
    }
    // If the key was taken over meanwhile, the taker settles with the counter and resumes this number.
    if (!(await deps.idempotency.setRunNumber(beamline, key, token, number))) throw inProgress(deps.idempotencySettings);
    await deps.claims.forget(beamline, pgroup, token).catch(() => undefined);
  } else {
    number = runNumber;
  }

  let outcome: StoredOutcome;
  try {
    const accepted = await recordAndStart(prepared, number, new Date(requestTimeMs), deps, { resume });
    outcome = { kind: 'accepted', beamline, runNumber: number, files: accepted.files, executionArn: accepted.executionArn };
  } catch (error) {
    // Anything else leaves the key pending with its number: a retry after the lease resumes this very run.
    if (!(error instanceof RunNotStarted)) throw error;
    outcome = { kind: 'not_started', runNumber: number, message: error.message };
  }
  await deps.idempotency.complete(beamline, key, token, JSON.stringify(outcome));
  return answer(outcome, false);
}

function replay(stored: string): IdempotentAccepted {
  return answer(JSON.parse(stored) as StoredOutcome, true);
}

function answer(outcome: StoredOutcome, replayed: boolean): IdempotentAccepted {
  if (outcome.kind === 'not_started') throw new RunNotStarted(outcome.runNumber, outcome.message);
  return { beamline: outcome.beamline, runNumber: outcome.runNumber, files: outcome.files, executionArn: outcome.executionArn, replayed };
}

export type { IdempotencyRecord };
