import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { RUN_TABLE_KEY_SCHEMA } from '../../lib/adapters/dynamodb/run-counter';

const require = createRequire(import.meta.url);
// dynalite speaks DynamoDB's real wire API (JSON 1.0 over HTTP), backed by LevelDB on disk.
const dynalite = require('dynalite') as (options: { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

export interface RunningEmulator {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Start a DynamoDB emulator (dynalite). With `path` the tables survive a
 * restart; without, they live in memory. Port 0 picks a free port.
 */
export async function startDynamoDb(options: { port?: number; path?: string; host?: string }): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const server = dynalite({ ...(options.path ? { path: options.path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Create the run-number table if it does not exist yet (same key schema as serverless.yml). */
export async function ensureRunTable(endpoint: string, table: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException) && (error as Error).name !== 'ResourceNotFoundException') throw error;
    await client.send(new CreateTableCommand({ TableName: table, ...RUN_TABLE_KEY_SCHEMA }));
  } finally {
    client.destroy();
  }
}
