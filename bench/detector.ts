/**
 * Benchmark `detector`: retrieval throughput of a 4-module Jungfrau from the
 * detector buffer into HDF5, uncompressed and bitshuffle+LZ4, against the
 * machine's plain sequential write of the same bytes in the same run.
 *
 * The buffer is written by DetectorBufferSimulator ('dense' pixels, writeRange)
 * and flushed to disk (sync) before anything is timed, so reads come from a
 * hot page cache (as bench-read.ts measures the reader) and writes pay the
 * disk. Each measurement is one child process (bench/worker.ts, bundled):
 * plain write, uncompressed, compressed, plain write again; the ratio uses the
 * mean of both plain writes. `sync` runs between measurements.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MODULE_PIXEL_BYTES } from '../lib/adapters/buffers/detector';
import { FacilityClock } from '../lib/core/clock';
import { DetectorBufferSimulator } from '../local/simulators/detector';
import { runWorker, summarizeCpuProfile, syncDisks } from './lib/child';
import { endpoints, MB, retrieverInput, tempDir } from './lib/fixtures';
import { fmt, profileTable, rate, type Benchmark, type BenchOptions, type BenchResult, type ProfileSummary, type Table } from './lib/report';
import type { WorkerOutput } from './worker';

export const DETECTOR = 'JF09T04V01';
const MODULES = 4;
const START = 10_000;

/** Write the simulated buffer of `frames` pulses from `start`, flushed to disk; returns the range and the seconds taken. */
export async function writeDetectorBuffer(root: string, frames: number, pixels: 'dense' | 'sparse' = 'dense', start = START): Promise<{ seconds: number; start: number; stop: number }> {
  const sim = new DetectorBufferSimulator({ root, detectors: [], clock: new FacilityClock(), retentionPulses: 1e9, pixels });
  const t0 = performance.now();
  await sim.writeRange(DETECTOR, BigInt(start), BigInt(start + frames - 1));
  syncDisks();
  return { seconds: (performance.now() - t0) / 1000, start, stop: start + frames - 1 };
}

export function detectorJob(o: { dataRoot: string; bufferRoot: string; run: number; start: number; stop: number; compression: boolean }) {
  const input = retrieverInput({
    dataRoot: o.dataRoot, pgroup: 'p10001', run: o.run, source: DETECTOR, start: o.start, stop: o.stop,
    request: { detectors: { [DETECTOR]: { compression: o.compression } } },
  });
  return { mode: 'detector' as const, input, endpoints: endpoints({ detectorRoot: o.bufferRoot }), dataRoot: o.dataRoot };
}

export const detectorBenchmark: Benchmark = {
  name: 'detector',
  describe: 'detector buffer -> HDF5, 4 modules, uncompressed and bitshuffle+LZ4, vs plain fs.write+fsync of the same bytes',
  async run(options: BenchOptions): Promise<BenchResult> {
    const frames = options.frames ?? (options.quick ? 50 : 250);
    const bytes = frames * MODULES * MODULE_PIXEL_BYTES;
    const tmp = tempDir('detector');
    try {
      const bufferRoot = join(tmp.path, 'buffer');
      const dataRoot = join(tmp.path, 'sf');
      const written = await writeDetectorBuffer(bufferRoot, frames);
      const plainFile = join(tmp.path, 'plain.bin');
      const plain = () => runWorker({ mode: 'plain-write', file: plainFile, bytes, chunkBytes: MODULES * MODULE_PIXEL_BYTES, fsync: true });
      let run = 0;
      const retrieve = async (compression: boolean, cpuProfDir?: string) => {
        run += 1;
        const job = detectorJob({ dataRoot, bufferRoot, run, start: written.start, stop: written.stop, compression });
        const out = await runWorker(job, { cpuProfDir });
        rmSync(job.input.files[DETECTOR]!, { force: true });
        return out;
      };

      const plain1 = await plain();
      const raw = await retrieve(false);
      const lz4 = await retrieve(true);
      const plain2 = await plain();
      const plainMBps = (rate(plain1, bytes) + rate(plain2, bytes)) / 2;

      const fileMB = (o: WorkerOutput) => ((o.result as { file_bytes?: number }).file_bytes ?? 0) / MB;
      const copyS = (o: WorkerOutput) => (o.result as { counts?: { copy_s: number } }).counts?.copy_s;
      const row = (name: string, o: WorkerOutput, file?: number) => [
        name, frames, fmt(bytes / 1e9, 2), fmt(o.wall_s, 2), fmt(rate(o, bytes), 0), fmt(rate(o, bytes) / plainMBps, 2),
        fmt(o.cpu_s, 2), fmt(o.vmhwm_mb, 0), file === undefined ? '-' : fmt(file, 0),
      ];
      const table: Table = {
        title: `Detector retrieval: ${DETECTOR} (${MODULES} modules) x ${frames} frames, buffer page cache hot, output fsync'd`,
        columns: ['case', 'frames', 'GB', 'wall s', 'MB/s', 'vs plain', 'CPU s', 'peak RSS MB', 'file MB'],
        rows: [
          row('plain fs.write + fsync (before)', plain1),
          row('retrieveDetector uncompressed', raw, fileMB(raw)),
          row('retrieveDetector bitshuffle+LZ4', lz4, fileMB(lz4)),
          row('plain fs.write + fsync (after)', plain2),
        ],
        notes: [
          `MB = 10^6 bytes of pixels; "vs plain" divides by the mean of both plain writes (${fmt(plainMBps, 0)} MB/s).`,
          `Wall time is the whole retrieveDetector call (log, probe, copy, fsync, rename); its own copy figure: uncompressed ${fmt(copyS(raw), 2)} s, compressed ${fmt(copyS(lz4), 2)} s.`,
          `Buffer written by the simulator in ${fmt(written.seconds, 1)} s (not timed above). h5wasm init ${fmt(raw.h5_init_s, 2)} s, before the clock starts.`,
        ],
      };
      const tables = [table];
      const data: Record<string, unknown> = { frames, bytes, plain: [plain1, plain2], uncompressed: raw, compressed: lz4, plain_mb_s: plainMBps, buffer_write_s: written.seconds };

      if (options.profile) {
        const profiles: Record<string, ProfileSummary> = {};
        for (const [name, compression] of [['uncompressed', false], ['bitshuffle+LZ4', true]] as const) {
          const dir = mkdtempSync(join(tmp.path, 'prof-'));
          await retrieve(compression, dir);
          profiles[name] = summarizeCpuProfile(dir);
        }
        tables.push(profileTable(`Detector retrieval: where the time goes (node --cpu-prof, ${frames} frames)`, profiles));
        data.profiles = profiles;
      }
      const ratio = rate(raw, bytes) / plainMBps;
      return {
        tables,
        goals: [{ goal: 'uncompressed retrieval >= 0.8 of plain write', measured: `${fmt(ratio, 2)} (${fmt(rate(raw, bytes), 0)} vs ${fmt(plainMBps, 0)} MB/s)`, met: ratio >= 0.8 }],
        data,
      };
    } finally {
      tmp.cleanup();
    }
  },
};
