/**
 * Benchmark `camera`: 2 cameras of 1280x1024 uint16 x 1,000 pulses from the
 * image buffer simulator into run_NNNNNN.CAMERAS.h5 by retrieveFromDataApi,
 * against a plain fs.write + fsync of the same pixel bytes in the same run.
 *
 * The image buffer sends every image bitshuffle+LZ4 (as the facility's does);
 * the retriever decompresses it (JS) and the HDF5 plugin compresses it again
 * (wasm), since h5wasm cannot write direct chunks (cameras-writer.ts). Runs, each
 * its own process: raw body (live simulator, recorded by the replay front),
 * client alone (decode, replayed), retriever (replayed), retriever (live),
 * plain write before and after.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { runWorker, summarizeCpuProfile } from './lib/child';
import { benchCameras, endpoints, retrieverInput, startDataApiSims, tempDir, type DataApiSims } from './lib/fixtures';
import { fmt, profileTable, rate, type Benchmark, type BenchOptions, type BenchResult, type ProfileSummary, type Table } from './lib/report';
import type { WorkerJob, WorkerOutput } from './worker';

export const CAMERA_BYTES = 1280 * 1024 * 2;

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
  describe: '2 cameras 1280x1024 uint16 x 1,000 pulses, image buffer simulator -> CAMERAS HDF5, vs plain fs.write+fsync of the pixels',
  async run(options: BenchOptions): Promise<BenchResult> {
    const pulses = options.pulses ?? (options.quick ? 20 : 1_000);
    const cameras = benchCameras(2);
    const pixelBytes = cameras.length * pulses * CAMERA_BYTES;
    const tmp = tempDir('camera');
    const sims = await startDataApiSims(join(tmp.path, 'recordings'));
    try {
      const dataRoot = join(tmp.path, 'sf');
      const range = sims.range(pulses);
      const replay = cameraJobs(sims, sims.imageReplayUrl, dataRoot, cameras, range, 1);
      const live = cameraJobs(sims, sims.imageUrl, dataRoot, cameras, range, 2);
      const plainFile = join(tmp.path, 'plain.bin');
      const plain = () => runWorker({ mode: 'plain-write', file: plainFile, bytes: pixelBytes, chunkBytes: CAMERA_BYTES, fsync: true });

      const rawLive = await runWorker(replay.raw); // records the body
      await sims.recorded();
      const plain1 = await plain();
      const client = await runWorker(replay.client);
      const full = await runWorker(replay.retriever);
      const fullLive = await runWorker(live.retriever);
      const plain2 = await plain();
      const plainMBps = (rate(plain1, pixelBytes) + rate(plain2, pixelBytes)) / 2;
      const fileBytes = (full.result as { file_bytes: number }).file_bytes;

      const row = (name: string, o: WorkerOutput, note: string) => [
        name, fmt(o.wall_s, 2), fmt(rate(o, pixelBytes), 0), fmt(rate(o, pixelBytes) / plainMBps, 2), fmt(o.cpu_s, 2), fmt(o.vmhwm_mb, 0), note,
      ];
      const table: Table = {
        title: `Camera retrieval: ${cameras.length} cameras 1280x1024 uint16 x ${pulses} pulses (${fmt(pixelBytes / 1e9, 2)} GB of pixels)`,
        columns: ['run', 'wall s', 'pixel MB/s', 'vs plain', 'CPU s', 'peak RSS MB', 'note'],
        rows: [
          row('plain fs.write + fsync (before)', plain1, ''),
          row('raw body, live simulator', rawLive, `${fmt(rawLive.bytes / 1e6, 0)} MB on the wire (bitshuffle+LZ4)`),
          row('client (decode every image), replayed', client, `${client.events} images`),
          row('retriever, replayed', full, `file ${fmt(fileBytes / 1e6, 0)} MB (bitshuffle+LZ4)`),
          row('retriever, live simulator', fullLive, ''),
          row('plain fs.write + fsync (after)', plain2, ''),
        ],
        notes: [
          `MB = 10^6 bytes of uncompressed pixels; "vs plain" divides by the mean of both plain writes (${fmt(plainMBps, 0)} MB/s).`,
          `Broker alone (replayed): ${fmt(full.wall_s, 2)} s = transfer + decompress ${fmt(client.wall_s, 2)} s + HDF5 (recompress, write) ${fmt(full.wall_s - client.wall_s, 2)} s.`,
          'The CAMERAS file is not fsync\'d by the retriever; the plain write is.',
        ],
      };
      const tables = [table];
      const data: Record<string, unknown> = { pulses, cameras, pixel_bytes: pixelBytes, plain: [plain1, plain2], plain_mb_s: plainMBps, raw_live: rawLive, client, retriever: full, retriever_live: fullLive };
      if (options.profile) {
        const profiles: Record<string, ProfileSummary> = {};
        for (const [name, job] of [['client', replay.client], ['retriever', cameraJobs(sims, sims.imageReplayUrl, dataRoot, cameras, range, 3).retriever]] as const) {
          const dir = mkdtempSync(join(tmp.path, 'prof-'));
          await runWorker(job, { cpuProfDir: dir });
          profiles[`${name} (replayed)`] = summarizeCpuProfile(dir);
        }
        tables.push(profileTable(`Camera retrieval: where the time goes (node --cpu-prof, ${pulses} pulses, replayed body)`, profiles));
        data.profiles = profiles;
      }
      return {
        tables,
        goals: [{ goal: 'camera retrieval vs plain write (reported, no goal set)', measured: `${fmt(rate(full, pixelBytes) / plainMBps, 2)} replayed, ${fmt(rate(fullLive, pixelBytes) / plainMBps, 2)} live`, met: null }],
        data,
      };
    } finally {
      await sims.stop();
      tmp.cleanup();
    }
  },
};
