/**
 * What a benchmark hands back to the dispatcher (bench/run.ts): tables to
 * print and the JSON written to bench/results/<name>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const PROJECT_ROOT = dirname(BENCH_DIR);
export const RESULTS_DIR = join(BENCH_DIR, 'results');

export type Cell = string | number | null | undefined;

export interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Lines printed under the table (what limits the figures, goals). */
  notes?: string[];
}

/** A goal of the issue and whether this run met it. */
export interface Goal {
  goal: string;
  measured: string;
  /** null: not judged (this run was not at the goal's size, e.g. --quick). */
  met: boolean | null;
}

export interface BenchResult {
  tables: Table[];
  goals?: Goal[];
  /** Everything measured, machine-readable. */
  data: Record<string, unknown>;
}

/** Options every benchmark receives from the command line. */
export interface BenchOptions {
  quick: boolean;
  /** Detector frames for the throughput benchmark (`--frames`). */
  frames?: number;
  /** Acceptance load duration in seconds (`--seconds`). */
  seconds?: number;
  /** Also run the memory figures under `node --import tsx` (`--tsx`, default on except quick). */
  tsx?: boolean;
  /** Extra runs under `node --cpu-prof`, summarised in the tables (`--profile`). */
  profile?: boolean;
  /** Pulses for the BS/camera benchmarks (`--pulses`), overriding the default size. */
  pulses?: number;
  /** Waveform channels among the 500 BS channels (`--waves`). */
  waves?: number;
}

/** A CPU profile boiled down (bench/lib/child.ts summarizeCpuProfile). */
export interface ProfileSummary {
  total_ms: number;
  entries: Array<{ function: string; where: string; self_ms: number; share: number }>;
  /** Self time (ms) per coarse bucket: wasm, fs syscalls, idle, our JS, ... */
  groups: Record<string, number>;
}

export interface Benchmark {
  name: string;
  /** One line: what is measured. */
  describe: string;
  run(options: BenchOptions): Promise<BenchResult>;
}

/** Format a number for a table cell: `digits` decimals, thousands kept plain. */
export function fmt(value: number | undefined | null, digits = 1): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '-';
  return value.toFixed(digits);
}

/** Render a table as aligned text (numbers right-aligned). */
export function renderTable(table: Table): string {
  const cells = table.rows.map((row) => row.map((c) => (c === undefined || c === null ? '-' : String(c))));
  const widths = table.columns.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = table.columns.map((_, i) => cells.length > 0 && cells.every((r) => /^[-+]?[\d.,]+(e[-+]?\d+)?%?x?$|^-$/.test(r[i] ?? '-')));
  const line = (r: string[]) => '| ' + r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ') + ' |';
  const out = [`## ${table.title}`, '', line(table.columns), '|' + widths.map((w, i) => (numeric[i] ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|'];
  for (const r of cells) out.push(line(r));
  if (table.notes?.length) out.push('', ...table.notes.map((n) => `- ${n}`));
  return out.join('\n');
}

export function renderGoals(goals: Goal[]): string {
  const verdict = (g: Goal) => (g.met === null ? 'not judged' : g.met ? 'met' : 'MISSED');
  return ['Goals:', ...goals.map((g) => `  [${verdict(g)}] ${g.goal}: ${g.measured}`)].join('\n');
}

/** Write <dir>/<name>.json (default bench/results). */
export function writeResult(name: string, options: BenchOptions, result: BenchResult, wallSeconds: number, dir = RESULTS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  const json = {
    benchmark: name,
    date: new Date().toISOString(),
    options,
    machine: machineFacts(),
    wall_s: wallSeconds,
    tables: result.tables,
    goals: result.goals ?? [],
    data: result.data,
  };
  writeFileSync(file, JSON.stringify(json, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
  return file;
}

function machineFacts(): Record<string, unknown> {
  return { node: process.version, platform: process.platform, arch: process.arch, cpus: cpus().length, cpu_model: cpus()[0]?.model, mem_gb: totalmem() / 2 ** 30, loadavg: loadavg() };
}

/** MB/s (10^6 bytes) of `bytes` over a run's wall time. */
export function rate(o: { wall_s: number }, bytes: number): number {
  return o.wall_s > 0 ? bytes / 1e6 / o.wall_s : 0;
}

/** One table of profile groups (columns: one per profiled case) plus the top functions of each. */
export function profileTable(title: string, profiles: Record<string, ProfileSummary>): Table {
  const names = Object.keys(profiles);
  const share = (n: string, g: string) => (profiles[n]!.groups[g] ?? 0) / profiles[n]!.total_ms;
  const all = [...new Set(names.flatMap((n) => Object.keys(profiles[n]!.groups)))];
  // Buckets under 1% everywhere are folded into one row.
  const shown = all.filter((g) => names.some((n) => share(n, g) >= 0.01));
  const cell = (n: string, ms: number) => `${fmt(ms / 1000, 2)} s (${fmt((100 * ms) / profiles[n]!.total_ms, 0)}%)`;
  const rows = shown.map((g) => [g, ...names.map((n) => cell(n, profiles[n]!.groups[g] ?? 0))]);
  const rest = all.filter((g) => !shown.includes(g));
  if (rest.length > 0) rows.push(['(the rest)', ...names.map((n) => cell(n, rest.reduce((sum, g) => sum + (profiles[n]!.groups[g] ?? 0), 0)))]);
  rows.push(['total (profiled process)', ...names.map((n) => `${fmt(profiles[n]!.total_ms / 1000, 2)} s`)]);
  const notes = names.map((n) => `${n}: top self time: ${profiles[n]!.entries.slice(0, 6).map((e) => `${e.function} ${e.where ? `(${e.where}) ` : ''}${fmt(100 * e.share, 0)}%`).join('; ')}`);
  return { title, columns: ['where', ...names], rows, notes };
}
