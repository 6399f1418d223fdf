/**
 * Read throughput of DetectorBufferReader on a dense simulated buffer, page
 * cache hot: 4 modules x 200 pulses (~840 MB on disk, removed afterwards).
 *
 *   node --import tsx local/simulators/detector/bench-read.ts [pulses] [runs] [variant index]
 *
 * Reports MB/s of frame pixels yielded (1 MB = 10^6 bytes) for the default
 * reader (fresh pixel buffer per frame), a reused pixel buffer, and smaller
 * block reads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DetectorBufferReader, type DetectorBufferReaderOptions } from '../../../lib/adapters/buffers/detector/reader';
import { FacilityClock } from '../../../lib/core/clock';
import { DetectorBufferSimulator } from './simulator';

const DETECTOR = 'JF02T04V01';
const pulses = BigInt(process.argv[2] ?? 200);
const runs = Number(process.argv[3] ?? 5);
const only = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
const start = 950n; // crosses the file boundary at 1000
const stop = start + pulses - 1n;

async function readAll(options: Partial<DetectorBufferReaderOptions>, root: string): Promise<{ bytes: number; ms: number }> {
  const reader = new DetectorBufferReader({ root, detector: DETECTOR, ...options });
  const t0 = performance.now();
  let bytes = 0;
  let checksum = 0;
  for await (const frame of reader.readFrames({ start, stop, step: 1n })) {
    bytes += frame.pixels.byteLength;
    checksum ^= frame.pixels[frame.pixels.byteLength - 1]!; // touch the frame
  }
  if (checksum < 0) console.log(checksum);
  return { bytes, ms: performance.now() - t0 };
}

const root = mkdtempSync(path.join(tmpdir(), 'detector-bench-'));
try {
  const sim = new DetectorBufferSimulator({ root, detectors: [], clock: new FacilityClock(), retentionPulses: 1e9, pixels: 'dense' });
  const w0 = performance.now();
  await sim.writeRange(DETECTOR, start, stop);
  const writeMs = performance.now() - w0;
  console.log(`wrote ${pulses} pulses x 4 modules dense in ${writeMs.toFixed(0)} ms`);
  await readAll({ blockSlots: 1 }, root); // warm the page cache (small blocks: leaves peak RSS to the variants)
  const variants: Array<[string, Partial<DetectorBufferReaderOptions>]> = [
    ['blocks of 100, fresh pixels  ', {}],
    ['blocks of 100, reused pixels ', { reusePixels: true }],
    ['blocks of 10,  fresh pixels  ', { blockSlots: 10 }],
    ['blocks of 10,  reused pixels ', { blockSlots: 10, reusePixels: true }],
    ['blocks of 1,   fresh pixels  ', { blockSlots: 1 }],
    ['blocks of 1,   reused pixels ', { blockSlots: 1, reusePixels: true }],
  ];
  for (const [index, [name, options]] of variants.entries()) {
    if (only !== undefined && index !== only) continue;
    const rates: number[] = [];
    for (let i = 0; i < runs; i++) {
      const { bytes, ms } = await readAll(options, root);
      rates.push(bytes / 1e6 / (ms / 1000));
    }
    rates.sort((a, b) => a - b);
    const rss = process.resourceUsage().maxRSS / 1024;
    console.log(`${name} median ${rates[Math.floor(runs / 2)]!.toFixed(0)} MB/s (min ${rates[0]!.toFixed(0)}, max ${rates[runs - 1]!.toFixed(0)}), peak rss ${rss.toFixed(0)} MiB`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
