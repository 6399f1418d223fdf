/**
 * One module's buffer writer, as sf_daq_buffer's: files named by pulse id,
 * created pre-sized (one 0xFF byte at offset 1000 x slot size, so the rest are
 * holes reading as zeros), each slot written at its offset; when the writer
 * moves to another file, or stops, it closes the current one and records its
 * full path plus a newline in M<ii>/LATEST (through a rename, so a reader never
 * sees half a path).
 */
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync, writevSync } from 'node:fs';
import path from 'node:path';
import {
  bufferFilePath,
  fileStartPulseId,
  FILE_BYTES,
  latestFilePath,
  PRESIZE_BYTE,
  slotIndex,
  slotOffset,
} from '../../../lib/adapters/buffers/detector/layout';

export class ModuleWriter {
  private current: { fileStart: bigint; path: string; fd: number } | undefined;

  constructor(
    private readonly root: string,
    private readonly detector: string,
    readonly module: number,
  ) {}

  /**
   * Write one slot (its bytes given in pieces: head, pixels) for `pulseId`.
   * @example writer.writeSlot(1005n, [head, pixels])
   */
  writeSlot(pulseId: bigint, pieces: readonly Uint8Array[]): void {
    const fd = this.fileFor(pulseId);
    const total = pieces.reduce((n, p) => n + p.byteLength, 0);
    const written = writevSync(fd, pieces as Uint8Array[], slotOffset(slotIndex(pulseId)));
    if (written !== total) throw new Error(`short write to ${this.current?.path}: ${written} of ${total} bytes`);
  }

  /** Close the current file and record it in LATEST. */
  close(): void {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    closeSync(current.fd);
    const latest = latestFilePath(this.root, this.detector, this.module);
    writeFileSync(`${latest}.tmp`, `${current.path}\n`);
    renameSync(`${latest}.tmp`, latest);
  }

  private fileFor(pulseId: bigint): number {
    const fileStart = fileStartPulseId(pulseId);
    if (this.current?.fileStart === fileStart) return this.current.fd;
    this.close();
    const file = path.resolve(bufferFilePath(this.root, this.detector, this.module, pulseId));
    this.current = { fileStart, path: file, fd: openOrCreate(file) };
    return this.current.fd;
  }
}

function openOrCreate(file: string): number {
  try {
    return openSync(file, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'w+');
  writeSync(fd, Uint8Array.of(PRESIZE_BYTE), 0, 1, FILE_BYTES - 1);
  return fd;
}
