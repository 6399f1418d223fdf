/**
 * A live Jungfrau detector buffer on local disk, written the way PSI's
 * sf_daq_buffer writes it, paced by the facility clock.
 *
 * `start()` writes, every `tickMs`, the slots of every pulse fired since the
 * last tick for every module of every detector, rotates files (LATEST), and
 * deletes files wholly older than `retentionPulses`. `writeRange()` fills a
 * fixed range for tests and benchmarks. Content is deterministic (frames.ts);
 * faults (faults.ts) and pedestal runs (pedestal-mode.ts) are read at every
 * pass, so they can change at run time. `publishCalibration` writes each
 * detector's gain and pedestal files where the facility keeps them (publish.ts).
 */
import { parseDetectorName, moduleDir } from '../../../lib/adapters/buffers/detector/layout';
import type { FacilityClock } from '../../../lib/core/clock';
import { compileFaults, type DetectorFaultPlan } from './faults';
import type { PixelMode } from './frames';
import { ModuleWriter } from './module-writer';
import { firmwarePedestal, manualPedestal, pedestalStopPulseId, type PedestalSchedule } from './pedestal-mode';
import { publishCalibration, type PublishedCalibration } from './publish';
import { deleteExpiredFiles } from './retention';
import { SlotBuilder } from './slot-builder';

export interface DetectorBufferSimulatorOptions {
  /** Buffer root; detector folders are created under it. */
  root: string;
  /** Detector names JFxxTyyVzz. */
  detectors: string[];
  clock: FacilityClock;
  /** Files wholly older than (current pulse - retentionPulses) are deleted. */
  retentionPulses: number;
  /** 'sparse' (demo default): header + row 0 per slot, KBs per second; 'dense': full frames, for benchmarks. */
  pixels: PixelMode;
  faults?: DetectorFaultPlan;
  /** Pause between write passes, ms. Default 200. */
  tickMs?: number;
  /** At start, also write this many pulses before the current one. Default 0. */
  backfillPulses?: number;
  /** Where errors of a timed pass go. Default: stderr. */
  onError?: (error: unknown) => void;
  /** Pedestal runs per detector (see takePedestal). */
  pedestal?: Record<string, PedestalSchedule>;
  /** Root standing for /sf, where publishCalibration writes the gain and pedestal files. */
  calibrationRoot?: string;
}

export interface TakePedestalOptions {
  /** The firmware's pedestal mode (50 frames per gain, 200 loops) instead of 1000 frames per gain. */
  pedestalmode?: boolean;
  /** Frames per gain stage instead of the mode's (1000 or 50): shorter dark runs for the demo and tests. */
  framesPerStage?: number;
  rateMultiplicator?: number;
  highG0?: boolean;
  /** Default: the pulse after the last one written (or after the clock's current one). */
  startPulseId?: bigint;
}

/** A pedestal run asked while the detector is still taking one: it does one at a time. */
export class PedestalBusy extends Error {
  override readonly name = 'PedestalBusy';
}

export class DetectorBufferSimulator {
  /** The fault plan, read at every pass: replace or edit it at run time. */
  faults: DetectorFaultPlan;
  /** Pedestal runs by detector, read at every pass: a detector writes dark frames with forced gains during its run. */
  readonly pedestals: Map<string, PedestalSchedule>;
  /** Last pulse id the live writer wrote (undefined before start). */
  lastPulseId: bigint | undefined;
  /** Modules powered off, by detector: their slots are not written, their LATEST markers age. */
  readonly poweredOff = new Map<string, Set<number>>();
  /** Detectors powered on again: their LATEST markers are rewritten after the next pass. */
  private readonly poweredOn = new Set<string>();
  private readonly writers: Map<string, ModuleWriter[]>;
  private readonly builder: SlotBuilder;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DetectorBufferSimulatorOptions) {
    if (!Number.isSafeInteger(options.retentionPulses) || options.retentionPulses <= 0) {
      throw new RangeError(`retentionPulses must be a positive integer, got ${options.retentionPulses}`);
    }
    this.faults = options.faults ?? {};
    this.pedestals = new Map(Object.entries(options.pedestal ?? {}));
    this.builder = new SlotBuilder(options.pixels);
    this.writers = new Map(options.detectors.map((d) => [d, this.writersFor(d)]));
  }

  /**
   * Begin keeping the buffer current (first pass at once).
   * @example const sim = new DetectorBufferSimulator({ root, detectors: ['JF01T03V01'], clock, retentionPulses: 6000, pixels: 'sparse' }); sim.start();
   */
  start(): void {
    if (this.timer) return;
    this.lastPulseId = this.options.clock.currentPulseId() - 1n - BigInt(this.options.backfillPulses ?? 0);
    this.safeTick();
    this.timer = setInterval(() => this.safeTick(), this.options.tickMs ?? 200);
  }

  /**
   * One write pass: every pulse after the last one written up to the clock's
   * current pulse, then retention. Public so tests can drive a fake clock.
   * @example sim.tick(); // after advancing the clock's time
   */
  tick(): void {
    const now = this.options.clock.currentPulseId();
    const oldestKept = now - BigInt(this.options.retentionPulses);
    // After a long stall, pulses older than retention would be deleted at once: skip them.
    let from = (this.lastPulseId ?? now - 1n) + 1n;
    if (from < oldestKept) from = oldestKept;
    const faults = compileFaults(this.faults);
    for (const [detector, writers] of this.writers) {
      const off = this.poweredOff.get(detector);
      for (const writer of writers) {
        if (off?.has(writer.module)) continue;
        for (let p = from; p <= now; p++) this.writeOne(detector, writer, p, faults);
      }
    }
    // A detector powered on again says so at once (its writer would record LATEST only at its next file).
    for (const detector of this.poweredOn) for (const writer of this.writers.get(detector) ?? []) writer.close();
    this.poweredOn.clear();
    if (now > (this.lastPulseId ?? -1n)) this.lastPulseId = now;
    for (const [detector, writers] of this.writers) {
      for (const writer of writers) deleteExpiredFiles(moduleDir(this.options.root, detector, writer.module), oldestKept);
    }
  }

  /**
   * Write pulses start..stop (inclusive) of one detector, every module, with
   * the current faults; closes its files at the end (LATEST names the last).
   * Yields to the event loop between files.
   * @example await sim.writeRange('JF01T03V01', 990n, 1010n);
   */
  async writeRange(detector: string, start: bigint, stop: bigint): Promise<void> {
    const writers = this.writersFor(detector);
    const faults = compileFaults(this.faults);
    try {
      for (let p = start; p <= stop; p++) {
        for (const writer of writers) this.writeOne(detector, writer, p, faults);
        if (p % 1000n === 999n) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      for (const writer of writers) writer.close();
    }
  }

  /**
   * Start a pedestal run of `detector` (as take_pedestal makes the detector
   * do): dark frames, gains forced G0, G1, G2 in turn, daq_rec bits 12..13
   * saying which. Returns the run's schedule and its last pulse.
   * @example const { startPulseId, stopPulseId } = sim.takePedestal('JF06T08V04'); // 3000 pulses of dark frames
   */
  takePedestal(detector: string, options: TakePedestalOptions = {}): PedestalSchedule & { stopPulseId: bigint } {
    const current = this.lastPulseId ?? this.options.clock.currentPulseId();
    const running = this.pedestals.get(detector);
    if (running && pedestalStopPulseId(running) > current) {
      const seconds = Math.ceil(Number(pedestalStopPulseId(running) - current) / 100);
      throw new PedestalBusy(`${detector} is taking a pedestal until pulse ${pedestalStopPulseId(running)} (about ${seconds} s more): one at a time`);
    }
    const start = options.startPulseId ?? current + 1n;
    const make = options.pedestalmode ? firmwarePedestal : manualPedestal;
    const made = make(start, options.rateMultiplicator ?? 1, options.highG0 ?? false);
    const schedule = options.framesPerStage !== undefined ? { ...made, framesPerStage: options.framesPerStage } : made;
    this.pedestals.set(detector, schedule);
    return { ...schedule, stopPulseId: pedestalStopPulseId(schedule) };
  }

  /**
   * Write `detector`'s gain file, pedestal file and config JSON (publish.ts)
   * under `calibrationRoot` (kept when they exist).
   * @example await sim.publishCalibration('JF06T08V04') // { gainFile: '<root>/jungfrau/config/gainMaps/JF06T08V04/gains.h5', ... }
   */
  async publishCalibration(detector: string): Promise<PublishedCalibration> {
    if (!this.options.calibrationRoot) throw new Error('publishCalibration needs the calibrationRoot option');
    return publishCalibration({ root: this.options.calibrationRoot, detector, bufferRoot: this.options.root });
  }

  /**
   * Power modules off (default: all of the detector): nothing is written for
   * them any more, so their LATEST markers age (get_running_detectors).
   * @example sim.powerOff('JF01T03V01', [1]) // module 1 stops: the detector limps
   */
  powerOff(detector: string, modules?: number[]): void {
    const all = [...Array(parseDetectorName(detector).modules).keys()];
    const off = this.poweredOff.get(detector) ?? new Set<number>();
    for (const m of modules ?? all) off.add(m);
    this.poweredOff.set(detector, off);
    // Their current files are closed now: LATEST names them, and from now on ages.
    for (const writer of this.writers.get(detector) ?? []) if (off.has(writer.module)) writer.close();
  }

  /** Power every module of a detector on: it writes frames again from the next pass (power_on_detector). */
  powerOn(detector: string): void {
    if (this.poweredOff.delete(detector)) this.poweredOn.add(detector);
  }

  /** Stop the live writer and close its files (LATEST then names each module's last file). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const writers of this.writers.values()) for (const writer of writers) writer.close();
  }

  private writeOne(detector: string, writer: ModuleWriter, pulseId: bigint, faults: ReturnType<typeof compileFaults>): void {
    const plan = faults.plan(writer.module, pulseId);
    if (plan.kind === 'skip') return;
    writer.writeSlot(pulseId, this.builder.build(detector, writer.module, plan, this.pedestals.get(detector)));
  }

  private writersFor(detector: string): ModuleWriter[] {
    const { modules } = parseDetectorName(detector);
    return [...Array(modules).keys()].map((m) => new ModuleWriter(this.options.root, detector, m));
  }

  private safeTick(): void {
    try {
      this.tick();
    } catch (error) {
      (this.options.onError ?? ((e) => console.error('detector simulator:', e)))(error);
    }
  }
}
