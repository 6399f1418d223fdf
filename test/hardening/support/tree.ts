import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** One entry of a directory tree: its kind, and for files the size, for symlinks the target. */
export type Entry = { kind: 'dir' } | { kind: 'file'; size: number; mtimeMs: number } | { kind: 'link'; target: string } | { kind: 'other' };

/**
 * Every path below `root` (relative), not following symlinks. `skip` prunes
 * subtrees that are allowed to change (a pgroup's raw/, the emulators' state).
 */
export async function snapshot(root: string, skip: (rel: string) => boolean = () => false): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const walk = async (dir: string) => {
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const name of entries) {
      const path = join(dir, name);
      const rel = relative(root, path);
      if (skip(rel)) continue;
      const s = await lstat(path).catch(() => undefined);
      if (!s) continue;
      if (s.isSymbolicLink()) out.set(rel, { kind: 'link', target: await readlink(path) });
      else if (s.isDirectory()) {
        out.set(rel, { kind: 'dir' });
        await walk(path);
      } else if (s.isFile()) out.set(rel, { kind: 'file', size: s.size, mtimeMs: s.mtimeMs });
      else out.set(rel, { kind: 'other' });
    }
  };
  await walk(root);
  return out;
}

/** Paths added, removed or changed between two snapshots. */
export function changes(before: Map<string, Entry>, after: Map<string, Entry>): string[] {
  const diff: string[] = [];
  for (const [path, entry] of after) {
    const was = before.get(path);
    if (!was) diff.push(`+ ${path}`);
    else if (JSON.stringify(was) !== JSON.stringify(entry)) diff.push(`~ ${path}`);
  }
  for (const path of before.keys()) if (!after.has(path)) diff.push(`- ${path}`);
  return diff.sort();
}

/** Every file below `root` whose name matches `pattern` (absolute paths). */
export async function findFiles(root: string, pattern: RegExp): Promise<string[]> {
  const found: string[] = [];
  for (const [rel, entry] of await snapshot(root)) {
    if (entry.kind !== 'dir' && pattern.test(rel.split('/').at(-1)!)) found.push(join(root, rel));
  }
  return found.sort();
}
