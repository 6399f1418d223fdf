/**
 * The recovery sweep, the scheduled function (serverless.yml recoverySweep):
 * a run whose workflow ended without recording an outcome is recorded failed
 * with the reason; a run recorded but never handed to the workflow (its
 * process died in between) is started; finished runs leave the open-run index.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { acceptRetrieve } from '../../lib/core/accept';
import type { RecoveryReport } from '../../lib/core/recover';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { waitForRun } from '../helpers/runs';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ retryTimeScale: 0.01 });
});
afterAll(async () => {
  await stack?.destroy();
});

const sweep = async () => (await stack.lambda.invoke('recoverySweep', { graceSeconds: 0 })).payload as RecoveryReport;
const open = async () => (await stack.app().openRuns.openRuns('alvra')).map((r) => r.run_number);
const recent = () => {
  const now = Number(stack.clock.currentPulseId());
  return { pgroup: 'p12345', start_pulseid: now - 300, stop_pulseid: now - 201, channels_list: ['SAR-CVME-TIFALL5:EvtSet'] };
};

describe('the recovery sweep', () => {
  test('a finished run is no longer open; the sweep finds nothing to do', async () => {
    const { json } = await stack.post('/retrieve_from_buffers', recent());
    await waitForRun(stack, 'p12345', json.run_number as number);
    await stack.sfn.idle();
    expect(await open()).not.toContain(json.run_number);
    expect(await sweep()).toMatchObject({ started: [], failed: [], skipped: [] });
  });

  test('a workflow that ended without an outcome (its last step could not write): the run is recorded failed with the reason', async () => {
    const environment = stack.lambda.configuration('recordOutcome').environment;
    // The bookkeeping store is unreachable for the last step: it fails every retry, the execution fails.
    await stack.lambda.updateFunctionConfiguration('recordOutcome', { environment: { ...environment, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', SFDAQ_AWS_MAX_ATTEMPTS: '1' } });
    let run: number;
    try {
      const { json } = await stack.post('/retrieve_from_buffers', recent());
      run = json.run_number as number;
      await stack.sfn.idle();
    } finally {
      await stack.lambda.updateFunctionConfiguration('recordOutcome', { environment });
    }
    const label = `run_${String(run).padStart(6, '0')}`;
    expect(stack.sfn.describe(`arn:aws:states:eu-central-1:000000000000:execution:sfdaq-retrieve-local:alvra-p12345-${label}`)?.status).toBe('FAILED');
    expect((await stack.get(`/runs/p12345/${run}`)).json.message).toBe('retrieving'); // stuck, as it would be on AWS
    expect(await open()).toContain(run);

    const report = await sweep();
    expect(report.failed).toEqual([{ run: `alvra/p12345/${run}`, reason: expect.stringMatching(/^the retrieval workflow stopped \(failed\): /) }]);
    const status = (await stack.get(`/runs/p12345/${run}`)).json.run as Record<string, string>;
    expect(status.state).toBe('failed');
    expect(status.reason).not.toMatch(/errorType|"trace"|\/tmp\//);
    expect(await open()).not.toContain(run);
  });

  test('a run recorded but never handed to the workflow (the process died in between) is started by the sweep and finishes', async () => {
    const app = stack.app();
    const never = new Promise<never>(() => undefined);
    // The accepting process dies right at StartExecution: records, status and open entry are written, no execution.
    void acceptRetrieve(recent() as never, { sourceIp: '127.0.0.1' }, { ...app, workflow: { start: () => never } });
    let run = 0;
    for (let i = 0; i < 100 && run === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const status = await app.store.getStatus('alvra', 'p12345', await app.counter.current('alvra', 'p12345'));
      if (status?.state === 'accepted') run = status.run_number;
    }
    expect(run).toBeGreaterThan(0);
    expect(await open()).toContain(run);

    const report = await sweep();
    expect(report.started).toEqual([`alvra/p12345/${run}`]);
    const finished = await waitForRun(stack, 'p12345', run);
    expect(finished.state).toBe('done');
    await stack.sfn.idle();
    expect(await open()).not.toContain(run);
  });
});
