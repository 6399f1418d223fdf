/** Every benchmark, in the order `npm run bench` runs them. */
import { acceptanceBenchmark } from './acceptance';
import { bsBenchmark } from './bs';
import { cameraBenchmark } from './camera';
import { cameraStreamBenchmark } from './camera-stream';
import { checkBenchmark } from './check';
import { detectorBenchmark } from './detector';
import { detectorConvertBenchmark } from './detector-convert';
import { detectorE2eBenchmark } from './detector-e2e';
import { detectorScaleBenchmark } from './detector-scale';
import type { Benchmark } from './lib/report';
import { memoryBenchmark } from './memory';
import { statusLatencyBenchmark } from './status-latency';

export const BENCHMARKS: Benchmark[] = [
  detectorBenchmark,
  detectorScaleBenchmark,
  detectorConvertBenchmark,
  detectorE2eBenchmark,
  bsBenchmark,
  cameraBenchmark,
  cameraStreamBenchmark,
  memoryBenchmark,
  acceptanceBenchmark,
  checkBenchmark,
  statusLatencyBenchmark,
];
