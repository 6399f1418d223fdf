import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PgroupClosed } from '../../core/errors';
import type { ClaimingRunCounter, RunCounter } from '../../core/ports';

/** settle() fenced this owner: it must not take a number any more (a retry took its request over). */
export class AllocationFenced extends Error {
  override readonly name = 'AllocationFenced';
}

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException';

/**
 * Run numbers in DynamoDB: one item per beamline+pgroup, `pk = "<beamline>#<pgroup>"`,
 * `last_run` incremented with UpdateItem ADD (atomic under any concurrency), and
 * `closed` set by close(). Allocation is conditional on the pgroup not being
 * closed, so closing and allocating cannot race.
 *
 * Numbers taken for an Idempotency-Key's holder (nextFor) also leave
 * `alloc#<owner> = N` on the same item, written by the same atomic update:
 * there is no moment at which the number is taken but nobody could tell for
 * whom. settle() either reads that attribute or sets `fence#<owner>`, which
 * nextFor's condition refuses; single-item conditional updates are atomic,
 * so a stopped request and the retry taking over can never both number it.
 *
 * @example
 *   const counter = new DynamoRunCounter('sfdaq-runs');
 *   await counter.next('alvra', 'p12345'); // 1, then 2, ...
 */
export class DynamoRunCounter implements RunCounter, ClaimingRunCounter {
  private readonly doc: DynamoDBDocumentClient;

  constructor(private readonly table: string, client: DynamoDBClient = new DynamoDBClient({}), private readonly pruneAfterMs = 2 * 3_600_000) {
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
      if (isConditionFailure(error)) {
        throw new PgroupClosed(pgroup, `pgroup ${pgroup} of ${beamline}`);
      }
      throw error;
    }
  }

  async nextFor(beamline: string, pgroup: string, owner: string): Promise<number> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(beamline, pgroup),
          // Both right-hand sides read the item before the update: the same N for the counter and the owner's mark.
          UpdateExpression: 'SET #n = if_not_exists(#n, :zero) + :one, #a = if_not_exists(#n, :zero) + :one',
          ConditionExpression: 'attribute_not_exists(#c) AND attribute_not_exists(#f)',
          ExpressionAttributeNames: { '#n': 'last_run', '#c': 'closed', '#a': `alloc#${owner}`, '#f': `fence#${owner}` },
          ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      await this.prune(beamline, pgroup, out.Attributes ?? {});
      return Number(out.Attributes?.last_run);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      if (await this.isClosed(beamline, pgroup)) throw new PgroupClosed(pgroup, `pgroup ${pgroup} of ${beamline}`);
      throw new AllocationFenced(`the request was taken over by a retry with the same Idempotency-Key (pgroup ${pgroup} of ${beamline})`);
    }
  }

  async settle(beamline: string, pgroup: string, owner: string): Promise<{ runNumber: number } | { fenced: true }> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(beamline, pgroup),
          UpdateExpression: 'SET #f = :t',
          ConditionExpression: 'attribute_not_exists(#a)',
          ExpressionAttributeNames: { '#a': `alloc#${owner}`, '#f': `fence#${owner}` },
          ExpressionAttributeValues: { ':t': Date.now() },
        }),
      );
      return { fenced: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: this.key(beamline, pgroup), ConsistentRead: true }));
      return { runNumber: Number(out.Item?.[`alloc#${owner}`]) };
    }
  }

  /**
   * Drop the marks of owners older than `pruneAfterMs` (their holders are long
   * gone: no function runs longer than 15 minutes), so the counter item does
   * not grow with every fenced or crashed request (DynamoDB's 400 KB item
   * limit). Owners carry their start time (`t<ms>-<uuid>`, lib/core/idempotency.ts);
   * best effort, done after an allocation that returned the whole item.
   */
  private async prune(beamline: string, pgroup: string, item: Record<string, unknown>): Promise<void> {
    const cutoff = Date.now() - this.pruneAfterMs;
    const stale = Object.keys(item).filter((name) => {
      const m = /^(?:alloc|fence)#t([0-9]+)-/.exec(name);
      return m !== null && Number(m[1]) < cutoff;
    });
    if (stale.length === 0) return;
    const names = Object.fromEntries(stale.slice(0, 100).map((name, i) => [`#s${i}`, name]));
    await this.doc.send(new UpdateCommand({
      TableName: this.table,
      Key: this.key(beamline, pgroup),
      UpdateExpression: `REMOVE ${Object.keys(names).join(', ')}`,
      ExpressionAttributeNames: names,
    })).catch(() => undefined);
  }

  async forget(beamline: string, pgroup: string, owner: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(beamline, pgroup),
        UpdateExpression: 'REMOVE #a, #f',
        // Never create the item just to remove attributes from it.
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#a': `alloc#${owner}`, '#f': `fence#${owner}` },
      }),
    ).catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
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
