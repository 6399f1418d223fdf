/**
 * Read-only access to a pgroup's raw/ directory for the monitor: the run
 * record, the run logs, the output files the broker recorded. Nothing outside
 * raw/ is ever read: a recorded path must lie below raw/, directories are
 * resolved with the writers' own rules (lib/adapters/fs/safe-paths.ts: a
 * symlink is followed only if it stays inside raw/), a file that is a symlink
 * leading out is refused, and small files are opened with O_NOFOLLOW.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { RequestRefused } from '../core/errors';
import { BOOKKEEPING_DIR, pgroupRawDir, runLabel } from '../core/paths';
import type { LocatedFile, RunFilesPort, RunLogText, RunRecordRead } from '../core/run-details';
import { ensureDirectoryInside } from '../adapters/fs/safe-paths';
import { missingPulsesIn } from './h5-read';

/** The run record is small (a request is at most 1 MiB): anything larger is not ours. */
const MAX_RECORD_BYTES = 4 * 1024 * 1024;
/** Cached entries (records, sizes of finished files) per process. */
const CACHE_ENTRIES = 20_000;

const inside = (root: string, candidate: string) => candidate === root || candidate.startsWith(root + sep);

/**
 * @example
 *   const reader = new PgroupReader('/sf');
 *   const file = await reader.locate('alvra', 'p12345', '/sf/alvra/data/p12345/raw/demo/run_000002.BSREAD.h5');
 *   file.size_bytes // 497472
 */
export class PgroupReader implements RunFilesPort {
  private readonly records = new Map<string, RunRecordRead>();
  private readonly finalSizes = new Map<string, LocatedFile>();

  constructor(private readonly dataRoot: string) {}

  rawDir(beamline: string, pgroup: string): string {
    return pgroupRawDir(this.dataRoot, beamline, pgroup);
  }

  async readRecord(beamline: string, pgroup: string, runNumber: number): Promise<RunRecordRead> {
    const path = join(this.rawDir(beamline, pgroup), BOOKKEEPING_DIR, `${runLabel(runNumber)}.json`);
    const cached = this.records.get(path);
    if (cached) return cached;
    let read: RunRecordRead;
    try {
      const daq = await ensureDirectoryInside(this.rawDir(beamline, pgroup), [BOOKKEEPING_DIR], false, 'pgroup');
      const text = await readBounded(join(daq, `${runLabel(runNumber)}.json`), MAX_RECORD_BYTES, 'whole');
      if (text === undefined) return { problem: `raw/${BOOKKEEPING_DIR}/${runLabel(runNumber)}.json does not exist` };
      const record = JSON.parse(text.text) as unknown;
      if (typeof record !== 'object' || record === null || Array.isArray(record)) return { problem: 'the run record is not a JSON object' };
      read = { record: record as Record<string, unknown> };
    } catch (error) {
      return { problem: `the run record can not be read: ${reason(error)}` };
    }
    remember(this.records, path, read); // written once when the run is accepted; only absent or unreadable records are read again
    return read;
  }

  async locate(beamline: string, pgroup: string, recordedPath: string, options: { final?: boolean } = {}): Promise<LocatedFile> {
    const raw = this.rawDir(beamline, pgroup);
    const rel = relative(raw, recordedPath);
    const base: LocatedFile = { path: rel, real: null, size_bytes: null, modified: null };
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return { ...base, path: recordedPath, problem: "not inside the pgroup's raw directory" };
    const cached = options.final ? this.finalSizes.get(recordedPath) : undefined;
    if (cached) return cached;
    const parts = rel.split(sep);
    let located: LocatedFile;
    try {
      const dir = await ensureDirectoryInside(raw, parts.slice(0, -1), false, 'file');
      const candidate = join(dir, parts[parts.length - 1]!);
      const link = await lstat(candidate).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
        throw error;
      });
      if (!link) return base; // not (yet) written
      let real = candidate;
      if (link.isSymbolicLink()) {
        const target = await realpath(candidate).catch(() => undefined);
        if (target === undefined || !inside(await realpath(raw), target)) {
          return { ...base, problem: "a symbolic link leading outside the pgroup's raw directory: not followed" };
        }
        real = target;
      }
      const stats = await stat(real);
      if (!stats.isFile()) return { ...base, problem: 'not a regular file' };
      located = { path: rel, real, size_bytes: stats.size, modified: stats.mtime.toISOString() };
    } catch (error) {
      return { ...base, problem: error instanceof RequestRefused ? error.message.replace(/^file: /, '') : reason(error) };
    }
    // A finished run's files no longer change: their sizes are kept for the runs table, polled every second.
    if (options.final) remember(this.finalSizes, recordedPath, located);
    return located;
  }

  async readLogs(beamline: string, pgroup: string, runNumber: number, limits: { bytesPerLog: number; totalBytes: number }): Promise<RunLogText[]> {
    let daq: string;
    let names: string[];
    try {
      daq = await ensureDirectoryInside(this.rawDir(beamline, pgroup), [BOOKKEEPING_DIR], false, 'pgroup');
      names = await readdir(daq);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      return [{ name: `${BOOKKEEPING_DIR}/`, source: '', size_bytes: null, text: '', truncated: false, problem: `the run logs can not be listed: ${reason(error)}` }];
    }
    const prefix = `${runLabel(runNumber)}.`;
    const logs: RunLogText[] = [];
    let budget = limits.totalBytes;
    for (const name of names.filter((n) => n.startsWith(prefix) && n.endsWith('.log')).sort()) {
      const source = name.slice(prefix.length, -'.log'.length);
      try {
        const read = await readBounded(join(daq, name), Math.max(0, Math.min(limits.bytesPerLog, budget)), 'tail');
        if (!read) continue;
        budget -= Buffer.byteLength(read.text);
        logs.push({ name, source, size_bytes: read.size, text: read.text, truncated: read.truncated });
      } catch (error) {
        logs.push({ name, source, size_bytes: null, text: '', truncated: false, problem: reason(error) });
      }
    }
    return logs;
  }

  async missingPulses(file: LocatedFile, kind: 'data' | 'image' | 'detector', channels: string[], expected: Parameters<RunFilesPort['missingPulses']>[3]) {
    if (!file.real) throw new Error(`${file.path}: ${file.problem ?? 'not written'}`);
    return missingPulsesIn(file.real, kind, channels, expected);
  }
}

/** A regular file (never through a symlink), whole or its last `maxBytes` bytes; undefined if absent. */
async function readBounded(path: string, maxBytes: number, mode: 'whole' | 'tail'): Promise<{ text: string; size: number; truncated: boolean } | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new Error('a symbolic link: not followed');
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error('not a regular file');
    if (mode === 'whole' && stats.size > maxBytes) throw new Error(`${stats.size} bytes: larger than ${maxBytes}`);
    const length = Math.min(stats.size, maxBytes);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, stats.size - length);
    let text = buffer.subarray(0, bytesRead).toString('utf8');
    const truncated = length < stats.size;
    // A cut log starts at its next whole line.
    if (truncated) text = text.slice(text.indexOf('\n') + 1);
    return { text, size: stats.size, truncated };
  } finally {
    await handle.close();
  }
}

function remember<T>(map: Map<string, T>, key: string, value: T): void {
  if (map.size >= CACHE_ENTRIES) map.delete(map.keys().next().value!);
  map.set(key, value);
}

const reason = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;
