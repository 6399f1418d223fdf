import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/local-stack';

const python = '/usr/bin/python3';
const hasRequests = spawnSync(python, ['-c', 'import requests']).status === 0;

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.destroy();
});

test.skipIf(!hasRequests)('the seed\'s Python snippet (requests, json=, timeout=10) works unchanged', async () => {
  const script = new URL('../python/seed_client.py', import.meta.url).pathname;
  // async: the broker runs in this very process and must keep answering while Python waits.
  const { stdout } = await promisify(execFile)(python, [script, stack.url], { encoding: 'utf8' });
  const out = JSON.parse(stdout);
  expect(out.http).toBe(200);
  expect(out.status).toBe('ok');
  expect(out.run_number).toBe(1);
  expect(out.refused).toEqual({ http: 200, status: 'failed', message: expect.stringMatching(/no start or stop pulseid/) });
});
