import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyRecord, IdempotencyStore } from '../../core/ports';

const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException';

/**
 * Idempotency-Keys in the run table, one item per beamline and key:
 * `pk = "IDEMPOTENCY#<beamline>#<key>"` (upper case: never a beamline's
 * counter item, whose beamline names are lower case). Every change is one
 * conditional UpdateItem (the functions' IAM role allows UpdateItem and
 * GetItem on the table, nothing else is needed).
 *
 * Expiry: `expires` holds epoch seconds (the table's TTL attribute on AWS).
 * TTL deletes late, and emulators have none, so every condition treats an
 * item whose `expires` has passed as absent; TTL is only housekeeping.
 *
 * @example
 *   const store = new DynamoIdempotencyStore('sfdaq-runs');
 *   await store.claim('alvra', 'b7e2...', { fingerprint, pgroup: 'p12345', owner, leaseUntilMs, expiresAtS, requestTimeMs }, Date.now());
 */
export class DynamoIdempotencyStore implements IdempotencyStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(private readonly table: string, client: DynamoDBClient = new DynamoDBClient({})) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  static pk(beamline: string, key: string): string {
    return `IDEMPOTENCY#${beamline}#${key}`;
  }

  async get(beamline: string, key: string, nowMs: number): Promise<IdempotencyRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: DynamoIdempotencyStore.pk(beamline, key) }, ConsistentRead: true }));
    const record = out.Item ? recordOf(out.Item) : undefined;
    return record && record.expiresAtS >= Math.floor(nowMs / 1000) ? record : undefined;
  }

  async claim(beamline: string, key: string, record: Omit<IdempotencyRecord, 'runNumber' | 'outcome'>, nowMs: number): Promise<{ claimed: true } | { claimed: false; existing: IdempotencyRecord | undefined }> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: DynamoIdempotencyStore.pk(beamline, key) },
          // An expired item is overwritten whole: its run number and answer belong to the forgotten request.
          UpdateExpression: 'SET fingerprint = :f, pgroup = :p, #o = :o, lease_until = :l, #e = :e, request_time = :t REMOVE run_number, outcome',
          ConditionExpression: 'attribute_not_exists(pk) OR #e < :now',
          ExpressionAttributeNames: { '#o': 'owner', '#e': 'expires' },
          ExpressionAttributeValues: {
            ':f': record.fingerprint, ':p': record.pgroup, ':o': record.owner, ':l': record.leaseUntilMs,
            ':e': record.expiresAtS, ':t': record.requestTimeMs, ':now': Math.floor(nowMs / 1000),
          },
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { claimed: false, existing: await this.get(beamline, key, nowMs) };
    }
  }

  async takeOver(beamline: string, key: string, from: string, to: string, leaseUntilMs: number, nowMs: number): Promise<IdempotencyRecord | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: DynamoIdempotencyStore.pk(beamline, key) },
          UpdateExpression: 'SET #o = :to, lease_until = :l',
          ConditionExpression: '#o = :from AND lease_until < :nowMs AND attribute_not_exists(outcome) AND #e >= :now',
          ExpressionAttributeNames: { '#o': 'owner', '#e': 'expires' },
          ExpressionAttributeValues: { ':to': to, ':from': from, ':l': leaseUntilMs, ':nowMs': nowMs, ':now': Math.floor(nowMs / 1000) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? recordOf(out.Attributes) : undefined;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  setRunNumber(beamline: string, key: string, owner: string, runNumber: number): Promise<boolean> {
    return this.ownerUpdate(beamline, key, owner, 'SET run_number = :n', { ':n': runNumber });
  }

  complete(beamline: string, key: string, owner: string, outcome: string): Promise<boolean> {
    return this.ownerUpdate(beamline, key, owner, 'SET outcome = :a', { ':a': outcome });
  }

  async release(beamline: string, key: string, owner: string): Promise<void> {
    // Expired at once (0 < any now): the next claim overwrites it. Only an unnumbered key may be given back.
    await this.ownerUpdate(beamline, key, owner, 'SET #e = :zero', { ':zero': 0 }, ' AND attribute_not_exists(run_number)');
  }

  private async ownerUpdate(beamline: string, key: string, owner: string, update: string, values: Record<string, unknown>, extraCondition = ''): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: DynamoIdempotencyStore.pk(beamline, key) },
          UpdateExpression: update,
          ConditionExpression: `#o = :owner${extraCondition}`,
          ExpressionAttributeNames: { '#o': 'owner', ...(update.includes('#e') ? { '#e': 'expires' } : {}) },
          ExpressionAttributeValues: { ':owner': owner, ...values },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

function recordOf(item: Record<string, unknown>): IdempotencyRecord {
  return {
    fingerprint: String(item.fingerprint),
    pgroup: String(item.pgroup),
    owner: String(item.owner),
    leaseUntilMs: Number(item.lease_until),
    expiresAtS: Number(item.expires),
    requestTimeMs: Number(item.request_time),
    ...(item.run_number !== undefined ? { runNumber: Number(item.run_number) } : {}),
    ...(typeof item.outcome === 'string' ? { outcome: item.outcome } : {}),
  };
}
