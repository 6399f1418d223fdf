/**
 * Fault injection shared by every buffer simulator, switchable at run time so
 * tests can produce each fault over a real socket or real files.
 *
 * A simulator holds one FaultPlan; tests set it (in process, or over HTTP via
 * `PUT /__faults` on the HTTP simulators) and clear it afterwards.
 */
export interface FaultPlan {
  /** Added delay before answering, ms. */
  latencyMs?: number;
  /** Answer the next N requests with this HTTP status (e.g. 503), then behave. */
  httpErrors?: { status: number; count: number };
  /** Destroy the socket after this many body bytes of the next N responses. */
  resetAfterBytes?: { bytes: number; count: number };
  /** End the body early (cleanly) after this many bytes of the next N responses. */
  truncateAfterBytes?: { bytes: number; count: number };
  /** Pulse ids never delivered (as if the source dropped them). */
  missingPulseIds?: bigint[];
  /** Pulse ids delivered twice. */
  duplicatedPulseIds?: bigint[];
  /** The next N requests are delayed by `ms` (a stalled buffer that recovers). */
  slowRequests?: { ms: number; count: number };
  /** Down until this time (ms since 1970): every request answered with `status` (a restart, a maintenance window). */
  outage?: { untilMs: number; status: number };
}

/**
 * The failure a request meets under the plan, if any: an ongoing outage
 * first, else one use of the counted httpErrors.
 */
export function takeFailure(plan: FaultPlan, now = Date.now()): { status: number } | undefined {
  if (plan.outage && now < plan.outage.untilMs) return { status: plan.outage.status };
  return takeCounted(plan.httpErrors);
}

/** Take one use of a counted fault; returns the fault if it applies to this request. */
export function takeCounted<T extends { count: number }>(fault: T | undefined): T | undefined {
  if (!fault || fault.count <= 0) return undefined;
  fault.count -= 1;
  return fault;
}

/** JSON body of `PUT /__faults` -> FaultPlan (pulse ids arrive as numbers or strings). */
export function parseFaultPlan(body: unknown): FaultPlan {
  const b = (body ?? {}) as Record<string, unknown>;
  const ids = (v: unknown) => (Array.isArray(v) ? v.map((x) => BigInt(x as string | number)) : undefined);
  const plan: FaultPlan = {};
  if (typeof b.latencyMs === 'number') plan.latencyMs = b.latencyMs;
  if (b.httpErrors) plan.httpErrors = { ...(b.httpErrors as { status: number; count: number }) };
  if (b.resetAfterBytes) plan.resetAfterBytes = { ...(b.resetAfterBytes as { bytes: number; count: number }) };
  if (b.truncateAfterBytes) plan.truncateAfterBytes = { ...(b.truncateAfterBytes as { bytes: number; count: number }) };
  const missing = ids(b.missingPulseIds);
  if (missing) plan.missingPulseIds = missing;
  const dup = ids(b.duplicatedPulseIds);
  if (dup) plan.duplicatedPulseIds = dup;
  if (b.slowRequests) plan.slowRequests = { ...(b.slowRequests as { ms: number; count: number }) };
  // `{"outageMs": 120000}`: down for that long from now (503 unless `outageStatus` says otherwise).
  if (typeof b.outageMs === 'number') plan.outage = { untilMs: Date.now() + b.outageMs, status: typeof b.outageStatus === 'number' ? b.outageStatus : 503 };
  return plan;
}
