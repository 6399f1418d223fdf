/**
 * The benchmarks of issue 6 (and issue 3's streaming proof), side by side with their goals.
 *
 *   npm run bench                      all, default sizes (a few minutes, a few GB of temp disk)
 *   npm run bench -- detector bs       some, by name
 *   npm run bench -- --quick           all, small sizes (what CI runs: test/bench/bench.test.ts)
 *
 * Options:
 *   --quick            small sizes
 *   --frames N         detector frames (default 250; the issue's full size is --frames 2000, ~8.4 GB x 3 on disk)
 *   --pulses N         pulses of bs / camera / camera-stream instead of their defaults
 *   --waves N          waveform channels among bs's 500 (default 50)
 *   --seconds N        acceptance load duration (default 30, quick 3)
 *   --tsx / --no-tsx   memory: also measure under `node --import tsx` (default on, off with --quick)
 *   --profile          extra runs under node --cpu-prof, summarised (where the time goes)
 *   --results DIR      write the JSON results there instead of bench/results
 *   --list             list the benchmarks
 *
 * Each benchmark prints its tables and writes <results>/<name>.json.
 */
import '../lib/runtime/polyfills';
import { performance } from 'node:perf_hooks';
import { BENCHMARKS } from './benchmarks';
import { renderGoals, renderTable, writeResult, type BenchOptions } from './lib/report';

function parseArgs(argv: string[]): { names: string[]; options: BenchOptions; resultsDir?: string; list: boolean } {
  const options: BenchOptions = { quick: false };
  const names: string[] = [];
  let resultsDir: string | undefined;
  let list = false;
  const number = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    switch (arg) {
      case '--quick': options.quick = true; break;
      case '--frames': options.frames = Math.round(number(arg, argv[++i])); break;
      case '--pulses': options.pulses = Math.round(number(arg, argv[++i])); break;
      case '--waves': options.waves = Math.round(Number(argv[++i])); break;
      case '--seconds': options.seconds = number(arg, argv[++i]); break;
      case '--tsx': options.tsx = true; break;
      case '--no-tsx': options.tsx = false; break;
      case '--profile': options.profile = true; break;
      case '--results': resultsDir = argv[++i]; break;
      case '--list': list = true; break;
      default:
        if (arg.startsWith('-')) throw new Error(`unknown option ${arg} (see bench/run.ts)`);
        names.push(arg);
    }
  }
  return { names, options, resultsDir, list };
}

async function main(): Promise<void> {
  const { names, options, resultsDir, list } = parseArgs(process.argv.slice(2));
  if (list) {
    for (const b of BENCHMARKS) console.log(`${b.name.padEnd(14)} ${b.describe}`);
    return;
  }
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  const chosen = names.length > 0 ? BENCHMARKS.filter((b) => names.includes(b.name)) : BENCHMARKS;
  let failed = 0;
  for (const bench of chosen) {
    console.log(`\n# ${bench.name}${options.quick ? ' (quick)' : ''}: ${bench.describe}\n`);
    const t0 = performance.now();
    try {
      const result = await bench.run(options);
      const wall = (performance.now() - t0) / 1000;
      for (const table of result.tables) console.log(renderTable(table) + '\n');
      if (result.goals?.length) console.log(renderGoals(result.goals) + '\n');
      const file = writeResult(bench.name, options, result, wall, resultsDir);
      console.log(`(${bench.name}: ${wall.toFixed(1)} s; results in ${file})`);
    } catch (error) {
      failed += 1;
      console.error(`benchmark ${bench.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }
  if (failed > 0) process.exitCode = 1;
}

await main();
