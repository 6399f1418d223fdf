import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath, rename, rm } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RequestRefused } from '../../core/errors';

/**
 * Filesystem primitives that never write outside a given root, whatever the
 * path parts hold: each existing part is lstat'ed, a symlink is followed only
 * if its target stays inside the root, and files are created with O_EXCL and
 * O_NOFOLLOW so a planted symlink at the final name is never written through.
 */

function inside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root + sep);
}

/**
 * Resolve (and with `create`, make) `<root>/<parts...>` as a directory inside
 * root. Throws RequestRefused(field) when a part is a file, or a symlink
 * leading out of root.
 *
 * @example await ensureDirectoryInside('/sf/alvra/data/p12345/raw', ['scan1', 'run'], true, 'directory_name')
 */
export async function ensureDirectoryInside(root: string, parts: string[], create: boolean, field: string): Promise<string> {
  const realRoot = await realpath(root);
  let current = realRoot;
  for (const part of parts) {
    const next = join(current, part);
    let stats;
    try {
      stats = await lstat(next);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (!create) {
        current = next; // the rest will be created at retrieval time, below a checked prefix
        continue;
      }
      try {
        await mkdir(next, { mode: 0o775 });
      } catch (mkdirError) {
        if ((mkdirError as NodeJS.ErrnoException).code !== 'EEXIST') throw mkdirError;
      }
      stats = await lstat(next);
    }
    if (stats.isSymbolicLink()) {
      const target = await realpath(next).catch(() => undefined);
      if (target === undefined || !inside(realRoot, target)) {
        throw new RequestRefused(field, `${field}: ${part} is a symbolic link that leads outside the pgroup's raw directory`);
      }
      current = target;
      continue;
    }
    if (!stats.isDirectory()) throw new RequestRefused(field, `${field}: ${part} exists and is not a directory`);
    current = next;
  }
  return current;
}

/**
 * `content` in a new hidden temp file beside `path` (O_EXCL|O_NOFOLLOW, fsync'ed), whose name is returned:
 * the first step of an atomic write (rename) and of an exclusive create (link).
 */
export async function writeTempBeside(path: string, content: string | Uint8Array): Promise<string> {
  const tmp = join(dirname(path), `.${path.slice(dirname(path).length + 1)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o664);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return tmp;
}

/**
 * Write a file atomically inside `dir`: a temp file (O_EXCL|O_NOFOLLOW), fsync,
 * then rename over the final name. A reader never sees a half-written file.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array): Promise<void> {
  const tmp = await writeTempBeside(path, content);
  try {
    // rename replaces a symlink at the final name rather than following it.
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** Read a regular file that must not be a symlink; undefined if absent. */
export async function readRegularFile(path: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new Error(`${path} is a symbolic link; refusing to follow it`);
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error(`${path} is not a regular file`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
