/**
 * Benchmark `camera-stream` (issue 3's streaming proof): 6,000 pulses of one
 * 1280x1024 uint16 camera through the Data API client alone, every image
 * decompressed (bitshuffle+LZ4) and touched, nothing written; peak RSS of the
 * process must stay under 512 MB, and flat between two sizes.
 *
 * Each run is its own process (the worker bundle under plain node; `client`
 * mode never loads h5wasm). The source is the image simulator, first live
 * (the replay front records the body), then replayed from the recording: a
 * source much faster than the consumer is the harsher test of backpressure.
 */
import { join } from 'node:path';
import { runWorker, type Runtime } from './lib/child';
import { benchCameras, startDataApiSims, tempDir } from './lib/fixtures';
import { fmt, type Benchmark, type BenchOptions, type BenchResult, type Table } from './lib/report';
import type { WorkerOutput } from './worker';

const LIMIT_MB = 512;

export const cameraStreamBenchmark: Benchmark = {
  name: 'camera-stream',
  describe: 'Data API client alone, 1 camera 1280x1024 x 6,000 pulses, every image decoded, no HDF5: peak RSS < 512 MB',
  async run(options: BenchOptions): Promise<BenchResult> {
    const big = options.pulses ?? (options.quick ? 200 : 6_000);
    const small = Math.max(10, Math.round(big / 10));
    const withTsx = options.tsx ?? !options.quick;
    const [camera] = benchCameras(1);
    const tmp = tempDir('camera-stream');
    const sims = await startDataApiSims(join(tmp.path, 'recordings'));
    try {
      const job = (pulses: number, url: string) => {
        const { start, stop } = sims.range(pulses);
        return { mode: 'client' as const, kind: 'image' as const, url, mapUrl: sims.dataUrl, channels: [camera!], start, stop };
      };
      const bigJob = job(big, sims.imageReplayUrl);
      const runs: Array<{ name: string; pulses: number; runtime: Runtime; out: WorkerOutput }> = [];
      const measure = async (name: string, pulses: number, j: typeof bigJob, runtime: Runtime = 'bundle') => {
        runs.push({ name, pulses, runtime, out: await runWorker(j, { runtime }) });
      };
      await measure('live simulator', small, job(small, sims.imageUrl));
      await measure('live simulator (recorded)', big, bigJob);
      await sims.recorded();
      await measure('replayed (fast source)', big, bigJob);
      if (withTsx) await measure('replayed, node --import tsx', big, bigJob, 'tsx');

      const table: Table = {
        title: `Camera stream: ${camera} (1280x1024 uint16), Data API client alone, every image decompressed`,
        columns: ['source', 'runtime', 'pulses', 'images', 'wall s', 'images/s', 'decoded MB', 'wire MB', 'CPU s', 'peak RSS MB'],
        rows: runs.map(({ name, pulses, runtime, out }) => [
          name, runtime === 'bundle' ? 'node (bundle)' : 'node --import tsx', pulses, out.events, fmt(out.wall_s, 2), fmt((out.events ?? 0) / out.wall_s, 0),
          fmt(out.bytes / 1e6, 0), fmt(out.io.rchar / 1e6, 0), fmt(out.cpu_s, 2), fmt(out.vmhwm_mb, 0),
        ]),
        notes: [
          'Peak RSS is VmHWM of the measuring process at its end; "wire MB" is what it read from sockets (rchar).',
          `Flat: ${small} and ${big} pulses differ by ${fmt(runs[1]!.out.vmhwm_mb - runs[0]!.out.vmhwm_mb, 0)} MB of peak RSS for ${fmt(big / small, 0)}x the images.`,
        ],
      };
      const worst = Math.max(...runs.map((r) => r.out.vmhwm_mb));
      const worstBundle = Math.max(...runs.filter((r) => r.runtime === 'bundle').map((r) => r.out.vmhwm_mb));
      return {
        tables: [table],
        goals: [{ goal: `6,000 pulses of a 1280x1024 camera: peak RSS < ${LIMIT_MB} MB`, measured: `${fmt(worstBundle, 0)} MB (plain node), ${fmt(worst, 0)} MB worst run, at ${big} pulses`, met: big >= 6_000 ? worst < LIMIT_MB : null }],
        data: { camera, sizes: [small, big], runs },
      };
    } finally {
      await sims.stop();
      tmp.cleanup();
    }
  },
};
