/**
 * Benchmark `bs`: 500 BS channels (450 BENCH:SCALAR-nnnn float64, 50 BENCH:WAVE-nnnn float32[2048] by
 * default, --waves) into run_NNNNNN.BSREAD.h5 by retrieveFromDataApi, at two sizes: 6,000 pulses (the
 * issue's big run) and 300 pulses (a short run: fixed costs).
 *
 * The Data API answer is recorded once from the simulator and then replayed from a file (the replay front
 * of bench/sim-server.ts: the recorded body from the page cache), so the figures are the broker's, not the
 * simulator's. Each run is its own process (bundled, plain node, as Lambda), in this order:
 *   raw          the replayed body drained as bytes: what HTTP delivers on this machine (the network's floor)
 *   client       DataApiClient alone, every batch taken: transfer + decode
 *   retriever    the figure: transfer + decode + HDF5 (compressed, the default), cold then warm (a second
 *                retrieval in the same process, as a resident writer or a warm Lambda instance)
 *   plain write  fs.writeSync of the file's size, no fsync (as the retriever): the disk's floor
 *   uncompressed the retriever with bs_compression false (the file of before, for size and speed)
 *   h5repack     `h5repack -f SHUF -f GZIP=4` of the uncompressed file: the facility's shuffle + gzip (level 4,
 *                HDF5 in C) as a size reference (6,000 pulses only; skipped when h5repack is missing)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runWorker, summarizeCpuProfile } from './lib/child';
import { benchChannels, endpoints, retrieverInput, startDataApiSims, tempDir, type DataApiSims } from './lib/fixtures';
import { fmt, profileTable, type Benchmark, type BenchOptions, type BenchResult, type Goal, type ProfileSummary, type Table } from './lib/report';
import type { WorkerJob, WorkerOutput } from './worker';

export const BS_CHANNELS = 500;
export const BS_DEFAULT_WAVES = 50;
/** The sizes: the big run and the short one. */
export const BS_PULSES = 6_000;
export const BS_SHORT_PULSES = 300;

/** The jobs of one BS measurement against `url` (a simulator or its replay front). */
export function bsJobs(
  sims: DataApiSims,
  url: string,
  dataRoot: string,
  channels: string[],
  pulses: number,
  run: number,
  request: { bs_compression?: boolean } = {},
): { raw: WorkerJob; client: WorkerJob; retriever: Extract<WorkerJob, { mode: 'data-api' }> } {
  const { start, stop } = sims.range(pulses);
  const input = retrieverInput({ dataRoot, pgroup: 'p10001', run, source: 'BSREAD', start, stop, request: { channels_list: channels, ...request } });
  return {
    raw: { mode: 'raw', kind: 'data', url, channels, start, stop },
    client: { mode: 'client', kind: 'data', url, mapUrl: url, channels, start, stop },
    retriever: { mode: 'data-api', kind: 'data', input, endpoints: endpoints({ dataUrl: url, imageUrl: sims.imageUrl }), dataRoot },
  };
}

interface SizeResult {
  pulses: number;
  table: Table;
  data: Record<string, unknown>;
  /** Cold and warm retrieval wall time (s), file bytes, reference bytes (h5repack). */
  cold: number;
  warm: number;
  fileBytes: number;
  referenceBytes?: number;
  profile?: ProfileSummary;
}

/** h5repack shuffle + gzip 4 of `file` into `out`: seconds and bytes, or undefined without h5repack. */
function repack(file: string, out: string): { s: number; bytes: number } | undefined {
  const t = performance.now();
  const r = spawnSync('h5repack', ['-f', 'SHUF', '-f', 'GZIP=4', file, out], { stdio: 'ignore' });
  if (r.error || r.status !== 0) return undefined;
  return { s: (performance.now() - t) / 1000, bytes: statSync(out).size };
}

async function measure(sims: DataApiSims, root: string, channels: string[], pulses: number, runBase: number, options: BenchOptions, reference: boolean): Promise<SizeResult> {
  const dataRoot = join(root, `sf-${pulses}`);
  // The same pulses for every run, so the replay front answers from one recording.
  const range = sims.range(pulses);
  const fixed = { ...sims, range: () => range };
  const url = sims.dataReplayUrl;
  const jobs = bsJobs(fixed, url, dataRoot, channels, pulses, runBase);
  const recording = await runWorker(jobs.raw); // through the replay front: records the simulator's body
  await sims.recorded();
  const raw = await runWorker(jobs.raw);
  const client = await runWorker(jobs.client);
  const full = await runWorker({ ...jobs.retriever, repeat: 1 });
  const walls = (full.result as { walls_s: number[] }).walls_s;
  const fileBytes = (full.result as { file_bytes: number }).file_bytes;
  const plain = await runWorker({ mode: 'plain-write', file: join(root, 'plain.bin'), bytes: fileBytes, chunkBytes: 64 << 10, fsync: false });
  const uncompressedJobs = bsJobs(fixed, url, dataRoot, channels, pulses, runBase + 1, { bs_compression: false });
  const uncompressed = await runWorker(uncompressedJobs.retriever);
  const uncompressedFile = (uncompressed.result as { file: string; file_bytes: number });
  const ref = reference ? repack(uncompressedFile.file, join(root, 'repacked.h5')) : undefined;
  rmSync(uncompressedFile.file, { force: true });
  rmSync(join(root, "repacked.h5"), { force: true });
  const events = client.events ?? 0;
  const row = (name: string, o: WorkerOutput, wall: number, mb: number, what: string, note: string) => [
    name, fmt(wall, 2), fmt(o.cpu_s, 2), fmt(o.main_cpu_s, 2), fmt(mb, 1), what, fmt(mb / wall, 0), fmt(o.vmhwm_mb, 0), note,
  ];
  const bodyMB = raw.bytes / 1e6;
  const table: Table = {
    title: `BS retrieval: ${channels.length} channels x ${pulses} pulses (${events} events, ${fmt(bodyMB, 0)} MB body), replayed Data API answer`,
    columns: ['run', 'wall s', 'CPU s', 'main thread CPU s', 'MB', 'MB of', 'MB/s', 'peak RSS MB', 'note'],
    rows: [
      row('recording (live simulator, through the replay front)', recording, recording.wall_s, bodyMB, 'body', 'not the broker: the simulator making the body'),
      row('HTTP read of the replayed body (raw)', raw, raw.wall_s, bodyMB, 'body', 'the network floor here'),
      row('client: transfer + decode (batches)', client, client.wall_s, bodyMB, 'body', `${events} events`),
      row('retriever, compressed (cold: first in its process)', full, walls[0]!, fileBytes / 1e6, 'file', 'the figure'),
      row('retriever, compressed (warm: second in the process)', full, walls[1]!, fileBytes / 1e6, 'file', 'CPU columns: both retrievals'),
      row('plain fs.writeSync of the file size (no fsync)', plain, plain.wall_s, fileBytes / 1e6, 'written', 'the disk floor for this file'),
      row('retriever, bs_compression false', uncompressed, uncompressed.wall_s, uncompressedFile.file_bytes / 1e6, 'file', 'as before compression'),
    ],
    notes: [
      `File: ${fmt(fileBytes / 1e6, 1)} MB compressed (shuffle + gzip 1) vs ${fmt(uncompressedFile.file_bytes / 1e6, 1)} MB uncompressed` +
        (ref ? `; h5repack -f SHUF -f GZIP=4 of the uncompressed file: ${fmt(ref.bytes / 1e6, 1)} MB in ${fmt(ref.s, 1)} s (ratio ours/theirs ${fmt(fileBytes / ref.bytes, 2)}).` : '.'),
      'CPU s counts every thread of the process (the compression worker threads, GC, wasm compilation); main thread CPU s the JavaScript thread alone.',
      'Each run is its own process (bundled, plain node); the replay front and the simulators run in another process, on the same 2 cores.',
    ],
  };
  const data: Record<string, unknown> = { pulses, recording, raw, client, retriever: full, walls_s: walls, plain, uncompressed, reference: ref };
  const result: SizeResult = { pulses, table, data, cold: walls[0]!, warm: walls[1]!, fileBytes, ...(ref ? { referenceBytes: ref.bytes } : {}) };
  if (options.profile) {
    const dir = mkdtempSync(join(root, 'prof-'));
    await runWorker(bsJobs(fixed, url, dataRoot, channels, pulses, runBase + 2).retriever, { cpuProfDir: dir });
    result.profile = summarizeCpuProfile(dir);
  }
  return result;
}

export const bsBenchmark: Benchmark = {
  name: 'bs',
  describe: `${BS_CHANNELS} BS channels (scalars + float32[2048] waveforms) x ${BS_PULSES} and x ${BS_SHORT_PULSES} pulses, replayed Data API answer -> BSREAD HDF5 (shuffle + gzip), vs HTTP read and plain write`,
  async run(options: BenchOptions): Promise<BenchResult> {
    const big = options.pulses ?? (options.quick ? 100 : BS_PULSES);
    const short = options.quick ? 20 : BS_SHORT_PULSES;
    const waves = options.waves ?? BS_DEFAULT_WAVES;
    const channels = benchChannels(BS_CHANNELS, waves);
    const tmp = tempDir('bs');
    const sims = await startDataApiSims(join(tmp.path, 'recordings'));
    try {
      const results = [await measure(sims, tmp.path, channels, big, 1, options, !options.quick), await measure(sims, tmp.path, channels, short, 11, options, false)];
      const tables = results.map((r) => r.table);
      if (options.profile) {
        const profiles = Object.fromEntries(results.map((r) => [`retriever ${r.pulses} pulses (cold)`, r.profile!]));
        tables.push(profileTable('BS retrieval: where the time goes (node --cpu-prof, replayed body)', profiles));
      }
      const [b, s] = results as [SizeResult, SizeResult];
      const atSize = big === BS_PULSES && waves === BS_DEFAULT_WAVES;
      const goals: Goal[] = [
        { goal: `BS ${BS_CHANNELS} x ${BS_PULSES} replayed < 10 s`, measured: `${fmt(b.cold, 2)} s cold, ${fmt(b.warm, 2)} s warm at ${big} pulses`, met: atSize ? b.cold < 10 : null },
        {
          goal: 'its file within 1.5x of shuffle + gzip\'s size (h5repack -f SHUF -f GZIP=4)',
          measured: b.referenceBytes ? `${fmt(b.fileBytes / 1e6, 1)} MB vs ${fmt(b.referenceBytes / 1e6, 1)} MB (${fmt(b.fileBytes / b.referenceBytes, 2)}x)` : 'no reference (quick, or no h5repack)',
          met: atSize && b.referenceBytes ? b.fileBytes <= 1.5 * b.referenceBytes : null,
        },
        {
          goal: `BS ${BS_CHANNELS} x ${BS_SHORT_PULSES} replayed < 1 s (judged warm: the facility's writer is a resident process)`,
          measured: `${fmt(s.warm, 2)} s warm, ${fmt(s.cold, 2)} s cold at ${short} pulses`,
          met: short === BS_SHORT_PULSES && waves === BS_DEFAULT_WAVES ? s.warm < 1 : null,
        },
      ];
      return { tables, goals, data: { channels: BS_CHANNELS, waves, sizes: results.map((r) => r.data) } };
    } finally {
      await sims.stop();
      tmp.cleanup();
    }
  },
};
