/**
 * Benchmark `bs`: 500 BS channels x 6,000 pulses from the Data API simulator
 * (data buffer) into run_NNNNNN.BSREAD.h5 by retrieveFromDataApi.
 *
 * The channels are the catalogue's synthetic ones: BENCH:SCALAR-nnnn (float64)
 * and BENCH:WAVE-nnnn (float32[2048]); by default 450 scalars and 50 waveforms
 * (--waves). The simulators run in their own process. Three runs, each its own
 * process, split the wall time:
 *   raw        the query body drained as bytes: what simulator + socket deliver
 *   client     DataApiClient alone, every event decoded: transfer + decode
 *   retriever  retrieveFromDataApi: transfer + decode + HDF5 writing (+ fsync-free close, rename)
 * HDF5's share is retriever - client; a plain write of the file's size gives the disk's share.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { runWorker, summarizeCpuProfile } from './lib/child';
import { benchChannels, endpoints, retrieverInput, startDataApiSims, tempDir, type DataApiSims } from './lib/fixtures';
import { fmt, profileTable, type Benchmark, type BenchOptions, type BenchResult, type ProfileSummary, type Table } from './lib/report';
import type { WorkerJob, WorkerOutput } from './worker';

export const BS_CHANNELS = 500;
export const BS_DEFAULT_WAVES = 50;

/** The jobs of one BS measurement against `url` (a simulator or its replay front). */
export function bsJobs(sims: DataApiSims, url: string, dataRoot: string, channels: string[], pulses: number, run: number): { raw: WorkerJob; client: WorkerJob; retriever: Extract<WorkerJob, { mode: 'data-api' }> } {
  const { start, stop } = sims.range(pulses);
  const input = retrieverInput({ dataRoot, pgroup: 'p10001', run, source: 'BSREAD', start, stop, request: { channels_list: channels } });
  return {
    raw: { mode: 'raw', kind: 'data', url, channels, start, stop },
    client: { mode: 'client', kind: 'data', url, mapUrl: url, channels, start, stop },
    retriever: { mode: 'data-api', kind: 'data', input, endpoints: endpoints({ dataUrl: url, imageUrl: sims.imageUrl }), dataRoot },
  };
}

export const bsBenchmark: Benchmark = {
  name: 'bs',
  describe: `${BS_CHANNELS} BS channels (scalars + float32[2048] waveforms) x 6,000 pulses, Data API simulator -> BSREAD HDF5; split transfer/decode vs HDF5`,
  async run(options: BenchOptions): Promise<BenchResult> {
    const pulses = options.pulses ?? (options.quick ? 100 : 6_000);
    const waves = options.waves ?? BS_DEFAULT_WAVES;
    const channels = benchChannels(BS_CHANNELS, waves);
    const tmp = tempDir('bs');
    const sims = await startDataApiSims(join(tmp.path, 'recordings'));
    try {
      const dataRoot = join(tmp.path, 'sf');
      // The same pulses for every run, so the replay front answers from one recording.
      const range = sims.range(pulses);
      const fixed = { ...sims, range: () => range };
      const replay = bsJobs(fixed, sims.dataReplayUrl, dataRoot, channels, pulses, 1);
      const live = bsJobs(fixed, sims.dataUrl, dataRoot, channels, pulses, 2);
      const rawLive = await runWorker(replay.raw); // records the body
      await sims.recorded();
      const rawReplay = await runWorker(replay.raw);
      const client = await runWorker(replay.client);
      const full = await runWorker(replay.retriever);
      const fullLive = await runWorker(live.retriever);
      const fileBytes = (full.result as { file_bytes: number }).file_bytes;
      // The disk's share: the same number of bytes written plainly, page cache only as the retriever does (no fsync).
      const plain = await runWorker({ mode: 'plain-write', file: join(tmp.path, 'plain.bin'), bytes: fileBytes, chunkBytes: 64 << 10, fsync: false });
      const events = client.events ?? 0;
      const hdf5 = full.wall_s - client.wall_s;
      const row = (name: string, o: WorkerOutput, mb: number, what: string) => [
        name, fmt(o.wall_s, 2), o.mode === 'plain-write' ? '-' : (o.events ?? events), fmt(mb, 0), what, fmt(mb / o.wall_s, 0), fmt(o.cpu_s, 2), fmt(o.cpu_s / o.wall_s, 2), fmt(o.io.wchar / 1e6, 0), o.io.syscw, fmt(o.vmhwm_mb, 0),
      ];
      const table: Table = {
        title: `BS retrieval: ${BS_CHANNELS} channels (${BS_CHANNELS - waves} float64 scalars, ${waves} float32[2048] waveforms) x ${pulses} pulses`,
        columns: ['run', 'wall s', 'events', 'MB', 'MB of', 'MB/s', 'CPU s', 'CPU/wall', 'written MB', 'write calls', 'peak RSS MB'],
        rows: [
          row('raw body, live simulator', rawLive, rawLive.bytes / 1e6, 'body'),
          row('raw body, replayed', rawReplay, rawReplay.bytes / 1e6, 'body'),
          row('client (transfer + decode), replayed', client, client.bytes / 1e6, 'values'),
          row('retriever (+ HDF5), replayed', full, fileBytes / 1e6, 'file'),
          row('retriever (+ HDF5), live simulator', fullLive, fileBytes / 1e6, 'file'),
          row('plain fs.write of the file size (no fsync)', plain, plain.bytes / 1e6, 'written'),
        ],
        notes: [
          `Broker alone (replayed body): ${fmt(full.wall_s, 2)} s = transfer + decode ${fmt(client.wall_s, 2)} s (${fmt((100 * client.wall_s) / full.wall_s, 0)}%) + HDF5 writing ${fmt(hdf5, 2)} s (${fmt((100 * hdf5) / full.wall_s, 0)}%).`,
          `Writing the file's bytes plainly (64 KiB writes, no fsync, as the retriever) takes ${fmt(plain.wall_s, 2)} s on this machine now: the disk's floor for this file.`,
          `Against the live simulator the retriever takes ${fmt(fullLive.wall_s, 2)} s; the simulator alone needs ${fmt(rawLive.wall_s, 2)} s to make the body (it computes every value in JS on one core).`,
          '"replayed": the replay front of bench/sim-server.ts serves the recorded body of the identical query from the page cache.',
          'Each run is its own process (bundled, plain node); the simulators run in another process (one core each on this 2-core machine).',
        ],
      };
      const tables = [table];
      const data: Record<string, unknown> = { pulses, channels: BS_CHANNELS, waves, raw_live: rawLive, raw_replay: rawReplay, client, retriever: full, retriever_live: fullLive, plain_write: plain, hdf5_s: hdf5 };
      if (options.profile) {
        const profiles: Record<string, ProfileSummary> = {};
        for (const [name, job] of [['client', replay.client], ['retriever', bsJobs(fixed, sims.dataReplayUrl, dataRoot, channels, pulses, 3).retriever]] as const) {
          const dir = mkdtempSync(join(tmp.path, 'prof-'));
          await runWorker(job, { cpuProfDir: dir });
          profiles[`${name} (replayed)`] = summarizeCpuProfile(dir);
        }
        tables.push(profileTable(`BS retrieval: where the time goes (node --cpu-prof, ${pulses} pulses, replayed body)`, profiles));
        data.profiles = profiles;
      }
      const atSize = pulses === 6_000;
      return {
        tables,
        goals: [
          { goal: `BS ${BS_CHANNELS} channels x 6,000 pulses < 10 s wall, from the simulator`, measured: `${fmt(fullLive.wall_s, 2)} s at ${pulses} pulses${atSize ? '' : ' (judged at 6,000 only)'}`, met: atSize ? fullLive.wall_s < 10 : null },
          { goal: `the same, broker alone (replayed body)`, measured: `${fmt(full.wall_s, 2)} s at ${pulses} pulses${atSize ? '' : ' (judged at 6,000 only)'}`, met: atSize ? full.wall_s < 10 : null },
        ],
        data,
      };
    } finally {
      await sims.stop();
      tmp.cleanup();
    }
  },
};
