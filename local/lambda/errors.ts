/**
 * What Lambda answers, in one place: the function-error payloads its
 * Invoke API returns and the service exceptions an SDK throws.
 */

/** The payload of a function error (`X-Amz-Function-Error: Unhandled`), as the Node.js runtime and the Lambda service write it. */
export interface LambdaErrorPayload {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/** What `Invoke` (RequestResponse) returns: the function's JSON result, or a function error. */
export type InvokeResult =
  | { requestId: string; payload: unknown; functionError?: undefined; logTail?: string }
  | { requestId: string; payload: LambdaErrorPayload; functionError: 'Unhandled'; logTail?: string };

/** Lambda's payload quotas, bytes of JSON. */
export const LIMITS = {
  /** Synchronous request (RequestResponse). Over it: RequestEntityTooLargeException. */
  syncRequestBytes: 6_291_456,
  /**
   * Synchronous response. AWS lets 100 bytes more than 6 MiB through and reports
   * "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
   */
  syncResponseBytes: 6_291_556,
  /** Asynchronous event (InvocationType Event). 256 KB, the conservative value (AWS raised it to 1 MB in 2025). */
  asyncRequestBytes: 262_144,
} as const;

/** A service-side refusal of the Invoke call itself (the SDK throws these; no function ran). */
export class LambdaServiceError extends Error {
  constructor(name: string, message: string, readonly statusCode: number) {
    super(message);
    this.name = name;
  }
}

/**
 * The request payload is over the quota (HTTP 413). The API reference calls
 * the error RequestTooLargeException, but the service sends the code
 * `RequestEntityTooLargeException` (seen from boto3, the Java SDK and SDK v2),
 * so that is the `name` an SDK's exception carries; so does this one.
 */
export class RequestTooLargeException extends LambdaServiceError {
  constructor(message: string) {
    super('RequestEntityTooLargeException', message, 413);
  }

  static sync(): RequestTooLargeException {
    return new RequestTooLargeException(`Request must be smaller than ${LIMITS.syncRequestBytes} bytes for the InvokeFunction operation`);
  }

  static async(bytes: number, limit: number): RequestTooLargeException {
    return new RequestTooLargeException(`${bytes} byte payload is too large for the Event invocation type (limit ${limit} bytes)`);
  }
}

export class ResourceNotFoundException extends LambdaServiceError {
  constructor(functionArn: string) {
    super('ResourceNotFoundException', `Function not found: ${functionArn}`, 404);
  }
}

export class InvalidRequestContentException extends LambdaServiceError {
  constructor(message: string) {
    super('InvalidRequestContentException', message, 400);
  }
}

/** `Sandbox.Timedout`, as Lambda reports a function killed at its timeout. */
export function timedOut(requestId: string, timeoutSeconds: number): LambdaErrorPayload {
  return { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds` };
}

/** Go's os/exec wording, which Lambda's message uses ("signal: killed", "exit status 1"). */
const SIGNAL_WORDS: Record<string, string> = {
  SIGKILL: 'killed', SIGABRT: 'aborted', SIGSEGV: 'segmentation fault', SIGTERM: 'terminated', SIGBUS: 'bus error',
  SIGILL: 'illegal instruction', SIGFPE: 'floating point exception', SIGTRAP: 'trace/breakpoint trap', SIGINT: 'interrupt', SIGHUP: 'hangup',
};

/**
 * The runtime process ended without answering: `Runtime.ExitError`, or
 * `Runtime.OutOfMemory` when it went over its memory.
 */
export function exited(requestId: string, code: number | null, signal: NodeJS.Signals | null, outOfMemory: boolean): LambdaErrorPayload {
  const how = signal ? `signal: ${SIGNAL_WORDS[signal] ?? signal}` : `exit status ${code ?? 0}`;
  const errorMessage = !signal && code === 0
    ? `RequestId: ${requestId} Error: Runtime exited without providing a reason`
    : `RequestId: ${requestId} Error: Runtime exited with error: ${how}`;
  return { errorType: outOfMemory ? 'Runtime.OutOfMemory' : 'Runtime.ExitError', errorMessage };
}

export function responseTooLarge(): LambdaErrorPayload {
  return { errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${LIMITS.syncResponseBytes} bytes).` };
}
