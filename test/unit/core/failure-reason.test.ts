import { describe, expect, test } from 'vitest';
import { MAX_REASON_CHARS, readableReason, readableText, scrubPaths } from '../../../lib/core/failure-reason';

const lambdaCause = (errorType: string, errorMessage: string) =>
  JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`, '    at retrieve (/var/task/functions/workflow/retrieve-source.mjs:12:3)', '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)'] });

describe('readable reasons from Step Functions task errors', () => {
  test('a Lambda Cause becomes its message: no JSON, no trace', () => {
    const reason = readableReason({ Error: 'RangeExpired', Cause: lambdaCause('RangeExpired', 'range expired from the data buffer') });
    expect(reason).toBe('range expired from the data buffer');
  });

  test.for([
    ['Sandbox.Timedout', 'RequestId: 5b1c9a8e-0d1f-4c3a-9b7e-2f4d6a8c0e12 Error: Task timed out after 900.00 seconds', 'the worker ran out of time (Task timed out after 900.00 seconds)'],
    ['Runtime.ExitError', 'RequestId: 1 Error: Runtime exited with error: signal: killed', 'the worker stopped unexpectedly (Runtime exited with error: signal: killed)'],
  ])('%s is said in words', ([type, message, expected]) => {
    expect(readableReason({ Error: type!, Cause: lambdaCause(type!, message!) })).toBe(expected);
  });

  test('errors without a Cause (States.*) and plain-text causes', () => {
    expect(readableReason({ Error: 'States.Timeout' })).toBe('the worker did not answer in time');
    expect(readableReason({ Error: 'Custom', Cause: 'plain words' })).toBe('plain words');
    expect(readableReason({ Error: 'Custom' })).toBe('Custom');
  });

  test('absolute paths never appear: pgroup paths from raw/ on, others by their last part', () => {
    const cause = lambdaCause('Error', "EACCES: permission denied, open '/mnt/sf/alvra/data/p12345/raw/scan/run_000007.BSREAD.h5' (via /var/task/node_modules/h5wasm/dist/node/hdf5_hl.js)");
    const reason = readableReason({ Error: 'Error', Cause: cause });
    expect(reason).toContain("'raw/scan/run_000007.BSREAD.h5'");
    expect(reason).toContain('.../hdf5_hl.js');
    expect(reason).not.toMatch(/\/mnt|\/var\/task/);
    expect(scrubPaths('no path here, only a/relative/one and http://host/x')).toBe('no path here, only a/relative/one and http://host/x');
  });

  test('stack frames in a message are dropped and long reasons cut', () => {
    expect(readableText('boom\n    at f (/x/y.js:1:1)\n    at g (/x/z.js:2:2)')).toBe('boom');
    expect(readableText('x'.repeat(5000)).length).toBe(MAX_REASON_CHARS);
  });
});
