/**
 * Benchmark `camera`: 2 cameras of 1280x1024 uint16 x 1,000 pulses into run_NNNNNN.CAMERAS.h5 by
 * retrieveFromDataApi, from a replayed Data API answer.
 *
 * The image buffer sends every image bitshuffle+LZ4 (as the facility's does); the retriever stores each
 * blob as its HDF5 chunk unchanged (H5Dwrite_chunk), as PSI's image writer does: no image is decoded.
 * The simulator's answer is recorded once and replayed from a file (bench/sim-server.ts), so the figure is
 * the broker's. Runs, each its own process: the HTTP read of the replayed body (the network's floor), the
 * client alone, the retriever (cold, then warm: a second retrieval in the same process), and a plain
 * fs.writeSync of the file's bytes (no fsync, as the retriever): the disk's floor.
 *
 * The yardstick: PSI's image writer stores 2 x 1,000 such images (5.24 GB of pixels, 386 MB of
 * chunks) in 0.61 s: ~8.6 GB/s of image bytes.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { runWorker, summarizeCpuProfile } from './lib/child';
import { benchCameras, endpoints, retrieverInput, startDataApiSims, tempDir, type DataApiSims } from './lib/fixtures';
import { fmt, profileTable, type Benchmark, type BenchOptions, type BenchResult, type ProfileSummary, type Table } from './lib/report';
import type { WorkerJob, WorkerOutput } from './worker';

export const CAMERA_BYTES = 1280 * 1024 * 2;
/** PSI's image writer on the size: 2 x 1,000 images in 0.61 s. */
export const FACILITY_IMAGE_GBPS = (2 * 1_000 * CAMERA_BYTES) / 1e9 / 0.61;

/** Jobs of one camera measurement against `url` (the image simulator or its replay front). */
export function cameraJobs(sims: DataApiSims, url: string, dataRoot: string, cameras: string[], range: { start: number; stop: number }, run: number) {
  const input = retrieverInput({ dataRoot, pgroup: 'p10001', run, source: 'CAMERAS', start: range.start, stop: range.stop, request: { camera_list: cameras } });
  return {
    raw: { mode: 'raw', kind: 'image', url, channels: cameras, start: range.start, stop: range.stop } satisfies WorkerJob,
    client: { mode: 'client', kind: 'image', url, mapUrl: sims.dataUrl, channels: cameras, start: range.start, stop: range.stop } satisfies WorkerJob,
    retriever: { mode: 'data-api', kind: 'image', input, endpoints: endpoints({ dataUrl: sims.dataUrl, imageUrl: url }), dataRoot } satisfies WorkerJob,
  };
}

export const cameraBenchmark: Benchmark = {
  name: 'camera',
  describe: '2 cameras 1280x1024 uint16 x 1,000 pulses, replayed Data API answer -> CAMERAS HDF5 (blobs stored as chunks), vs HTTP read and plain write',
  async run(options: BenchOptions): Promise<BenchResult> {
    const pulses = options.pulses ?? (options.quick ? 20 : 1_000);
    const cameras = benchCameras(2);
    const pixelBytes = cameras.length * pulses * CAMERA_BYTES;
    const tmp = tempDir('camera');
    const sims = await startDataApiSims(join(tmp.path, 'recordings'));
    try {
      const dataRoot = join(tmp.path, 'sf');
      const range = sims.range(pulses);
      const jobs = cameraJobs(sims, sims.imageReplayUrl, dataRoot, cameras, range, 1);
      const recording = await runWorker(jobs.raw); // records the simulator's body
      await sims.recorded();
      const raw = await runWorker(jobs.raw);
      const client = await runWorker(jobs.client);
      const full = await runWorker({ ...jobs.retriever, repeat: 1 });
      const walls = (full.result as { walls_s: number[] }).walls_s;
      const fileBytes = (full.result as { file_bytes: number }).file_bytes;
      const plain = await runWorker({ mode: 'plain-write', file: join(tmp.path, 'plain.bin'), bytes: fileBytes, chunkBytes: 1 << 20, fsync: false });
      const gbps = (s: number) => pixelBytes / 1e9 / s;
      const row = (name: string, o: WorkerOutput, wall: number, note: string) => [
        name, fmt(wall, 3), fmt(gbps(wall), 2), fmt(fileBytes / 1e6 / wall, 0), fmt(o.cpu_s, 2), fmt(o.main_cpu_s, 2), fmt(o.vmhwm_mb, 0), note,
      ];
      const table: Table = {
        title: `Camera retrieval: ${cameras.length} cameras 1280x1024 uint16 x ${pulses} pulses (${fmt(pixelBytes / 1e9, 2)} GB of pixels, ${fmt(fileBytes / 1e6, 0)} MB file), replayed Data API answer`,
        columns: ['run', 'wall s', 'GB/s of image', 'MB/s of file', 'CPU s', 'main thread CPU s', 'peak RSS MB', 'note'],
        rows: [
          row('recording (live simulator, through the replay front)', recording, recording.wall_s, 'not the broker: the simulator making the images'),
          row('HTTP read of the replayed body (raw)', raw, raw.wall_s, `${fmt(raw.bytes / 1e6, 0)} MB on the wire: the network floor here`),
          row('client: transfer + frames (batches)', client, client.wall_s, `${client.events} images, none decoded`),
          row('retriever (cold: first in its process)', full, walls[0]!, 'the figure: blobs stored as chunks'),
          row('retriever (warm: second in the process)', full, walls[1]!, 'CPU columns: both retrievals'),
          row('plain fs.writeSync of the file (1 MiB writes, no fsync)', plain, plain.wall_s, 'the disk floor for this file'),
        ],
        notes: [
          `GB/s of image = uncompressed pixel bytes / wall s. PSI's image writer on the issue's size: ${fmt(FACILITY_IMAGE_GBPS, 1)} GB/s (0.61 s).`,
          `The retriever over the HTTP read alone: ${fmt(walls[0]! / raw.wall_s, 2)}x (cold), ${fmt(walls[1]! / raw.wall_s, 2)}x (warm); over the plain write: ${fmt(walls[0]! / plain.wall_s, 1)}x.`,
          'The CAMERAS file is not fsync\'d by the retriever, nor is the plain write.',
        ],
      };
      const tables = [table];
      const data: Record<string, unknown> = { pulses, cameras, pixel_bytes: pixelBytes, file_bytes: fileBytes, recording, raw, client, retriever: full, walls_s: walls, plain };
      if (options.profile) {
        const dir = mkdtempSync(join(tmp.path, 'prof-'));
        await runWorker(cameraJobs(sims, sims.imageReplayUrl, dataRoot, cameras, range, 3).retriever, { cpuProfDir: dir });
        const profiles: Record<string, ProfileSummary> = { 'retriever (replayed, cold)': summarizeCpuProfile(dir) };
        tables.push(profileTable(`Camera retrieval: where the time goes (node --cpu-prof, ${pulses} pulses, replayed body)`, profiles));
        data.profiles = profiles;
      }
      const atSize = pulses === 1_000;
      return {
        tables,
        goals: [
          {
            goal: `cameras 2 x 1280x1024 x 1,000 replayed at >= ${fmt(FACILITY_IMAGE_GBPS, 1)} GB/s of image (PSI's writer: 0.61 s)`,
            measured: `${fmt(gbps(walls[0]!), 2)} GB/s cold (${fmt(walls[0]!, 3)} s), ${fmt(gbps(walls[1]!), 2)} GB/s warm (${fmt(walls[1]!, 3)} s); HTTP read alone ${fmt(raw.wall_s, 3)} s`,
            met: atSize ? walls[0]! <= 0.61 : null,
          },
        ],
        data,
      };
    } finally {
      await sims.stop();
      tmp.cleanup();
    }
  },
};
