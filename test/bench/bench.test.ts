/**
 * The benchmarks work: every one runs in quick mode (small sizes), prints its
 * table(s) and writes its JSON result. Numbers are not judged here (CI
 * machines are noisy); `npm run bench` measures, see bench/run.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { BENCHMARKS } from '../../bench/benchmarks';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const results = mkdtempSync(join(tmpdir(), 'sfdaq-bench-test-'));
afterAll(() => rmSync(results, { recursive: true, force: true }));

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // vitest's own options must not leak into the benchmark processes
    const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', 'bench/run.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 }));
  });
}

test('every benchmark runs in quick mode, prints a table and writes its JSON result', async () => {
  const run = await runBench(['--quick', '--results', results]);
  expect(run.stderr, run.stderr).not.toMatch(/benchmark \S+ failed/);
  expect(run.code, `${run.stdout.slice(-3000)}\n${run.stderr.slice(-3000)}`).toBe(0);
  for (const bench of BENCHMARKS) {
    // Its section, followed by at least one table with a header row and a separator.
    const section = run.stdout.split(/^# /m).find((s) => s.startsWith(`${bench.name} (quick)`));
    expect(section, `no output section for ${bench.name}`).toBeDefined();
    expect(section!, `no table printed by ${bench.name}`).toMatch(/^## .+\n\n\|.+\|\n\|[-:|]+\|\n\|.+\|/m);
    const file = join(results, `${bench.name}.json`);
    expect(existsSync(file), `${file} not written`).toBe(true);
    const json = JSON.parse(readFileSync(file, 'utf8')) as { benchmark: string; options: { quick: boolean }; tables: Array<{ rows: unknown[] }> };
    expect(json.benchmark).toBe(bench.name);
    expect(json.options.quick).toBe(true);
    expect(json.tables.length).toBeGreaterThan(0);
    expect(json.tables.every((t) => t.rows.length > 0)).toBe(true);
  }
  console.log(`benchmarks (quick) took ${run.seconds.toFixed(0)} s`);
}, 240_000);
