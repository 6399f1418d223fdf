import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ProgressStore, RunRef } from '../../core/ports';
import type { SourceProgress } from '../../core/run-status';

/**
 * Progress of a running run's sources in the run table: one item per run,
 * `pk = "PROGRESS#<beamline>#<pgroup>#<run_number>"`, one attribute per
 * source (`src#<source>`). Each retriever (or work item) overwrites only its
 * own attribute, so concurrent workers never lose each other's reports; the
 * status endpoint reads the whole item with one GetItem. `expires` lets the
 * table's TTL drop the item of a run that never recorded its outcome.
 */
export class DynamoProgressStore implements ProgressStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(private readonly table: string, client: DynamoDBClient = new DynamoDBClient({}), private readonly ttlSeconds = 7 * 86_400) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  private static key(run: RunRef) {
    return { pk: `PROGRESS#${run.beamline}#${run.pgroup}#${run.run_number}` };
  }

  async report(run: RunRef, source: string, progress: SourceProgress): Promise<void> {
    await this.doc.send(new UpdateCommand({
      TableName: this.table,
      Key: DynamoProgressStore.key(run),
      UpdateExpression: 'SET #s = :p, #e = :e',
      ExpressionAttributeNames: { '#s': `src#${source}`, '#e': 'expires' },
      ExpressionAttributeValues: { ':p': progress, ':e': Math.floor(Date.now() / 1000) + this.ttlSeconds },
    }));
  }

  async read(run: RunRef): Promise<Record<string, SourceProgress>> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: DynamoProgressStore.key(run) }));
    const progress: Record<string, SourceProgress> = {};
    for (const [name, value] of Object.entries(out.Item ?? {})) if (name.startsWith('src#')) progress[name.slice(4)] = value as SourceProgress;
    return progress;
  }

  async clear(run: RunRef): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.table, Key: DynamoProgressStore.key(run) }));
  }
}
