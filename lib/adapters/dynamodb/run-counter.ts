import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PgroupClosed } from '../../core/errors';
import type { RunCounter } from '../../core/ports';

/**
 * Run numbers in DynamoDB: one item per beamline+pgroup, `pk = "<beamline>#<pgroup>"`,
 * `last_run` incremented with UpdateItem ADD (atomic under any concurrency), and
 * `closed` set by close(). Allocation is conditional on the pgroup not being
 * closed, so closing and allocating cannot race.
 *
 * @example
 *   const counter = new DynamoRunCounter('sfdaq-runs');
 *   await counter.next('alvra', 'p12345'); // 1, then 2, ...
 */
export class DynamoRunCounter implements RunCounter {
  private readonly doc: DynamoDBDocumentClient;

  constructor(private readonly table: string, client: DynamoDBClient = new DynamoDBClient({})) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  private key(beamline: string, pgroup: string) {
    return { pk: `${beamline}#${pgroup}` };
  }

  async next(beamline: string, pgroup: string): Promise<number> {
    return this.increment(beamline, pgroup);
  }

  /** advance_run_number: the same atomic step, used when a run happens outside the broker. */
  async increment(beamline: string, pgroup: string): Promise<number> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(beamline, pgroup),
          UpdateExpression: 'ADD #n :one',
          ConditionExpression: 'attribute_not_exists(#c)',
          ExpressionAttributeNames: { '#n': 'last_run', '#c': 'closed' },
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(out.Attributes?.last_run);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
        throw new PgroupClosed(pgroup, `pgroup ${pgroup} of ${beamline}`);
      }
      throw error;
    }
  }

  async current(beamline: string, pgroup: string): Promise<number> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: this.key(beamline, pgroup), ConsistentRead: true }));
    return Number(out.Item?.last_run ?? 0);
  }

  async close(beamline: string, pgroup: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(beamline, pgroup),
        UpdateExpression: 'SET #c = :t',
        ExpressionAttributeNames: { '#c': 'closed' },
        ExpressionAttributeValues: { ':t': true },
      }),
    );
  }

  async isClosed(beamline: string, pgroup: string): Promise<boolean> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: this.key(beamline, pgroup), ConsistentRead: true }));
    return out.Item?.closed === true;
  }
}

/** The table's shape, shared by serverless.yml (documented there) and the local stack's table creation. */
export const RUN_TABLE_KEY_SCHEMA = {
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
  BillingMode: 'PAY_PER_REQUEST' as const,
};
