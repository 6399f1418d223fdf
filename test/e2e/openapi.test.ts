import '../../lib/runtime/polyfills';
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { OpenApiDocument } from '../../lib/openapi/document';
import { seedRequest, startTestStack, type TestStack } from '../helpers/local-stack';
import { waitForRun } from '../helpers/runs';
import { schemaValidator } from '../unit/openapi/schema-validator';

let stack: TestStack;
let doc: OpenApiDocument;
beforeAll(async () => {
  stack = await startTestStack();
  doc = (await stack.get('/openapi.json')).json as unknown as OpenApiDocument;
});
afterAll(async () => {
  await stack?.destroy();
});

test('GET /openapi.json serves a valid OpenAPI 3.1 document naming this server', async () => {
  const result = await validate(structuredClone(doc) as never);
  expect(result.valid ? [] : result.errors).toEqual([]);
  expect(doc.servers).toEqual([{ url: stack.url }]);
});

test('the broker\'s real answers match the document\'s schemas', async () => {
  const schema = schemaValidator(doc);
  const check = (name: string, body: unknown) => {
    const validate = schema(name);
    expect(validate(body), `${name}: ${JSON.stringify(validate.errors)} for ${JSON.stringify(body).slice(0, 300)}`).toBe(true);
  };
  const now = Number(stack.clock.currentPulseId());
  const request = { pgroup: 'p12345', start_pulseid: now - 300, stop_pulseid: now - 291, channels_list: ['SAR-CVME-TIFALL5:EvtSet'] };
  check('RetrieveRequest', request);
  const accepted = await stack.post('/retrieve_from_buffers', request);
  check('Accepted', accepted.json);
  const run = accepted.json.run_number as number;
  check('Refused', (await stack.post('/retrieve_from_buffers', seedRequest({ pgroup: 'p23456' }))).json);
  check('Refused', (await stack.post('/retrieve_from_buffers', '{"pgroup":')).json);
  check('RunNumber', (await stack.get('/get_current_run_number?pgroup=p12345')).json);
  check('RunStatusReply', (await stack.get(`/runs/p12345/${run}`)).json);
  await waitForRun(stack, 'p12345', run);
  check('RunStatusReply', (await stack.get(`/runs/p12345/${run}`)).json);
  check('RunList', (await stack.get('/runs/p12345')).json);
  check('Refused', (await stack.get('/runs/p12345?limit=0')).json);
  check('RunNumber', (await stack.post('/advance_run_number', { pgroup: 'p12345' })).json);
  check('Closed', (await stack.post('/close_pgroup_writing', { pgroup: 'p12345' })).json);
});
