import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { RunningEmulator } from './dynamodb';
// s3rver as shipped writes objects in place and can tear reads: make it behave like S3 (see the file).
import './s3rver-atomic';

const require = createRequire(import.meta.url);
// s3rver speaks S3's REST API and stores objects in a directory (survives restarts).
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
};

/**
 * Start an S3 emulator with `bucket` created. Needs Node started with
 * --openssl-legacy-provider (paginated ListObjectsV2 fails otherwise; see stack-notes).
 */
export async function startS3(options: { port?: number; directory: string; bucket: string; host?: string }): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const server = new S3rver({
    address: host,
    port: options.port ?? 0,
    directory: options.directory,
    silent: true,
    configureBuckets: [{ name: options.bucket }],
    allowMismatchedSignatures: true,
  });
  const address = await server.run();
  return { endpoint: `http://${host}:${address.port}`, close: () => server.close() };
}
