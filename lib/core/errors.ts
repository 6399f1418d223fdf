/**
 * The project's small error family. Every error carries a message a scientist
 * understands; `name` is set because Lambda reports it as the error type that
 * Step Functions Retry/Catch match on.
 */

/** A request the broker will not accept; `field` names the request field at fault. */
export class RequestRefused extends Error {
  override readonly name = 'RequestRefused';
  constructor(readonly field: string | undefined, message: string) {
    super(message);
  }
}

/** A buffer that could not be reached or answered with a transient fault: retry. */
export class BufferUnavailable extends Error {
  override readonly name = 'BufferUnavailable';
  constructor(readonly buffer: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The requested pulses are no longer in the ring buffer: permanent. */
export class RangeExpired extends Error {
  override readonly name = 'RangeExpired';
  constructor(readonly buffer: string, message = `range expired from the ${buffer} buffer`) {
    super(message);
  }
}

/** A buffer answered with something that breaks its protocol (corrupt frame, bad JSON): permanent. */
export class BufferProtocolError extends Error {
  override readonly name = 'BufferProtocolError';
  constructor(readonly buffer: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Transient errors are worth retrying; everything else is reported as is. */
export function isTransient(error: unknown): boolean {
  return error instanceof BufferUnavailable;
}

/** The pgroup is closed for writing: every later request is refused. */
export class PgroupClosed extends RequestRefused {
  constructor(pgroup: string, where: string) {
    super('pgroup', `${where} is closed for writing (pgroup ${pgroup})`);
  }
}

/** An accepted run (a number was allocated) that could not be recorded or handed off. */
export class RunNotStarted extends Error {
  override readonly name = 'RunNotStarted';
  constructor(readonly runNumber: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
