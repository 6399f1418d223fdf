/**
 * What a worker needs to convert its frames (jungfrau.md §3, §4): the
 * detector's gain and pedestal files from the facility's calibration
 * location (lib/core/jungfrau/calibration-files.ts, under the data root
 * standing for /sf: the gain map, and the newest pedestal taken at or before
 * the run), whether the run is in high gain (daq_rec bit 0 of the run's first
 * good frame: every worker finds the same frame by reading only slot headers
 * from the run's first pulse on), and the converter, kept per process so a
 * warm worker reuses it for the next part.
 */
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { bufferFilePath, decodeSlotHeader, SLOT_HEADER_BYTES, slotIndex, slotOffset, slotStatus } from '../../adapters/buffers/detector';
import { pulseAt, type DetectorPulses } from '../../core/detector-work';
import { createConverter, type Converter } from '../../core/jungfrau/converter';
import type { Calibration } from '../../core/jungfrau/calibration';
import { gainFilePath, newestPedestalAtOrBefore, pedestalDirectory, pedestalStamp } from '../../core/jungfrau/calibration-files';
import { isHighGain } from '../../core/jungfrau/pixel-word';
import type { ResolvedDetectorOptions } from '../../core/jungfrau/options';
import { readConversionCalibration } from './calibration-read';
import { SourceFailed } from './wait';

/** The calibration files a run of `detector` uses. Throws SourceFailed naming what is missing. */
export async function calibrationFiles(dataRoot: string, detector: string, requestTimeMs: number): Promise<{ gainFile: string; pedestalFile: string }> {
  const gainFile = gainFilePath(dataRoot, detector);
  const dir = pedestalDirectory(dataRoot, detector);
  const names = await readdir(dir).catch(() => undefined);
  if (names === undefined) throw new SourceFailed(`adc_to_energy needs a pedestal file of ${detector} in ${dir}, which does not exist (take a pedestal run first)`);
  const stamp = pedestalStamp(new Date(requestTimeMs));
  const pedestal = newestPedestalAtOrBefore(names, stamp);
  if (pedestal === undefined) throw new SourceFailed(`adc_to_energy needs a pedestal file of ${detector} taken before the run (${stamp}); ${dir} has none`);
  return { gainFile, pedestalFile: `${dir}/${pedestal}` };
}

/**
 * daq_rec of the first frame among the detector's pulses 0..upTo whose every
 * module holds its pulse with all packets, or undefined. Reads slot headers
 * only (41 bytes a module), usually of the very first pulse.
 */
export async function firstGoodDaqRec(root: string, detector: string, modules: readonly number[], pulses: DetectorPulses, upTo: number): Promise<bigint | undefined> {
  const handles = new Map<string, FileHandle | null>();
  const header = Buffer.alloc(SLOT_HEADER_BYTES);
  try {
    for (let i = 0; i <= upTo && i < pulses.count; i++) {
      const pulse = BigInt(pulseAt(pulses, i));
      let daqRec: bigint | undefined;
      let good = true;
      for (const m of modules) {
        const path = bufferFilePath(root, detector, m, pulse);
        if (!handles.has(path)) handles.set(path, await open(path, 'r').catch(() => null));
        const handle = handles.get(path);
        header.fill(0);
        if (handle) await handle.read(header, 0, SLOT_HEADER_BYTES, slotOffset(slotIndex(pulse)));
        const h = decodeSlotHeader(header, 0);
        if (slotStatus(h, pulse) !== 'good') {
          good = false;
          break;
        }
        daqRec ??= h!.daqRec;
      }
      if (good) return daqRec;
    }
    return undefined;
  } finally {
    await Promise.all([...handles.values()].map((h) => h?.close()));
  }
}

let cached: { key: string; converter: Converter } | undefined;

/**
 * The converter for these options, files and gain mode (one kept per process: a JF07T32 converter holds ~470 MB of tables).
 * @example const c = await converterFor(resolved, files, highgain, enabled);
 */
export async function converterFor(resolved: ResolvedDetectorOptions, files: { gainFile: string; pedestalFile: string } | undefined, highgain: boolean, inputModules: readonly number[]): Promise<Converter> {
  const key = JSON.stringify([resolved, files, highgain, inputModules]);
  if (cached?.key === key) return cached.converter;
  cached = undefined; // let the old tables go before the new ones are built
  let calibration;
  if (resolved.conversion) {
    if (!files) throw new SourceFailed('adc_to_energy needs the gain and pedestal files');
    try {
      calibration = await readConversionCalibration(files.gainFile, files.pedestalFile, resolved.modules, highgain);
    } catch (error) {
      throw new SourceFailed(`cannot use the calibration of ${resolved.detector} (${files.gainFile}, ${files.pedestalFile}): ${(error as Error).message}`);
    }
  }
  const converter = createConverter(calibration, resolved, { highgain, inputModules });
  // The converter keeps what it needs (28 bytes of tables a pixel), but its closures' shared scope also
  // keeps the planes it was built from (gain, pedestal, mask: 28 more bytes a pixel as read here). Their
  // memory is moved out (the arrays the converter holds become empty) and collected now: nothing a
  // worker does next would make V8 run a full collection for minutes.
  if (calibration) release(calibration);
  fullGc();
  cached = { key, converter };
  return converter;
}

/** Detach the planes' buffers (their memory goes with a clone nobody keeps). */
function release(calibration: Calibration): void {
  const buffers = new Set<ArrayBufferLike>([...calibration.gain, ...calibration.pedestal, calibration.pixelMask].map((a) => a.buffer));
  for (const buffer of buffers) if (buffer.byteLength > 0 && buffer instanceof ArrayBuffer) structuredClone(buffer, { transfer: [buffer] });
}

/** One full garbage collection (node's `gc`, reached without --expose-gc through a fresh context). */
export function fullGc(): void {
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // not available: the planes go at V8's next full collection
  }
}

/** High gain from the run's first good frame (none good: normal gain, as jungfrau_utils). */
export const highGainOf = (daqRec: bigint | undefined): boolean => (daqRec === undefined ? false : isHighGain(daqRec));
