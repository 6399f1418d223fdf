import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DynamoOpenRunIndex } from '../../lib/adapters/dynamodb/open-run-index';
import { DynamoProgressStore } from '../../lib/adapters/dynamodb/progress-store';
import { DynamoRunCounter } from '../../lib/adapters/dynamodb/run-counter';
import { ensureRunTable, startDynamoDb, type RunningEmulator } from '../../local/emulators/dynamodb';

const TABLE = 'runs';
let dynamo: RunningEmulator;
let client: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startDynamoDb({});
  await ensureRunTable(dynamo.endpoint, TABLE);
  client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
});
afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

const run = (pgroup: string, run_number: number) => ({ beamline: 'alvra', pgroup, run_number });

describe('the run table beside the counters (dynalite, the real wire API)', () => {
  test('open-run index: opened, listed oldest first, closed; one item per beamline', async () => {
    const index = new DynamoOpenRunIndex(TABLE, client);
    await index.opened(run('p1', 2), 2000);
    await index.opened(run('p1', 1), 1000);
    await index.opened(run('p2', 10), 1500);
    await index.opened({ beamline: 'bernina', pgroup: 'p9', run_number: 1 }, 500);
    expect((await index.openRuns('alvra')).map((r) => `${r.pgroup}/${r.run_number}@${r.acceptedMs}`)).toEqual(['p1/1@1000', 'p2/10@1500', 'p1/2@2000']);
    await index.closed(run('p1', 1));
    await index.closed(run('p1', 99)); // never opened: nothing happens
    expect((await index.openRuns('alvra')).map((r) => r.run_number)).toEqual([10, 2]);
    expect((await index.openRuns('bernina')).length).toBe(1);
  });

  test('progress: concurrent reports of different sources never lose each other; cleared at the end', async () => {
    const progress = new DynamoProgressStore(TABLE, client);
    const r = run('p3', 1);
    const sources = Array.from({ length: 20 }, (_, i) => `S${i}`);
    await Promise.all(sources.flatMap((s) => [1, 2, 3].map((n) => progress.report(r, s, { pulses_written: n, pulses_expected: 3, bytes_written: n * 10, updated: new Date().toISOString() }))));
    const read = await progress.read(r);
    expect(Object.keys(read).sort()).toEqual([...sources].sort());
    await progress.clear(r);
    expect(await progress.read(r)).toEqual({});
  });

  test('the counter item does not grow with marks of long-gone idempotency holders', async () => {
    const counter = new DynamoRunCounter(TABLE, client, 60_000);
    const old = `t${Date.now() - 3_600_000}-dead`;
    // A holder fenced an hour ago and one that crashed after numbering: both leave marks.
    await counter.settle('alvra', 'p4', old);
    await counter.nextFor('alvra', 'p4', `t${Date.now() - 3_600_000}-crashed`);
    await counter.nextFor('alvra', 'p4', `t${Date.now()}-fresh`);
    const item = (await DynamoDBDocumentClient.from(client).send(new GetCommand({ TableName: TABLE, Key: { pk: 'alvra#p4' }, ConsistentRead: true }))).Item!;
    const marks = Object.keys(item).filter((k) => k.startsWith('alloc#') || k.startsWith('fence#'));
    expect(marks).toEqual([`alloc#t${marks[0]!.split('#t')[1]}`]);
    expect(marks[0]).toMatch(/-fresh$/);
    expect(item.last_run).toBe(2);
  });
});
