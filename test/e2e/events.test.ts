import '../../lib/runtime/polyfills';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { EventBridgeEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readDeadLetters } from '../helpers/dead-letters';
import type { FacilityConfig } from '../../lib/core/facility';
import { beamlineOfEventSource, scanEventRequest } from '../../lib/core/scan-event';
import { DEMO_FACILITY } from '../../local/demo-facility';
import { matches } from '../../local/events';
import { startTestStack, type TestStack } from '../helpers/local-stack';

const ALVRA_SOURCE = 'ch.psi.sf.alvra.scan';
const BERNINA_SOURCE = 'ch.psi.sf.bernina.scan';
const FACILITY: FacilityConfig = {
  beamlines: {
    alvra: { ...DEMO_FACILITY.beamlines.alvra!, eventSources: [ALVRA_SOURCE] } as FacilityConfig['beamlines'][string],
    bernina: { ...DEMO_FACILITY.beamlines.bernina!, eventSources: [BERNINA_SOURCE] } as FacilityConfig['beamlines'][string],
  },
};

describe('which beamline an event acts for (pure)', () => {
  test('the source, through the facility\'s eventSources; unknown or doubly claimed sources are refused', () => {
    expect(beamlineOfEventSource(FACILITY, ALVRA_SOURCE)).toBe('alvra');
    expect(() => beamlineOfEventSource(FACILITY, 'ch.psi.sf.elsewhere')).toThrow(/belongs to no beamline/);
    const twice = { beamlines: { a: { networks: [], eventSources: ['s'] }, b: { networks: [], eventSources: ['s'] } } } as unknown as FacilityConfig;
    expect(() => beamlineOfEventSource(twice, 's')).toThrow(/claimed by several beamlines \(a, b\)/);
  });

  test('a beamline named in the detail must agree with the source; it is removed from the request', () => {
    const detail = { beamline: 'alvra', pgroup: 'p12345' };
    expect(scanEventRequest(FACILITY, { source: ALVRA_SOURCE, detail })).toEqual({ beamline: 'alvra', body: { pgroup: 'p12345' } });
    expect(() => scanEventRequest(FACILITY, { source: ALVRA_SOURCE, detail: { ...detail, beamline: 'bernina' } })).toThrow(/belongs to beamline alvra, but its detail names beamline "bernina"/);
    expect(() => scanEventRequest(FACILITY, { source: ALVRA_SOURCE, detail: 'p12345' })).toThrow(/detail must be the retrieve request/);
  });

  test('the local bus matches rules as EventBridge does (lists, prefixes, nesting)', () => {
    expect(matches({ 'detail-type': ['Scan Step Completed'] }, { 'detail-type': 'Scan Step Completed' })).toBe(true);
    expect(matches({ 'detail-type': ['Scan Step Completed'] }, { 'detail-type': 'Other' })).toBe(false);
    expect(matches({ source: [{ prefix: 'ch.psi.' }], detail: { pgroup: ['p12345'] } }, { source: 'ch.psi.x', detail: { pgroup: 'p12345' } })).toBe(true);
  });
});

let stack: TestStack;
/** The scanEvent function's own log lines (its answers go to the logs on AWS too). */
const logs: string[] = [];
beforeAll(async () => {
  stack = await startTestStack({ facility: FACILITY, env: { SFDAQ_LOG_LEVEL: 'info' }, logSink: (fn, _stream, line) => { if (fn === 'scanEvent') logs.push(line); } });
});
afterAll(async () => {
  await stack?.destroy();
});

const put = async (entries: Array<Record<string, unknown>>, headers: Record<string, string> = {}) =>
  (await stack.post('/local/events', { Entries: entries }, headers)).json as { FailedEntryCount: number; Entries: Array<Record<string, any>> };
/** PutEvents answers before the targets run (as on AWS): wait for the deliveries, then read what the function logged for the event. */
async function delivered(eventId: string): Promise<Record<string, any>> {
  await stack.lambda.drainAsync();
  const line = logs.map((l) => { try { return JSON.parse(l.slice(l.indexOf('{'))); } catch { return undefined; } }).find((l) => l?.event_id === eventId);
  if (!line) throw new Error(`the scanEvent function logged nothing for event ${eventId}`);
  return line;
}
const scanStep = (detail: Record<string, unknown>, source = ALVRA_SOURCE) => ({ Source: source, DetailType: 'Scan Step Completed', Detail: JSON.stringify(detail) });
const current = async (pgroup = 'p12345', headers: Record<string, string> = {}) => (await stack.get(`/get_current_run_number?pgroup=${pgroup}`, headers)).json.run_number as number;
const label = (run: number) => `run_${String(run).padStart(6, '0')}`;

async function s3Object(key: string): Promise<Record<string, unknown>> {
  const s3 = new S3Client({ forcePathStyle: true, endpoint: stack.endpoints.s3, region: 'eu-central-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const out = await s3.send(new GetObjectCommand({ Bucket: 'sfdaq-bookkeeping', Key: key }));
  return JSON.parse(await out.Body!.transformToString()) as Record<string, unknown>;
}

describe('scan-step events through the local EventBridge', () => {
  test('an event and an HTTP request with the same parameters give identical bookkeeping', async () => {
    const request = {
      pgroup: 'p12345', start_pulseid: 11884948775, stop_pulseid: 11884949774, directory_name: 'events/step',
      channels_list: ['SAR-CVME-TIFALL5:EvtSet', 'SAR-CVME-TIFALL4:EvtSet'], pv_list: ['motor1_PV'], detectors: { JF01T03V01: {} },
      scan_info: JSON.parse(await readFile(new URL('../fixtures/scan_step.json', import.meta.url), 'utf8')), my_sample: { name: 'lysozyme' },
    };
    const byEvent = await put([scanStep(request)]);
    expect(byEvent.FailedEntryCount).toBe(0);
    expect(byEvent.Entries[0]).toEqual({ EventId: expect.any(String) }); // the answer comes before the target ran
    const target = await delivered(byEvent.Entries[0]!.EventId);
    expect(target).toMatchObject({ message: 'scan event accepted', beamline: 'alvra' });
    const eventRun = target.run_number as number;
    const byHttp = (await stack.post('/retrieve_from_buffers', request)).json;
    const httpRun = byHttp.run_number as number;
    expect(httpRun).toBe(eventRun + 1);

    const files = await Promise.all([eventRun, httpRun].map(async (run) => JSON.parse(await readFile(join(stack.raw, '.daq', `${label(run)}.json`), 'utf8'))));
    const objects = await Promise.all([eventRun, httpRun].map((run) => s3Object(`runs/alvra/p12345/${label(run)}.json`)));
    const strip = ({ run_number: _r, request_time: _t, ...rest }: Record<string, unknown>) => rest;
    expect(strip(files[0])).toEqual(strip(files[1]));
    expect(Object.keys(files[0])).toEqual(Object.keys(files[1])); // same keys in the same order: the same file text but for number and time
    expect(objects[0]).toEqual(files[0]);
    expect(objects[1]).toEqual(files[1]);
    expect(files[0]).toMatchObject({ beamline: 'alvra', run_number: eventRun, my_sample: { name: 'lysozyme' } });

    const scan = JSON.parse(await readFile(join(stack.raw, 'scan_info', 'scan_test.json'), 'utf8'));
    expect(scan.pulseIds).toEqual([[11884948775, 11884949774], [11884948775, 11884949774]]);
    expect(scan.scan_values[0]).toEqual(scan.scan_values[1]);
    for (const run of [eventRun, httpRun]) {
      expect(stack.sfn.describe(`arn:aws:states:eu-central-1:000000000000:execution:sfdaq-retrieve-local:alvra-p12345-${label(run)}`)?.input).toContain(`"run_number":${run}`);
    }
  });

  test('an invalid request is refused with the HTTP path\'s message, and consumes no number', async () => {
    const before = await current();
    const body = { pgroup: 'p12345', start_pulseid: 1000, channels_list: ['SAR-CVME-TIFALL5:EvtSet'] };
    const { Entries } = await put([scanStep(body)]);
    const refused = await delivered(Entries[0]!.EventId);
    const http = (await stack.post('/retrieve_from_buffers', body)).json;
    expect(refused).toMatchObject({ message: 'scan event refused', refusal: http.message, field: http.field });
    expect(http).toMatchObject({ status: 'failed', message: expect.stringMatching(/no start or stop pulseid/) });
    expect(await current()).toBe(before);
  });

  test('an event can only reach its own beamline\'s pgroups', async () => {
    const before = await current();
    const bernina = await put([scanStep({ pgroup: 'p23456', start_pulseid: 1, stop_pulseid: 10, channels_list: ['SAR-CVME-TIFALL5:EvtSet'] })]);
    expect(await delivered(bernina.Entries[0]!.EventId)).toMatchObject({ message: 'scan event refused', refusal: expect.stringMatching(/pgroup p23456 does not exist at beamline alvra/) });
    const named = await put([scanStep({ beamline: 'bernina', pgroup: 'p23456', start_pulseid: 1, stop_pulseid: 10, channels_list: ['x'] })]);
    expect(await delivered(named.Entries[0]!.EventId)).toMatchObject({ message: 'scan event refused', field: 'beamline' });
    expect(await current()).toBe(before);
  });

  test('posting a source is allowed only to its own beamline (the local stand-in for IAM\'s events:source)', async () => {
    const step = scanStep({ pgroup: 'p23456', start_pulseid: 1, stop_pulseid: 10, channels_list: ['SAR-CVME-TIFALL5:EvtSet'] }, BERNINA_SOURCE);
    const denied = await put([step, scanStep({}, 'ch.psi.sf.nobody')]);
    expect(denied.FailedEntryCount).toBe(2);
    expect(denied.Entries[0]).toMatchObject({ ErrorCode: 'AccessDeniedException', ErrorMessage: expect.stringMatching(/beamline alvra may not put events with source "ch.psi.sf.bernina.scan" \(it belongs to bernina\)/) });
    expect(denied.Entries[1]!.ErrorMessage).toMatch(/no beamline lists it in eventSources/);
    const key = { 'x-api-key': 'bernina-demo-key' };
    const before = await current('p23456', key);
    const allowed = await put([step], key);
    expect(await delivered(allowed.Entries[0]!.EventId)).toMatchObject({ message: 'scan event accepted', run_number: before + 1 });
    const record = JSON.parse(await readFile(join(stack.dataRoot, 'bernina/data/p23456/raw/.daq', `${label(before + 1)}.json`), 'utf8'));
    expect(record.beamline).toBe('bernina');
  });

  test('the Lambda function refuses an event whose source no beamline lists, whoever delivered it', async () => {
    const event = { id: '1', version: '0', account: '000000000000', time: '', region: 'eu-central-1', resources: [], 'detail-type': 'Scan Step Completed', source: 'ch.psi.sf.nobody', detail: { pgroup: 'p12345' } } as EventBridgeEvent<string, unknown>;
    expect((await stack.lambda.invoke('scanEvent', event)).payload).toMatchObject({ status: 'failed', field: 'source', message: expect.stringMatching(/belongs to no beamline/) });
  });

  test('EventBridge delivers at least once: a second delivery of the same event gets the same run, not a new one', async () => {
    const event = {
      id: `dup-${Date.now()}`, version: '0', account: '000000000000', time: '', region: 'eu-central-1', resources: [], 'detail-type': 'Scan Step Completed', source: ALVRA_SOURCE,
      detail: { pgroup: 'p12345', start_pulseid: 1000, stop_pulseid: 2000, channels_list: ['SAR-CVME-TIFALL5:EvtSet'] },
    } as EventBridgeEvent<string, unknown>;
    const deliver = async (e: EventBridgeEvent<string, unknown>) => (await stack.lambda.invoke('scanEvent', e)).payload as { status: string; run_number: number };
    const first = await deliver(event);
    const second = await deliver(event);
    expect(first.status).toBe('ok');
    expect(second).toEqual(first);
    const third = await deliver({ ...event, id: `${event.id}-other` });
    expect(third.run_number).toBe(first.run_number + 1); // another event is another step
  });

  test('a scan event whose function fails on every try: 2 retries, then the event is in the dead-letter queue', async () => {
    // The function cannot reach DynamoDB (a broken deployment): an error, not a refusal, so Lambda retries it.
    const environment = stack.lambda.configuration('scanEvent').environment;
    await stack.lambda.updateFunctionConfiguration('scanEvent', { environment: { ...environment, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9', SFDAQ_AWS_MAX_ATTEMPTS: '1' } });
    try {
      const before = (await readDeadLetters(stack.dlqFile)).length;
      const { Entries } = await put([scanStep({ pgroup: 'p12345', start_pulseid: 1000, stop_pulseid: 2000, channels_list: ['SAR-CVME-TIFALL5:EvtSet'], dlq_test: true })]);
      await stack.lambda.drainAsync();
      const letters = (await readDeadLetters(stack.dlqFile)).slice(before);
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3, functionArn: expect.stringMatching(/:function:scanEvent:\$LATEST$/) },
        requestPayload: { id: Entries[0]!.EventId, source: ALVRA_SOURCE, detail: { dlq_test: true } },
        responseContext: { functionError: 'Unhandled' },
      });
    } finally {
      await stack.lambda.updateFunctionConfiguration('scanEvent', { environment });
    }
  });

  test('an entry over 256 KB refuses the PutEvents call', async () => {
    const huge = scanStep({ pgroup: 'p12345', start_pulseid: 1, stop_pulseid: 2, channels_list: ['x'], pad: 'y'.repeat(262_144) });
    const answer = await stack.post('/local/events', { Entries: [huge] });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ __type: 'ValidationException' });
  });

  test('malformed PutEvents bodies are 400 with a message', async () => {
    expect((await stack.post('/local/events', { Entries: [] })).status).toBe(400);
    expect((await stack.post('/local/events', '{"Entries":')).status).toBe(400);
    const bad = await put([{ Source: ALVRA_SOURCE, DetailType: 'Scan Step Completed', Detail: '{nope' }]);
    expect(bad.Entries[0]).toMatchObject({ ErrorCode: 'MalformedDetail' });
  });
});
