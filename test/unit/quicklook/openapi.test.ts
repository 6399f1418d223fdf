import Ajv2020 from 'ajv/dist/2020';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runDetails, runSummaries } from '../../../lib/core/run-details';
import { quicklookReplySchema, runDetailsReplySchema, runSummariesSchema } from '../../../lib/quicklook/openapi';
import { quicklook } from '../../../lib/quicklook/quicklook';
import { validateQuicklookQuery } from '../../../lib/quicklook/query';
import { ALVRA, DET, makePgroup, writeRun, type Pgroup } from './support';

// As test/unit/openapi/schema-validator.ts compiles the document's schemas: 2020-12, strict, no union types.
const ajv = new Ajv2020({ strict: true, allowUnionTypes: false, allErrors: true });
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);

let pg: Pgroup;
beforeAll(async () => {
  pg = makePgroup();
  await writeRun(pg, 1);
  await pg.store.putStatus({ beamline: 'alvra', pgroup: 'p12345', run_number: 2, state: 'accepted', updated: '2026-11-30T12:00:00Z' });
});
afterAll(() => pg.cleanup());

/** The answer as it travels (JSON), checked against its schema. */
function conforms(schema: object, answer: unknown): void {
  const validate = ajv.compile(schema);
  const wire = JSON.parse(JSON.stringify(answer)) as unknown;
  expect(validate(wire), JSON.stringify(validate.errors)).toBe(true);
}

describe("the monitor's answers match the schemas lib/quicklook/openapi.ts describes them with", () => {
  test('GET /monitor/runs/{pgroup}', async () => {
    const { beamline, runs } = await runSummaries('p12345', ALVRA, pg.deps, 100);
    conforms(runSummariesSchema, { status: 'ok', message: '2 runs', beamline, pgroup: 'p12345', runs });
  });

  test('GET /runs/{pgroup}/{run_number}/details', async () => {
    for (const n of [1, 2]) {
      const run = await runDetails('p12345', n, ALVRA, pg.deps);
      conforms(runDetailsReplySchema, { status: 'ok', message: run.state, run });
    }
  });

  test('GET /runs/{pgroup}/{run_number}/quicklook, each kind', async () => {
    for (const params of [{ source: 'BSREAD', channel: 'SAR:B' }, { source: 'PVCHANNELS' }, { source: 'BSREAD', kind: 'presence' }, { source: 'CAMERAS' }, { source: DET, frame: '2' }]) {
      const plot = await quicklook(validateQuicklookQuery({ pgroup: 'p12345', run_number: '1', ...params }), ALVRA, pg.deps);
      conforms(quicklookReplySchema, { status: 'ok', message: plot.kind, plot });
    }
  });
});
