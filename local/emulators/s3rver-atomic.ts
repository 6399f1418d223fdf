/**
 * Imported by local/emulators/s3.ts before s3rver starts: makes s3rver's
 * object writes atomic and durable, and its reads consistent, as S3's own
 * PutObject and GetObject are.
 *
 * Found by the crash suite: s3rver (the local S3 emulator) writes an object
 * in place (createWriteStream truncates, then streams) and acknowledges the
 * PUT when its hashing transform finishes, before the file stream has
 * flushed; its metadata files are written in place too. A SIGKILL then
 * leaves a status object empty or cut ("Unexpected end of JSON input") even
 * after the broker was told it was stored, and GET /runs of that run fails
 * for ever. The broker relies on S3's all-or-nothing PUT, so the emulator
 * must give it: write a temp file, close it, rename it over the final name.
 *
 * Its reads tear too: GetObject stats the file for its length, then opens it
 * by name; a PUT renamed in between is read cut at the old length (seen as
 * "run N was numbered but its bookkeeping could not be written: Unexpected
 * end of JSON input" when a resumed run read its status while its workflow
 * rewrote it). So a read opens the file once and takes length and bytes from
 * that one descriptor.
 *
 * Idempotent (patching twice changes nothing).
 */
import { createRequire } from 'node:module';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';

const require = createRequire(import.meta.url);
const FilesystemStore = require('s3rver/lib/stores/filesystem') as { prototype: Record<string, any> };

async function writeAtomic(path: string, content: Buffer | string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, content);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

const proto = FilesystemStore.prototype;
if (!proto.__atomicWrites) {
  proto.__atomicWrites = true;
  proto.putObject = async function putObject(this: any, object: { bucket: string; key: string; content: Buffer | Readable; metadata: Record<string, string> }) {
    const objectPath: string = this.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const content = Buffer.isBuffer(object.content) ? object.content : await collect(object.content);
    const md5 = createHash('md5').update(content).digest('hex');
    // Metadata first, object last: the object's appearance is the commit point (its size is read from the file).
    await this.putMetadata(object.bucket, object.key, object.metadata, md5);
    await writeAtomic(objectPath, content);
    return { size: content.length, md5 };
  };
  const pick = (metadata: Record<string, string>) => {
    const allowed = require('s3rver/lib/models/object').ALLOWED_METADATA as string[];
    return Object.fromEntries(Object.entries(metadata ?? {}).filter(([k]) => allowed.includes(k) || k.startsWith('x-amz-meta-')));
  };
  const S3Object = require('s3rver/lib/models/object') as new (bucket: string, key: string, content: unknown, metadata: Record<string, unknown>) => { range?: unknown };
  proto.getObject = async function getObject(this: any, bucket: string, key: string, options?: { start?: number; end?: number }) {
    let handle;
    try {
      handle = await open(this.getResourcePath(bucket, key, 'object'), 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      const stat = await handle.stat();
      // Length and date from the descriptor being read, whatever was renamed over the name since.
      const metadata = { ...(await this.getMetadata(bucket, key)), 'content-length': stat.size, 'last-modified': stat.mtime.toUTCString() };
      const lastByte = Math.max(0, stat.size - 1);
      const range = { start: options?.start ?? 0, end: Math.min(options?.end ?? Infinity, lastByte) };
      const ranged = options !== undefined && (options.start !== undefined || options.end !== undefined);
      if (range.start < 0 || Math.min(range.end, lastByte) < range.start) {
        await handle.close();
        const object = new S3Object(bucket, key, null, metadata);
        if (ranged) object.range = range;
        return object;
      }
      const content = handle.createReadStream({ start: range.start, end: range.end, autoClose: true });
      const object = new S3Object(bucket, key, content, metadata);
      if (ranged) object.range = range;
      return object;
    } catch (error) {
      await handle.close().catch(() => undefined);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  };
  proto.putMetadata = async function putMetadata(this: any, bucket: string, key: string, metadata: Record<string, string>, md5?: string) {
    const metadataPath: string = this.getResourcePath(bucket, key, 'metadata.json');
    await mkdir(dirname(metadataPath), { recursive: true });
    if (md5) await writeAtomic(this.getResourcePath(bucket, key, 'object.md5'), md5);
    await writeAtomic(metadataPath, JSON.stringify(pick(metadata), null, 2));
  };
}
