import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { OpenRunIndex, RunRef } from '../../core/ports';

const PREFIX = 'run#';

/**
 * The open-run index in the run table: one item per beamline,
 * `pk = "OPEN#<beamline>"`, one attribute per open run
 * (`run#<pgroup>#<run_number>` = accepted at, epoch ms). Opening and closing
 * are single-attribute updates (atomic, no read); the sweep reads one item per
 * beamline instead of listing every run of every pgroup. At ~40 bytes an
 * entry the 400 KB item holds some 10,000 runs in flight per beamline.
 *
 * @example
 *   const index = new DynamoOpenRunIndex('sfdaq-runs', client);
 *   await index.opened({ beamline: 'alvra', pgroup: 'p12345', run_number: 7 }, Date.now());
 */
export class DynamoOpenRunIndex implements OpenRunIndex {
  private readonly doc: DynamoDBDocumentClient;

  constructor(private readonly table: string, client: DynamoDBClient = new DynamoDBClient({})) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  private static attribute(run: RunRef): string {
    return `${PREFIX}${run.pgroup}#${run.run_number}`;
  }

  async opened(run: RunRef, acceptedMs: number): Promise<void> {
    await this.doc.send(new UpdateCommand({
      TableName: this.table,
      Key: { pk: `OPEN#${run.beamline}` },
      UpdateExpression: 'SET #r = :t',
      ExpressionAttributeNames: { '#r': DynamoOpenRunIndex.attribute(run) },
      ExpressionAttributeValues: { ':t': acceptedMs },
    }));
  }

  async closed(run: RunRef): Promise<void> {
    await this.doc.send(new UpdateCommand({
      TableName: this.table,
      Key: { pk: `OPEN#${run.beamline}` },
      UpdateExpression: 'REMOVE #r',
      ExpressionAttributeNames: { '#r': DynamoOpenRunIndex.attribute(run) },
    }));
  }

  async openRuns(beamline: string): Promise<Array<RunRef & { acceptedMs: number }>> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `OPEN#${beamline}` }, ConsistentRead: true }));
    const runs: Array<RunRef & { acceptedMs: number }> = [];
    for (const [name, value] of Object.entries(out.Item ?? {})) {
      const m = /^run#(.+)#([0-9]+)$/.exec(name);
      if (m) runs.push({ beamline, pgroup: m[1]!, run_number: Number(m[2]), acceptedMs: Number(value) });
    }
    return runs.sort((a, b) => a.acceptedMs - b.acceptedMs);
  }
}
