/**
 * The local S3 emulator under concurrent PUT and GET of one key (what a run's
 * status sees: the workflow rewrites it while GET /runs or a resumed accept
 * reads it). S3 never returns a torn object; s3rver as shipped can (3 of 18
 * reads torn when measured), so local/emulators/s3.ts patches it with
 * local/emulators/s3rver-atomic.ts, and this test asserts the emulator the
 * local stack runs is whole.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, test } from 'vitest';
import { startS3 } from '../../local/emulators/s3';

const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

/** PUT two bodies of different lengths in turn while GETs run; returns [gets, torn reads, failed GETs]. */
async function hammer(ms: number): Promise<[number, number, string[]]> {
  const root = await mkdtemp(join(tmpdir(), 'sfdaq-hardening-s3-'));
  roots.push(root);
  const s3rver = await startS3({ directory: root, bucket: 'b' });
  const s3 = new S3Client({ forcePathStyle: true, endpoint: s3rver.endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const bodies = [JSON.stringify({ state: 'accepted' }), JSON.stringify({ state: 'done', sources: 'x'.repeat(20_000) })];
  await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'status.json', Body: bodies[0] }));
  let stop = false;
  let gets = 0;
  let torn = 0;
  const failed: string[] = [];
  const writer = (async () => {
    for (let i = 0; !stop; i++) await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'status.json', Body: bodies[i % 2] }));
  })();
  const readers = Array.from({ length: 4 }, async () => {
    while (!stop) {
      try {
        const text = await (await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'status.json' }))).Body!.transformToString();
        if (!bodies.includes(text)) torn++;
      } catch (error) {
        failed.push((error as Error).message);
      }
      gets++;
    }
  });
  await new Promise((r) => setTimeout(r, ms));
  stop = true;
  await Promise.all([writer, ...readers]);
  s3.destroy();
  await s3rver.close();
  return [gets, torn, failed];
}

describe('local S3 emulator: one key written and read at once', () => {
  test('no torn or failed read while the same key is rewritten', async () => {
    const [gets, torn, failed] = await hammer(2_000);
    console.log(`[s3 emulator] ${torn} of ${gets} GETs torn, ${failed.length} failed`);
    expect(gets).toBeGreaterThan(100);
    expect(torn).toBe(0);
    expect(failed).toEqual([]);
  }, 30_000);
});
