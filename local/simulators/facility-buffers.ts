import { join } from 'node:path';
import { FacilityClock, type FacilityClockConfig } from '../../lib/core/clock';
import type { FacilityConfig } from '../../lib/core/facility';
import { startArchiverSimulator } from './archiver';
import { startDataApiSimulator } from './data-api';
import { DetectorBufferSimulator } from './detector';

export interface SimulatedBuffers {
  dataBufferUrl: string;
  imageBufferUrl: string;
  archiverUrl: string;
  detectorBufferRoot: string;
  /** The detector buffer simulator itself (its detector control, pedestal runs, power state). */
  detector: DetectorBufferSimulator;
  close(): Promise<void>;
}

export interface SimulatedBuffersOptions {
  host?: string;
  ports?: { data?: number; image?: number; archiver?: number };
  clock: FacilityClockConfig;
  /** Where the detector buffer's files go. */
  detectorRoot: string;
  /** Detectors to simulate (e.g. every detector of the facility config). */
  detectors: string[];
  /** Ring length in pulses (default 6 minutes = 36,000 pulses; detector files cost disk, so theirs is the same). */
  retentionPulses?: number;
}

/** All four buffers at once, as `npm start` and the end-to-end tests run them. */
export async function startSimulatedBuffers(options: SimulatedBuffersOptions): Promise<SimulatedBuffers> {
  const clock = new FacilityClock(options.clock);
  const host = options.host ?? '127.0.0.1';
  const retentionPulses = options.retentionPulses ?? 36_000;
  const data = await startDataApiSimulator({ host, port: options.ports?.data ?? 0, backend: 'sf-databuffer', clock, retentionPulses });
  const image = await startDataApiSimulator({ host, port: options.ports?.image ?? 0, backend: 'sf-imagebuffer', clock, retentionPulses });
  const archiver = await startArchiverSimulator({ host, port: options.ports?.archiver ?? 0, clock, retentionMs: retentionPulses * 10 });
  const detector = new DetectorBufferSimulator({
    root: options.detectorRoot,
    detectors: options.detectors,
    clock,
    retentionPulses,
    pixels: 'sparse',
    // Start with a little history so a request for "the last seconds" finds frames at once.
    backfillPulses: 1_000,
  });
  detector.start();
  return {
    dataBufferUrl: data.url,
    imageBufferUrl: image.url,
    archiverUrl: archiver.url,
    detectorBufferRoot: options.detectorRoot,
    detector,
    close: async () => {
      detector.stop();
      await Promise.all([data.close(), image.close(), archiver.close()]);
    },
  };
}

export function detectorsOf(facility: FacilityConfig): string[] {
  return [...new Set(Object.values(facility.beamlines).flatMap((b) => Object.keys(b.detectors ?? {})))];
}

export const detectorRootIn = (stateDir: string) => join(stateDir, 'detector_buffer');
