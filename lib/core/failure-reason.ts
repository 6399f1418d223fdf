/**
 * Reasons a scientist reads (run status, `<output>.err` files) from what
 * Step Functions hands a Catch: `{Error, Cause}`, where a Lambda task's Cause
 * is a JSON string `{"errorType", "errorMessage", "trace": [...]}`. Never a
 * stack trace, never an absolute server path.
 */

/** What a Catch puts at its ResultPath. */
export interface TaskError {
  Error: string;
  Cause?: string;
}

/** Longest reason kept (a reason is a sentence, not a log). */
export const MAX_REASON_CHARS = 1_000;

/** What the errors that carry no useful message of their own mean to a user. */
const MEANING: Record<string, string> = {
  'Sandbox.Timedout': 'the worker ran out of time',
  'Lambda.Unknown': 'the worker stopped unexpectedly (out of time or memory)',
  'Runtime.ExitError': 'the worker stopped unexpectedly',
  'Runtime.OutOfMemory': 'the worker ran out of memory',
  'Runtime.UnhandledPromiseRejection': 'the worker failed unexpectedly',
  'States.Timeout': 'the worker did not answer in time',
  'States.DataLimitExceeded': 'the run is too large for the workflow (a state exceeded 256 KB)',
  'States.TaskFailed': 'the worker failed',
};

/** The message inside a Lambda Cause (JSON), or the Cause itself. */
function messageOf(cause: string | undefined): { type?: string; message?: string } {
  if (cause === undefined || cause === '') return {};
  try {
    const parsed = JSON.parse(cause) as { errorType?: unknown; errorMessage?: unknown };
    if (parsed && typeof parsed === 'object') {
      return {
        ...(typeof parsed.errorType === 'string' ? { type: parsed.errorType } : {}),
        // Lambda prefixes its own errors with the request id: an internal handle, not a reason.
        ...(typeof parsed.errorMessage === 'string' ? { message: parsed.errorMessage.replace(/^RequestId: [0-9a-f-]+ Error: /, '') } : {}),
      };
    }
  } catch {
    // not JSON: a plain message
  }
  return { message: cause };
}

/**
 * Absolute paths become what a user can find: a path inside a pgroup keeps
 * its part from `raw/` on, anything else only its last part.
 *
 * @example scrubPaths('cannot open /sf/alvra/data/p12345/raw/x/run_000001.BSREAD.h5') // 'cannot open raw/x/run_000001.BSREAD.h5'
 */
export function scrubPaths(text: string): string {
  return text.replace(/(?<![\w.:/-])\/(?:[^\s'"`,;()[\]{}<>/]+\/)+[^\s'"`,;()[\]{}<>/]*/g, (path) => {
    const raw = path.lastIndexOf('/raw/');
    if (raw >= 0) return path.slice(raw + 1);
    const last = path.replace(/\/$/, '').split('/').pop() ?? '';
    return last ? `.../${last}` : '...';
  });
}

/** Cut to MAX_REASON_CHARS, first line(s) only: no stack frames. */
function bounded(text: string): string {
  const withoutFrames = text.split('\n').filter((line) => !/^\s+at /.test(line)).join(' ').replace(/\s+/g, ' ').trim();
  return withoutFrames.length > MAX_REASON_CHARS ? `${withoutFrames.slice(0, MAX_REASON_CHARS - 3)}...` : withoutFrames;
}

/**
 * The readable reason of a task error.
 *
 * @example readableReason({ Error: 'Sandbox.Timedout', Cause: '{"errorType":"Sandbox.Timedout","errorMessage":"Task timed out after 900.00 seconds"}' })
 *   // 'the worker ran out of time (Task timed out after 900.00 seconds)'
 */
export function readableReason(error: TaskError): string {
  const { type, message } = messageOf(error.Cause);
  const kind = type ?? error.Error;
  const meaning = MEANING[kind] ?? MEANING[error.Error];
  const text = meaning ? (message ? `${meaning} (${message})` : meaning) : (message ?? `${kind}`);
  return bounded(scrubPaths(text));
}

/** A reason from anywhere (a retriever's own, an exception), made safe to show. */
export function readableText(text: string): string {
  return bounded(scrubPaths(text));
}
