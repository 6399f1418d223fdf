/**
 * Shared set-up of the retrieval benchmarks: temp directories, pgroups,
 * retriever inputs, the Data API simulators in their own process.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CLOCK, FacilityClock } from '../../lib/core/clock';
import type { RunRequest } from '../../lib/core/run-request';
import type { RetrieverInput } from '../../lib/retrieval/types';
import type { SerialEndpoints } from '../worker';
import { startService, type Service } from './child';

export const BEAMLINE = 'alvra';

/** A temp directory removed by `cleanup()` (also on exit). */
export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `sfdaq-bench-${prefix}-`));
  const cleanup = () => rmSync(path, { recursive: true, force: true });
  process.once('exit', cleanup);
  return { path, cleanup };
}

/** `<dataRoot>/alvra/data/<pgroup>/raw`, created. */
export function pgroupRaw(dataRoot: string, pgroup: string): string {
  const raw = join(dataRoot, BEAMLINE, 'data', pgroup, 'raw');
  mkdirSync(raw, { recursive: true });
  return raw;
}

/** A run of one source, as the workflow hands it to a retriever. */
export function retrieverInput(o: {
  dataRoot: string;
  pgroup: string;
  run: number;
  source: string;
  start: number;
  stop: number;
  request?: Partial<RunRequest>;
}): RetrieverInput {
  const raw = pgroupRaw(o.dataRoot, o.pgroup);
  const label = `run_${String(o.run).padStart(6, '0')}`;
  return {
    beamline: BEAMLINE,
    pgroup: o.pgroup,
    run_number: o.run,
    request: {
      pgroup: o.pgroup,
      start_pulseid: o.start,
      stop_pulseid: o.stop,
      rate_multiplicator: 1,
      channels_list: [],
      camera_list: [],
      pv_list: [],
      detectors: {},
      ...o.request,
    },
    output_directory: raw,
    files: { [o.source]: join(raw, `${label}.${o.source}.h5`) },
    request_time_ms: Date.now(),
    source: o.source,
  };
}

export function endpoints(o: { dataUrl?: string; imageUrl?: string; detectorRoot?: string }): SerialEndpoints {
  return {
    dataBufferUrl: o.dataUrl ?? 'http://127.0.0.1:9',
    imageBufferUrl: o.imageUrl ?? 'http://127.0.0.1:9',
    archiverUrl: 'http://127.0.0.1:9',
    detectorBufferRoot: o.detectorRoot ?? '/nonexistent',
    clock: { epochPulseId: String(DEFAULT_CLOCK.epochPulseId), epochTimeMs: DEFAULT_CLOCK.epochTimeMs },
    retry: { attempts: 3, baseDelayMs: 200, maxDelayMs: 2_000 },
    deadlineMs: 30 * 60_000,
  };
}

export interface DataApiSims {
  /** The simulators themselves (every value made on the fly). */
  dataUrl: string;
  imageUrl: string;
  /** Replay fronts: a query seen before is answered from its recording (bench/sim-server.ts). */
  dataReplayUrl: string;
  imageReplayUrl: string;
  /** Resolves once every recording begun so far is on disk. */
  recorded(): Promise<void>;
  /** A range of `pulses` pulses that the buffers hold now (ending 10 s ago). */
  range(pulses: number): { start: number; stop: number };
  stop(): Promise<void>;
}

/**
 * The data and image buffer simulators (bench/sim-server.ts) in a process of
 * their own, so their CPU is not billed to the measured process. They keep a
 * day of pulses (the BENCH channels are synthesised, nothing is stored);
 * the replay fronts record query bodies under `recordings`.
 */
export async function startDataApiSims(recordings: string): Promise<DataApiSims> {
  const service: Service<{ dataUrl: string; imageUrl: string; dataReplayUrl: string; imageReplayUrl: string }> = await startService('sim-server.ts', [recordings]);
  const clock = new FacilityClock(DEFAULT_CLOCK);
  return {
    dataUrl: service.info.dataUrl,
    imageUrl: service.info.imageUrl,
    dataReplayUrl: service.info.dataReplayUrl,
    imageReplayUrl: service.info.imageReplayUrl,
    recorded: async () => {
      await service.ask({ type: 'recorded' }, 600_000);
    },
    range: (pulses) => {
      const stop = Number(clock.currentPulseId()) - 1_000;
      return { start: stop - pulses + 1, stop };
    },
    stop: () => service.stop(),
  };
}

/** `BENCH:SCALAR-0001`.. and `BENCH:WAVE-0001`..: `total` channels of which `waves` are float32[2048] waveforms. */
export function benchChannels(total: number, waves: number): string[] {
  const pad = (i: number) => String(i).padStart(4, '0');
  const names: string[] = [];
  for (let i = 1; i <= total - waves; i++) names.push(`BENCH:SCALAR-${pad(i)}`);
  for (let i = 1; i <= waves; i++) names.push(`BENCH:WAVE-${pad(i)}`);
  return names;
}

export function benchCameras(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `BENCH:CAMERA-${String(i + 1).padStart(4, '0')}:FPICTURE`);
}

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export const MB = 1e6;
export const MIB = 1 << 20;
