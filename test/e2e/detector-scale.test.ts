import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/local-stack';
let stack: TestStack;
beforeAll(async () => { stack = await startTestStack(); });
afterAll(async () => { await stack?.destroy(); });
test('debug', async () => {
  const now = stack.clock.currentPulseId();
  const { json } = await stack.post('/retrieve_from_buffers', {
    pgroup: 'p12345', start_pulseid: Number(now - 400n), stop_pulseid: Number(now - 201n), directory_name: 'e2e/run',
    channels_list: ['SAR-CVME-TIFALL5:EvtSet', 'NO-SUCH:CHANNEL'], detectors: { JF01T03V01: {} },
  });
  console.log(json);
  expect(1).toBe(1);
});
