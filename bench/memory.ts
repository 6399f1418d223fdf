/**
 * Benchmark `memory`: peak RSS of each retriever at two request sizes, each
 * measurement its own process (VmHWM at its end, so the figure is the
 * retriever's own), run as Lambda runs it: plain `node` on an esbuild bundle
 * (bench/lib/child.ts workerBundle; h5wasm and h5wasm-plugins external). With
 * --tsx (default outside --quick) the larger size is measured again under
 * `node --import tsx`, and an idle process with h5wasm loaded gives each
 * runtime's baseline.
 *
 * Sources: the detector buffer simulator ('dense', written once, both sizes
 * read from it); the Data API simulators behind their replay fronts (each
 * query recorded by an unmeasured first pass, then served from the
 * recording, the fastest source, so a retriever that does not apply
 * backpressure would show it).
 */
import { join } from 'node:path';
import { bsJobs, BS_CHANNELS, BS_DEFAULT_WAVES } from './bs';
import { cameraJobs } from './camera';
import { detectorJob, writeDetectorBuffer } from './detector';
import { runWorker, type Runtime } from './lib/child';
import { benchCameras, benchChannels, startDataApiSims, tempDir } from './lib/fixtures';
import { fmt, type Benchmark, type BenchOptions, type BenchResult, type Table } from './lib/report';
import type { WorkerJob, WorkerOutput } from './worker';

const LIMIT_MB = 512;

interface Measurement {
  retriever: string;
  size: string;
  runtime: Runtime;
  out: WorkerOutput;
}

export const memoryBenchmark: Benchmark = {
  name: 'memory',
  describe: 'peak RSS of each retriever (own process, plain node on the esbuild bundle; also tsx) at two sizes: < 512 MB and flat',
  async run(options: BenchOptions): Promise<BenchResult> {
    const q = options.quick;
    const withTsx = options.tsx ?? !q;
    const sizes = {
      detector: q ? [5, 20] : [50, 200],
      bs: q ? [20, 100] : [600, 6_000],
      camera: q ? [5, 20] : [100, 1_000],
    };
    const tmp = tempDir('memory');
    const sims = await startDataApiSims(join(tmp.path, 'recordings'));
    const results: Measurement[] = [];
    try {
      const dataRoot = join(tmp.path, 'sf');
      const bufferRoot = join(tmp.path, 'buffer');
      let run = 0;
      const measure = async (retriever: string, size: string, job: WorkerJob, runtime: Runtime = 'bundle') => {
        const out = await runWorker(job, { runtime });
        results.push({ retriever, size, runtime, out });
      };
      const bothRuntimes = async (retriever: string, size: string, makeJob: () => WorkerJob, large: boolean) => {
        await measure(retriever, size, makeJob());
        if (withTsx && large) await measure(retriever, size, makeJob(), 'tsx');
      };

      await measure('idle process, h5wasm loaded', '-', { mode: 'idle', loadH5: true });
      if (withTsx) await measure('idle process, h5wasm loaded', '-', { mode: 'idle', loadH5: true }, 'tsx');

      const maxFrames = Math.max(...sizes.detector);
      const buffer = await writeDetectorBuffer(bufferRoot, maxFrames);
      for (const [i, frames] of sizes.detector.entries()) {
        for (const compression of [false, true]) {
          await bothRuntimes(`detector${compression ? ' (bitshuffle+LZ4)' : ''}`, `4 modules x ${frames} frames`, () =>
            detectorJob({ dataRoot, bufferRoot, run: ++run, start: buffer.start, stop: buffer.start + frames - 1, compression }), i === 1);
        }
      }

      const channels = benchChannels(BS_CHANNELS, BS_DEFAULT_WAVES);
      for (const [i, pulses] of sizes.bs.entries()) {
        const range = sims.range(pulses);
        const fixed = { ...sims, range: () => range };
        await runWorker(bsJobs(fixed, sims.dataReplayUrl, dataRoot, channels, pulses, 0).raw); // record
        await sims.recorded();
        await bothRuntimes('BS (data buffer)', `${BS_CHANNELS} channels x ${pulses} pulses`, () => bsJobs(fixed, sims.dataReplayUrl, dataRoot, channels, pulses, ++run).retriever, i === 1);
      }

      const cameras = benchCameras(2);
      for (const [i, pulses] of sizes.camera.entries()) {
        const range = sims.range(pulses);
        await runWorker(cameraJobs(sims, sims.imageReplayUrl, dataRoot, cameras, range, 0).raw); // record
        await sims.recorded();
        await bothRuntimes('cameras (image buffer)', `2 x 1280x1024 x ${pulses} pulses`, () => cameraJobs(sims, sims.imageReplayUrl, dataRoot, cameras, range, ++run).retriever, i === 1);
      }
    } finally {
      await sims.stop();
      tmp.cleanup();
    }

    const table: Table = {
      title: 'Peak RSS per retriever, one process per measurement',
      columns: ['retriever', 'size', 'runtime', 'wall s', 'peak RSS MB', 'RSS at end MB'],
      rows: results.map((m) => [m.retriever, m.size, m.runtime === 'bundle' ? 'node (bundle)' : 'node --import tsx', fmt(m.out.wall_s, 2), fmt(m.out.vmhwm_mb, 0), fmt(m.out.vmrss_mb, 0)]),
      notes: [
        'MB = MiB here (VmHWM / 1024). Lambda budget: 512 MB. "node (bundle)" is how Lambda runs the code.',
        ...flatness(results),
      ],
    };
    const bundled = results.filter((m) => m.runtime === 'bundle');
    const worst = bundled.reduce((a, b) => (b.out.vmhwm_mb > a.out.vmhwm_mb ? b : a));
    const tsxRuns = results.filter((m) => m.runtime === 'tsx');
    const worstTsx = tsxRuns.length ? tsxRuns.reduce((a, b) => (b.out.vmhwm_mb > a.out.vmhwm_mb ? b : a)) : undefined;
    return {
      tables: [table],
      goals: [
        { goal: `every retriever < ${LIMIT_MB} MB peak RSS (plain node, bundled)`, measured: `worst ${fmt(worst.out.vmhwm_mb, 0)} MB: ${worst.retriever}, ${worst.size}`, met: worst.out.vmhwm_mb < LIMIT_MB },
        ...(worstTsx ? [{ goal: `(for comparison) the same under node --import tsx`, measured: `worst ${fmt(worstTsx.out.vmhwm_mb, 0)} MB: ${worstTsx.retriever}, ${worstTsx.size}`, met: null }] : []),
      ],
      data: { sizes, measurements: results },
    };
  },
};

/** One note per retriever: peak RSS growth from the small to the large size (bundled runs). */
function flatness(results: Measurement[]): string[] {
  const notes: string[] = [];
  for (const name of [...new Set(results.map((m) => m.retriever))]) {
    const runs = results.filter((m) => m.retriever === name && m.runtime === 'bundle');
    if (runs.length < 2) continue;
    const [a, b] = [runs[0]!, runs[runs.length - 1]!];
    notes.push(`${name}: ${a.size} -> ${b.size}: ${fmt(a.out.vmhwm_mb, 0)} -> ${fmt(b.out.vmhwm_mb, 0)} MB (${b.out.vmhwm_mb - a.out.vmhwm_mb >= 0 ? '+' : ''}${fmt(b.out.vmhwm_mb - a.out.vmhwm_mb, 0)} MB)`);
  }
  return notes;
}
