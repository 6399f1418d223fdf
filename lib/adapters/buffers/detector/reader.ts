/**
 * Read Jungfrau frames from the detector buffer files, the part of PSI's
 * sf_writer that touches the buffer, with our frame logic (see frame.ts).
 *
 * Memory is bounded: per enabled module one block buffer of `blockSlots`
 * slots (default 100, as the facility's reader: ~100 MiB per module; lower it
 * for big detectors, e.g. 10 for a 32-module one) plus one frame of pixels.
 */
import { BLOCK_SLOTS, MODULE_PIXEL_BYTES, parseDetectorName, SLOT_BYTES, SLOTS_PER_FILE } from './layout';
import { readBatches } from './batches';
import { assembleFrame, type DetectorFrame } from './frame';
import { ModuleCursor } from './module-cursor';
import { pulseIdsOf, type PulseRange } from './pulses';
import { probeRange, type DetectorRangeStatus, type ProbeOptions } from './range-status';

export type { DetectorFrame, DetectorModuleFrame } from './frame';
export type { PulseRange } from './pulses';
export type { DetectorRangeStatus, ProbeOptions } from './range-status';

export interface DetectorBufferReaderOptions {
  /** The buffer root, holding one folder per detector. */
  root: string;
  /** Detector name JFxxTyyVzz, also the folder name under root. */
  detector: string;
  /** Number of modules; defaults to yy of the name. */
  modules?: number;
  /** Slots per block read; must divide 1000. Default 100. */
  blockSlots?: number;
  /**
   * Yield every frame's `pixels` in one reused buffer, valid only until the
   * next iteration (copy it to keep it). Default false: a fresh buffer per frame.
   */
  reusePixels?: boolean;
}

export interface ReadFramesOptions {
  /** Module indexes left out of the frame (and of isGoodFrame). */
  disabledModules?: number[];
}

export class DetectorBufferReader {
  readonly root: string;
  readonly detector: string;
  readonly modules: number;
  private readonly blockSlots: number;
  private readonly reusePixels: boolean;

  constructor(options: DetectorBufferReaderOptions) {
    this.root = options.root;
    this.detector = options.detector;
    this.modules = options.modules ?? parseDetectorName(options.detector).modules;
    if (!Number.isInteger(this.modules) || this.modules < 1 || this.modules > 100) {
      throw new RangeError(`detector ${options.detector}: module count must be 1..100, got ${this.modules}`);
    }
    this.blockSlots = options.blockSlots ?? BLOCK_SLOTS;
    if (!Number.isInteger(this.blockSlots) || this.blockSlots < 1 || SLOTS_PER_FILE % this.blockSlots !== 0) {
      throw new RangeError(`blockSlots must divide ${SLOTS_PER_FILE}, got ${this.blockSlots}`);
    }
    this.reusePixels = options.reusePixels ?? false;
  }

  /**
   * The enabled module indexes, in folder order.
   * @example new DetectorBufferReader({ root, detector: 'JF01T03V01' }).enabledModules([1]) // [0, 2]
   */
  enabledModules(disabledModules: readonly number[] = []): number[] {
    for (const m of disabledModules) {
      if (!Number.isInteger(m) || m < 0 || m >= this.modules) {
        throw new RangeError(`detector ${this.detector} has modules 0..${this.modules - 1}; cannot disable module ${m}`);
      }
    }
    const enabled = [...Array(this.modules).keys()].filter((m) => !disabledModules.includes(m));
    if (enabled.length === 0) throw new RangeError(`detector ${this.detector}: every module is disabled`);
    return enabled;
  }

  /**
   * Frames for the requested pulses, in request order. A missing buffer file
   * never aborts: its slots come out as 'missing'.
   *
   * @example
   *   const reader = new DetectorBufferReader({ root: '/gpfs/buffer', detector: 'JF01T03V01' });
   *   for await (const frame of reader.readFrames({ start: 1000n, stop: 1990n, step: 10n }, { disabledModules: [2] })) {
   *     write(frame.pulseId, frame.pixels, frame.isGoodFrame);
   *   }
   */
  readFrames(pulseIds: Iterable<bigint> | PulseRange, options: ReadFramesOptions = {}): AsyncGenerator<DetectorFrame> {
    // Validate here, not inside the generator, so a bad module list fails at the call.
    return this.frames(pulseIds, this.enabledModules(options.disabledModules));
  }

  private async *frames(pulseIds: Iterable<bigint> | PulseRange, enabled: number[]): AsyncGenerator<DetectorFrame> {
    const frameBytes = enabled.length * MODULE_PIXEL_BYTES;
    const shared = this.reusePixels ? Buffer.allocUnsafe(frameBytes) : undefined;
    const cursors = enabled.map(
      (m) => new ModuleCursor(this.root, this.detector, m, Buffer.allocUnsafe(this.blockSlots * SLOT_BYTES)),
    );
    try {
      for (const batch of readBatches(pulseIdsOf(pulseIds), this.blockSlots)) {
        await Promise.all(cursors.map((c) => c.readBlock(batch.blockStart, batch.runs)));
        for (const [i, pulseId] of batch.pulseIds.entries()) {
          // allocUnsafe: assembleFrame writes every byte (pixels or zeros).
          const pixels = shared ?? Buffer.allocUnsafe(frameBytes);
          yield assembleFrame(pulseId, batch.places[i]!, cursors, pixels);
        }
      }
    } finally {
      await Promise.all(cursors.map((c) => c.close()));
    }
  }

  /**
   * Whether [start, stop] can be read now; throws RangeExpired when retention
   * removed it. See range-status.ts for the rules.
   * @example const s = await reader.probe(1000n, 1999n); if (s.state === 'not-yet-written') await sleep(1000);
   */
  probe(start: bigint, stop: bigint, options: ProbeOptions = {}): Promise<DetectorRangeStatus> {
    return probeRange(this.root, this.detector, this.enabledModules(options.disabledModules), start, stop, options);
  }
}
