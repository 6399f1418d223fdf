/**
 * One module's file access during a read: keeps the current buffer file open
 * and reads runs of whole slots into a reused block buffer with positional
 * reads (never whole files).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { BufferUnavailable } from '../../../core/errors';
import { bufferFilePath, SLOT_BYTES, slotIndex, slotOffset } from './layout';

/** A run of consecutive slots of a block: the first slot (relative to the block), how many, and where in the buffer (in slots) it goes. */
export interface SlotRun {
  first: number;
  count: number;
  place: number;
}

/** Errors that mean "this file is not there": retention removed it, or it was never written. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR']);

/** One module's buffer file for a pulse, kept open while the next pulses asked for fall in the same file. */
export class ModuleFile {
  protected path: string | undefined;
  private handle: FileHandle | null = null;

  constructor(
    private readonly root: string,
    private readonly detector: string,
    readonly module: number,
  ) {}

  /** The open file holding `pulseId`, or null when it is absent (expired or never written). */
  async fileFor(pulseId: bigint): Promise<FileHandle | null> {
    const path = bufferFilePath(this.root, this.detector, this.module, pulseId);
    if (path === this.path) return this.handle;
    await this.close();
    this.path = path;
    try {
      this.handle = await open(path, 'r');
    } catch (error) {
      if (!ABSENT.has((error as NodeJS.ErrnoException).code ?? '')) {
        throw new BufferUnavailable('detector', `cannot open detector buffer file ${path}: ${(error as Error).message}`, { cause: error });
      }
      this.handle = null;
    }
    return this.handle;
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    this.path = undefined;
    await handle?.close();
  }
}

export class ModuleCursor extends ModuleFile {
  /** Whether the file of the last block read existed. */
  filePresent = false;

  constructor(
    root: string,
    detector: string,
    module: number,
    /** Holds the slots read from one block, packed: the run placed at p starts at p * SLOT_BYTES. */
    readonly block: Buffer,
  ) {
    super(root, detector, module);
  }

  /**
   * Read the runs of the block starting at pulse `blockStart` into `block`.
   * Slots of an absent file (or beyond a short file's end) get their marker
   * cleared, so they decode as missing; the pixels are left as they are
   * because nobody reads pixels of a missing slot.
   */
  async readBlock(blockStart: bigint, runs: readonly SlotRun[]): Promise<void> {
    const handle = await this.fileFor(blockStart);
    this.filePresent = handle !== null;
    const firstSlot = slotIndex(blockStart);
    for (const run of runs) {
      const bytes = run.count * SLOT_BYTES;
      const at = run.place * SLOT_BYTES;
      const got = handle ? await this.readFully(handle, at, bytes, slotOffset(firstSlot + run.first)) : 0;
      if (got < bytes) this.blank(at + got, at + bytes);
    }
  }

  /** pread until `length` bytes or end of file; returns the bytes read. */
  private async readFully(handle: FileHandle, at: number, length: number, position: number): Promise<number> {
    let done = 0;
    while (done < length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(this.block, at + done, length - done, position + done));
      } catch (error) {
        throw new BufferUnavailable('detector', `cannot read detector buffer file ${this.path}: ${(error as Error).message}`, { cause: error });
      }
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  /** Clear the markers of every slot that starts in [from, to): they then read as missing. */
  private blank(from: number, to: number): void {
    const firstSlot = Math.floor(from / SLOT_BYTES);
    if (from % SLOT_BYTES !== 0) this.block[firstSlot * SLOT_BYTES] = 0; // a slot cut short is as good as missing
    for (let s = Math.ceil(from / SLOT_BYTES); s * SLOT_BYTES < to; s++) this.block[s * SLOT_BYTES] = 0;
  }
}
