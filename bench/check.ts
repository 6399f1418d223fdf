/**
 * Benchmark `check`: the consistency check (lib/retrieval/check-files.ts
 * checkRun) of a run's files: BSREAD (500 channels), CAMERAS (2 cameras
 * 1280x1024) and a 4-module Jungfrau, for runs of 1 and 3 s of beam (100 and
 * 300 pulses) and a bigger one (1,000 pulses; --pulses sets it); --quick: 100 only.
 *
 * The files are made by the retrievers from the simulators (the detector
 * buffer in 'sparse' mode and the detector file compressed, since the check
 * reads only the per-frame datasets). The check runs in its own process
 * (bundled, plain node): the first call is cold (it loads h5wasm, as a fresh
 * Lambda does), then three warm calls of the whole run and of each source.
 */
import { join } from 'node:path';
import type { SourceResult } from '../lib/core/run-status';
import { BS_CHANNELS, BS_DEFAULT_WAVES } from './bs';
import { DETECTOR, writeDetectorBuffer } from './detector';
import { runWorker } from './lib/child';
import { benchCameras, benchChannels, endpoints, fileSize, retrieverInput, startDataApiSims, tempDir } from './lib/fixtures';
import { fmt, type Benchmark, type BenchOptions, type BenchResult, type Table } from './lib/report';

const REPEATS = 3;

export const checkBenchmark: Benchmark = {
  name: 'check',
  describe: 'consistency check (checkRun) of BSREAD + CAMERAS + Jungfrau files of 1 s, 3 s and more of data',
  async run(options: BenchOptions): Promise<BenchResult> {
    const sizes = options.quick ? [100] : [100, 300, options.pulses ?? 1_000];
    const channels = benchChannels(BS_CHANNELS, BS_DEFAULT_WAVES);
    const cameras = benchCameras(2);
    const tmp = tempDir('check');
    const sims = await startDataApiSims(join(tmp.path, 'recordings'));
    const rows: Table['rows'] = [];
    const data: Record<string, unknown>[] = [];
    try {
      const dataRoot = join(tmp.path, 'sf');
      for (const [i, pulses] of sizes.entries()) {
        const { start, stop } = sims.range(pulses);
        const bufferRoot = join(tmp.path, `buffer-${pulses}`);
        await writeDetectorBuffer(bufferRoot, pulses, 'sparse', start);
        const run = i + 1;
        const base = retrieverInput({ dataRoot, pgroup: 'p10001', run, source: 'BSREAD', start, stop, request: { channels_list: channels, camera_list: cameras, detectors: { [DETECTOR]: { compression: true } } } });
        const raw = base.output_directory;
        const label = `run_${String(run).padStart(6, '0')}`;
        const files = { BSREAD: join(raw, `${label}.BSREAD.h5`), CAMERAS: join(raw, `${label}.CAMERAS.h5`), [DETECTOR]: join(raw, `${label}.${DETECTOR}.h5`) };
        const input = { ...base, files };
        const ep = endpoints({ dataUrl: sims.dataUrl, imageUrl: sims.imageUrl, detectorRoot: bufferRoot });
        const made = performance.now();
        await runWorker({ mode: 'data-api', kind: 'data', input: { ...input, source: 'BSREAD' }, endpoints: ep, dataRoot });
        await runWorker({ mode: 'data-api', kind: 'image', input: { ...input, source: 'CAMERAS' }, endpoints: ep, dataRoot });
        await runWorker({ mode: 'detector', input: { ...input, source: DETECTOR }, endpoints: ep, dataRoot });
        const makeS = (performance.now() - made) / 1000;
        const results: SourceResult[] = [
          { source: 'BSREAD', kind: 'data', file: files.BSREAD, state: 'done' },
          { source: 'CAMERAS', kind: 'image', file: files.CAMERAS, state: 'done' },
          { source: DETECTOR, kind: 'detector', file: files[DETECTOR]!, state: 'done' },
        ];
        const { source: _source, ...workflowInput } = input;
        const out = await runWorker({ mode: 'check', input: workflowInput, results, dataRoot, repeats: REPEATS });
        const r = out.result as { cold_s: number; warm_s: number[]; per_source_s: Record<string, number[]>; verdicts: Array<{ source: string; verdict?: string }> };
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
        const mb = (f: string) => fmt(fileSize(f) / 1e6, 0);
        rows.push([
          pulses, `${fmt(pulses / 100, 0)} s`, fmt(r.cold_s * 1000, 0), fmt(median(r.warm_s) * 1000, 0),
          fmt(median(r.per_source_s.BSREAD ?? []) * 1000, 0), fmt(median(r.per_source_s.CAMERAS ?? []) * 1000, 0), fmt(median(r.per_source_s[DETECTOR] ?? []) * 1000, 0),
          `${mb(files.BSREAD)} / ${mb(files.CAMERAS)} / ${mb(files[DETECTOR]!)}`, r.verdicts.map((v) => v.verdict ?? '?').join(' / '), fmt(out.vmhwm_mb, 0),
        ]);
        data.push({ pulses, make_files_s: makeS, files: Object.fromEntries(Object.entries(files).map(([k, f]) => [k, fileSize(f)])), ...r, vmhwm_mb: out.vmhwm_mb });
      }
    } finally {
      await sims.stop();
      tmp.cleanup();
    }
    const table: Table = {
      title: `Consistency check (checkRun) of a run: BSREAD ${BS_CHANNELS} channels + CAMERAS 2 x 1280x1024 + ${DETECTOR}`,
      columns: ['pulses', 'beam', 'cold ms', 'warm ms', 'BSREAD ms', 'CAMERAS ms', 'detector ms', 'file MB (BS/CAM/DET)', 'verdicts', 'peak RSS MB'],
      rows,
      notes: [
        `cold: the first checkRun of a fresh process (h5wasm loaded inside it); warm: median of ${REPEATS} further calls; per source: median of ${REPEATS} warm calls of that source alone.`,
        'The check reads only the per-row datasets (pulse_id, timestamp, frame_index, is_good_frame, daq_rec), never the data; each call also appends its report to the run logs.',
      ],
    };
    return { tables: [table], data: { runs: data } };
  },
};
