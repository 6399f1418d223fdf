/**
 * Benchmark `detector-convert`: a 4M Jungfrau (JF06T08V04, 8 modules) x N
 * frames (default 1,000: 8.4 GB) from a dense simulated buffer, retrieved by
 * one worker raw, then converted in the worker (adc_to_energy with the
 * simulator's published gain and pedestal files), in the same run: the
 * conversion's time as a ratio to the raw retrieval of the same frames, and
 * each worker's peak RSS.
 *
 * A converted run writes more than a raw one: the raw frames (to raw_data/,
 * the fallback the facility keeps) and the converted images (float32 keV:
 * twice the raw bytes, plus gap pixels; int32 counts with a factor).
 */
import { join } from 'node:path';
import { MODULE_PIXEL_BYTES } from '../lib/adapters/buffers/detector';
import { FacilityClock } from '../lib/core/clock';
import { DEFAULT_DETECTOR_WORK } from '../lib/core/detector-work';
import { DetectorBufferSimulator, publishCalibration } from '../local/simulators/detector';
import { diskBytes, partedRun, type PartedRun } from './detector-scale';
import { syncDisks } from './lib/child';
import { tempDir } from './lib/fixtures';
import { fmt, type Benchmark, type BenchOptions, type BenchResult, type Goal } from './lib/report';

const DET = 'JF06T08V04';
const MODULES = 8;
const START = 60_000;

/**
 * The same frames as the workflow splits them (Plan's default 8 GiB of work a part, all parts at once as the
 * Map runs them): a converted run writes about three times the bytes of a raw one, so it gets about three
 * times the parts, each its own worker. On AWS each worker is a Lambda with its own CPU; here they share 2 cores.
 */
const SPLIT_CASES: Array<[string, Record<string, unknown>]> = [
  ['raw (uncompressed)', {}],
  ['adc_to_energy + bitshuffle+LZ4', { adc_to_energy: true, compression: true }],
  ['adc_to_energy + factor + bitshuffle+LZ4 (int32)', { adc_to_energy: true, factor: 12.4, compression: true }],
];

const CASES: Array<[string, Record<string, unknown>]> = [
  ['raw (uncompressed)', {}],
  ['adc_to_energy (float32 keV, gaps; raw kept)', { adc_to_energy: true }],
  ['adc_to_energy + bitshuffle+LZ4', { adc_to_energy: true, compression: true }],
  ['adc_to_energy + factor + bitshuffle+LZ4 (int32)', { adc_to_energy: true, factor: 12.4, compression: true }],
  ['adc_to_energy + roi 512x1024 + bitshuffle+LZ4', { adc_to_energy: true, compression: true, roi: { signal: [100, 612, 0, 1024] } }],
];

export const detectorConvertBenchmark: Benchmark = {
  name: 'detector-convert',
  describe: 'JF06T08V04 frames converted in the worker (adc_to_energy, compression, ROI), against the raw retrieval of the same frames',
  async run(options: BenchOptions): Promise<BenchResult> {
    // As serverless.yml sets it for the detector workers (the child processes inherit it).
    process.env.MALLOC_MMAP_THRESHOLD_ = '131072';
    const frames = options.frames ?? (options.quick ? 20 : 1000);
    const frameBytes = MODULES * MODULE_PIXEL_BYTES;
    const bytes = frames * frameBytes;
    const tmp = tempDir('detector-convert');
    try {
      const bufferRoot = join(tmp.path, 'buffer');
      const dataRoot = join(tmp.path, 'sf');
      const sim = new DetectorBufferSimulator({ root: bufferRoot, detectors: [], clock: new FacilityClock(), retentionPulses: 1e9, pixels: 'dense' });
      await sim.writeRange(DET, BigInt(START), BigInt(START + frames - 1));
      await publishCalibration({ root: dataRoot, detector: DET, gainDtype: 'float32' });
      syncDisks();
      const results: Array<PartedRun & { name: string }> = [];
      let run = 0;
      for (const [name, o] of CASES) {
        run += 1;
        // one worker, one part
        const r = await partedRun({ dataRoot, bufferRoot, run, detector: DET, start: START, stop: START + frames - 1, options: o, workers: 1, frameBytes, itemBytes: Number.MAX_SAFE_INTEGER });
        results.push({ ...r, name });
      }
      // As the workflow splits them: Plan's default part size, every part its own worker, all at once.
      const split: Array<PartedRun & { name: string }> = [];
      for (const [name, o] of options.quick ? SPLIT_CASES.slice(0, 2) : SPLIT_CASES) {
        run += 1;
        const r = await partedRun({ dataRoot, bufferRoot, run, detector: DET, start: START, stop: START + frames - 1, options: o, workers: 1, frameBytes, itemBytes: options.quick ? frames * frameBytes : DEFAULT_DETECTOR_WORK.itemBytes });
        split.push({ ...r, name });
      }
      const raw = results[0]!;
      const rows = results.map((r) => {
        const p = r.parts[0]!;
        return [r.name, frames, fmt(r.wall_s, 1), fmt(bytes / 1e6 / r.wall_s, 0), fmt(r.wall_s / raw.wall_s, 2), fmt(p.cpu_s, 1), fmt(p.vmhwm_mb, 0), fmt(r.finish.wall_s, 2), fmt(r.disk_bytes / 1e9, 2)];
      });
      const conv = results[1]!;
      const lz4 = results[2]!;
      const rss = Math.max(...results.map((r) => r.parts[0]!.vmhwm_mb), ...split.flatMap((r) => r.parts.map((p) => p.vmhwm_mb)));
      const splitRaw = split[0]!;
      const splitRows = split.map((r) => [
        r.name, r.workers, fmt(r.wall_s, 1), fmt(r.wall_s / splitRaw.wall_s, 2),
        fmt(r.parts.reduce((sum, p) => sum + p.cpu_s, 0), 1), fmt(Math.max(...r.parts.map((p) => p.cpu_s)), 1), fmt(Math.max(...r.parts.map((p) => p.vmhwm_mb)), 0),
      ]);
      const judged = !options.quick;
      const goals: Goal[] = [
        { goal: 'conversion (adc_to_energy, bitshuffle+LZ4) at most 2x the raw retrieval\'s time', measured: `${fmt(lz4.wall_s / raw.wall_s, 2)}x (${fmt(lz4.wall_s, 1)} vs ${fmt(raw.wall_s, 1)} s); uncompressed float32: ${fmt(conv.wall_s / raw.wall_s, 2)}x`, met: judged ? lz4.wall_s / raw.wall_s <= 2 : null },
        { goal: 'peak RSS < 512 MB per worker while converting', measured: `${fmt(rss, 0)} MB at most`, met: rss < 512 },
      ];
      return {
        tables: [{
          title: `Conversion in the worker: ${DET} (${MODULES} modules, ${MODULE_PIXEL_BYTES * MODULES / 2 ** 20} MiB a frame) x ${frames} frames, dense buffer, one worker`,
          columns: ['case', 'frames', 'wall s', 'raw MB/s', 'vs raw', 'CPU s', 'peak RSS MB', 'finish s', 'disk GB'],
          rows,
          notes: [
            '"raw MB/s" is raw pixel bytes read per second of the part; "vs raw" its time over the raw retrieval\'s. disk GB: everything written (raw_data/ plus the converted file).',
            'Converting reads the calibration files once per worker (gain 6 planes, pedestal 3, mask) and keeps 28 bytes of tables per pixel (117 MB for 8 modules).',
          ],
        }, {
          title: `The same frames as the workflow splits them: parts of at most ${fmt(DEFAULT_DETECTOR_WORK.itemBytes / 2 ** 30, 0)} GiB of work (raw + converted), every part its own worker, all at once`,
          columns: ['case', 'parts', 'wall s', 'vs raw', 'CPU s (all parts)', 'CPU s (largest part)', 'peak RSS MB'],
          rows: splitRows,
          notes: [
            'On AWS every part is a Lambda with its own CPU, so the wall time is about the largest part\'s; on this machine the parts share its cores.',
            ...(options.quick ? ['quick: parts of the raw frames\' size (a few frames are far below 8 GiB), so the converted cases split as at full size'] : []),
          ],
        }],
        goals,
        data: { frames, bytes, results, split, disk_check: diskBytes(tmp.path) },
      };
    } finally {
      tmp.cleanup();
    }
  },
};
