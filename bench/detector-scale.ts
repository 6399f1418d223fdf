/**
 * Benchmark `detector-scale`: one 32-module Jungfrau (JF07T32V01, 32 MiB a
 * frame) x N pulses (default 300: 10 GB) from a dense simulated buffer,
 * retrieved by 1, 2 and 4 workers at once (one process per part, as the
 * workflow's Map runs them), uncompressed (pwrite into the pre-allocated
 * file) and bitshuffle+LZ4 (parts + a virtual file), against a plain
 * fs.write + fsync of the same bytes in the same run (before and after).
 *
 * Per case: the parts' wall time (first start to last end; the Plan's prepare
 * and the finishing step are timed apart), MB/s of pixels, the ratio to the
 * plain write, and per worker its frames, wall time and peak RSS (VmHWM): on
 * this machine's 2 cores and one disk the disk bounds the speed-up; what must
 * hold is an even split and no worker over its share.
 */
import { closeSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bufferFilePath, fileStartPulseId, MODULE_PIXEL_BYTES, SLOT_BYTES, slotIndex, slotOffset } from '../lib/adapters/buffers/detector';
import { partsDir } from '../lib/core/detector-files';
import { FacilityClock } from '../lib/core/clock';
import { DetectorBufferSimulator } from '../local/simulators/detector';
import { runWorker, syncDisks } from './lib/child';
import { endpoints, MIB, retrieverInput, tempDir } from './lib/fixtures';
import { fmt, rate, type Benchmark, type BenchOptions, type BenchResult, type Goal, type Table } from './lib/report';
import type { WorkerOutput } from './worker';

export const SCALE_DETECTOR = 'JF07T32V01';
const MODULES = 32;
const START = 50_000;

/** Bytes a file takes on disk (its blocks), a folder's files summed. */
export function diskBytes(path: string): number {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.blocks * 512;
  return readdirSync(path).reduce((sum, name) => sum + diskBytes(join(path, name)), 0);
}

/**
 * Read the slots of pulses start..stop of every module once, so a run finds
 * them in the page cache ("hot", as buffers.md measured sf_writer) as far as
 * memory allows. Returns the seconds it took.
 */
export function warmBuffer(root: string, detector: string, modules: number, start: number, stop: number): number {
  const t0 = performance.now();
  const chunk = Buffer.allocUnsafe(16 << 20);
  for (let m = 0; m < modules; m++) {
    for (let file = Number(fileStartPulseId(BigInt(start))); file <= stop; file += 1000) {
      const from = slotOffset(slotIndex(BigInt(Math.max(start, file))));
      const to = slotOffset(slotIndex(BigInt(Math.min(stop, file + 999)))) + SLOT_BYTES;
      const fd = openSync(bufferFilePath(root, detector, m, BigInt(file)), 'r');
      try {
        for (let at = from; at < to; at += chunk.length) readSync(fd, chunk, 0, Math.min(chunk.length, to - at), at);
      } finally {
        closeSync(fd);
      }
    }
  }
  return (performance.now() - t0) / 1000;
}

export interface PartedRun {
  workers: number;
  prepare: WorkerOutput;
  parts: WorkerOutput[];
  finish: WorkerOutput;
  /** First part's start to last part's end, s. */
  wall_s: number;
  disk_bytes: number;
}

/**
 * Prepare, run `workers` parts at once (one process each), finish; the output removed afterwards.
 * @example const r = await partedRun({ dataRoot, bufferRoot, run: 1, detector, start, stop, options: {}, workers: 4, frameBytes });
 */
export async function partedRun(o: { dataRoot: string; bufferRoot: string; run: number; detector: string; start: number; stop: number; options: Record<string, unknown>; workers: number; frameBytes: number; itemBytes?: number; warm?: boolean }): Promise<PartedRun & { warm_s?: number }> {
  const input = retrieverInput({ dataRoot: o.dataRoot, pgroup: 'p10002', run: o.run, source: o.detector, start: o.start, stop: o.stop, request: { detectors: { [o.detector]: o.options } } });
  const frames = o.stop - o.start + 1;
  // Parts of ceil(frames / workers) frames: exactly `workers` parts.
  const itemBytes = o.itemBytes ?? Math.ceil(frames / o.workers) * o.frameBytes;
  const prepare = await runWorker({ mode: 'detector-prepare', input, dataRoot: o.dataRoot, itemBytes });
  const parts = (prepare.result as { parts: number }).parts;
  const job = { endpoints: endpoints({ detectorRoot: o.bufferRoot }), dataRoot: o.dataRoot, input };
  syncDisks();
  const warm = o.warm ? warmBuffer(o.bufferRoot, o.detector, o.frameBytes / MODULE_PIXEL_BYTES, o.start, o.stop) : undefined;
  const t0 = performance.now();
  const outs = await Promise.all(Array.from({ length: parts }, (_, part) => runWorker({ mode: 'detector-part', ...job, part }, { sync: false })));
  const wall = (performance.now() - t0) / 1000;
  const finish = await runWorker({ mode: 'detector-finish', input, dataRoot: o.dataRoot });
  const file = input.files[o.detector]!;
  const disk = diskBytes(file) + diskBytes(partsDir(file)) + diskBytes(join(o.dataRoot, 'alvra', 'data', 'p10002', 'raw', 'raw_data'));
  rmSync(file, { force: true });
  rmSync(partsDir(file), { recursive: true, force: true });
  rmSync(join(o.dataRoot, 'alvra', 'data', 'p10002', 'raw', 'raw_data'), { recursive: true, force: true });
  return { workers: parts, prepare, parts: outs, finish, wall_s: wall, disk_bytes: disk, ...(warm !== undefined ? { warm_s: warm } : {}) };
}

/** The parts' own counts (frames), as the worker reported them. */
export const partFrames = (o: WorkerOutput) => (o.result as { counts?: { frames_written: number } }).counts?.frames_written ?? 0;

export const detectorScaleBenchmark: Benchmark = {
  name: 'detector-scale',
  describe: 'a 32-module detector split across 1, 2 and 4 workers (processes), uncompressed and bitshuffle+LZ4, vs plain fs.write+fsync',
  async run(options: BenchOptions): Promise<BenchResult> {
    // As serverless.yml sets it for the detector workers (the child processes inherit it).
    process.env.MALLOC_MMAP_THRESHOLD_ = '131072';
    const frames = options.frames ?? (options.quick ? 16 : 300);
    const workerCounts = options.quick ? [1, 2] : [1, 2, 4];
    const frameBytes = MODULES * MODULE_PIXEL_BYTES;
    const bytes = frames * frameBytes;
    const tmp = tempDir('detector-scale');
    try {
      const bufferRoot = join(tmp.path, 'buffer');
      const dataRoot = join(tmp.path, 'sf');
      const sim = new DetectorBufferSimulator({ root: bufferRoot, detectors: [], clock: new FacilityClock(), retentionPulses: 1e9, pixels: 'dense' });
      const w0 = performance.now();
      await sim.writeRange(SCALE_DETECTOR, BigInt(START), BigInt(START + frames - 1));
      syncDisks();
      const bufferWriteS = (performance.now() - w0) / 1000;

      const plainFile = join(tmp.path, 'plain.bin');
      const plain = () => runWorker({ mode: 'plain-write', file: plainFile, bytes, chunkBytes: frameBytes, fsync: true });
      const plain1 = await plain();
      let run = 0;
      const results: Array<PartedRun & { compression: boolean; warm_s?: number }> = [];
      // The buffer's slots read just before each run: hot in the page cache, as buffers.md measured sf_writer.
      for (const compression of [false, true]) {
        for (const workers of workerCounts) {
          run += 1;
          const r = await partedRun({ dataRoot, bufferRoot, run, detector: SCALE_DETECTOR, start: START, stop: START + frames - 1, options: compression ? { compression: true } : {}, workers, frameBytes, warm: true });
          results.push({ ...r, compression });
        }
      }
      // And once with the buffer as the runs before left it (partly evicted by 10 GB of writes): its reads compete with the writes for the disk.
      run += 1;
      const cold = { ...(await partedRun({ dataRoot, bufferRoot, run, detector: SCALE_DETECTOR, start: START, stop: START + frames - 1, options: {}, workers: 1, frameBytes })), compression: false, cold: true };
      const plain2 = await plain();
      const plainMBps = (rate(plain1, bytes) + rate(plain2, bytes)) / 2;

      const mbps = (r: PartedRun) => bytes / 1e6 / r.wall_s;
      const rows = [...results, cold].map((r) => {
        const f = r.parts.map(partFrames);
        const walls = r.parts.map((p) => p.wall_s);
        return [
          `${r.compression ? 'bitshuffle+LZ4' : 'uncompressed'}${'cold' in r ? ' (buffer not warmed)' : ''}`, r.workers, fmt(bytes / 1e9, 2), fmt(r.wall_s, 1), fmt(mbps(r), 0), fmt(mbps(r) / plainMBps, 2),
          `${Math.min(...f)}..${Math.max(...f)}`, `${fmt(Math.min(...walls), 1)}..${fmt(Math.max(...walls), 1)}`,
          fmt(Math.max(...r.parts.map((p) => p.vmhwm_mb)), 0), fmt(r.parts.reduce((s, p) => s + p.cpu_s, 0), 1),
          fmt(r.prepare.wall_s, 2), fmt(r.finish.wall_s, 2), fmt(r.disk_bytes / 1e9, 2),
        ];
      });
      const table: Table = {
        title: `Detector split across workers: ${SCALE_DETECTOR} (${MODULES} modules, ${frameBytes / MIB} MiB a frame) x ${frames} frames, dense buffer`,
        columns: ['case', 'workers', 'GB', 'wall s', 'MB/s', 'vs plain', 'frames/worker', 'worker wall s', 'peak RSS/worker MB', 'CPU s (all)', 'prepare s', 'finish s', 'disk GB'],
        rows: [
          ['plain fs.write + fsync (before)', 1, fmt(bytes / 1e9, 2), fmt(plain1.wall_s, 1), fmt(rate(plain1, bytes), 0), '1.00', '-', '-', fmt(plain1.vmhwm_mb, 0), fmt(plain1.cpu_s, 1), '-', '-', '-'],
          ...rows,
          ['plain fs.write + fsync (after)', 1, fmt(bytes / 1e9, 2), fmt(plain2.wall_s, 1), fmt(rate(plain2, bytes), 0), '1.00', '-', '-', fmt(plain2.vmhwm_mb, 0), fmt(plain2.cpu_s, 1), '-', '-', '-'],
        ],
        notes: [
          `MB = 10^6 bytes of pixels; "vs plain" divides by the mean of both plain writes (${fmt(plainMBps, 0)} MB/s). Wall: first part's start to last part's end; prepare (the Plan) and finish (rename / virtual file) are separate steps.`,
          'Each worker is its own process (bundled as the Lambdas are); the buffer is read while the previous batch is written (two 32 MiB batch buffers), compression on a pool of one thread per core.',
          `Buffer written by the simulator in ${fmt(bufferWriteS, 1)} s (not timed above); before each run but the last its slots are read once (page cache hot, as buffers.md measured sf_writer; ${fmt(Math.max(...results.map((r) => r.warm_s ?? 0)), 1)} s at most, not timed); the last run reads a buffer the previous writes partly evicted.`,
        ],
      };
      const raw1 = results.find((r) => !r.compression && r.workers === 1)!;
      const lz1 = results.find((r) => r.compression && r.workers === 1)!;
      const rss = Math.max(...results.flatMap((r) => r.parts.map((p) => p.vmhwm_mb)));
      const even = results.every((r) => {
        const f = r.parts.map(partFrames);
        return Math.max(...f) - Math.min(...f) <= 1 && f.reduce((a, b) => a + b, 0) === frames;
      });
      const judged = !options.quick;
      const goals: Goal[] = [
        { goal: 'uncompressed (1 worker) >= 0.8 of plain write + fsync', measured: `${fmt(mbps(raw1) / plainMBps, 2)} (${fmt(mbps(raw1), 0)} vs ${fmt(plainMBps, 0)} MB/s)`, met: judged ? mbps(raw1) / plainMBps >= 0.8 : null },
        { goal: 'bitshuffle+LZ4 >= 0.5 of uncompressed', measured: `${fmt(mbps(lz1) / mbps(raw1), 2)} (${fmt(mbps(lz1), 0)} vs ${fmt(mbps(raw1), 0)} MB/s)`, met: judged ? mbps(lz1) / mbps(raw1) >= 0.5 : null },
        { goal: 'peak RSS < 512 MB per worker', measured: `${fmt(rss, 0)} MB at most`, met: rss < 512 },
        { goal: 'the work splits evenly (frames per worker differ by 1 at most, all frames written once)', measured: results.map((r) => `${r.compression ? 'lz4' : 'raw'} x${r.workers}: ${r.parts.map(partFrames).join('/')}`).join('; '), met: even },
      ];
      return { tables: [table], goals, data: { frames, bytes, plain: [plain1, plain2], plain_mb_s: plainMBps, results, cold, buffer_write_s: bufferWriteS } };
    } finally {
      tmp.cleanup();
    }
  },
};
