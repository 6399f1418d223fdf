import type { RunStatus, SourceResult } from '../lib/client';

/** A source's check summary as the workflow stores it (lib/core/check): the verdict and per-channel problems. */
interface CheckSummary {
  verdict?: string;
  channels?: Record<string, { problems?: string[] }>;
  /** A status bounds its channel list (every channel up to 50, beyond that the ones with problems): the counts say all. */
  channels_total?: number;
  channels_with_problems?: number;
}

const FINISHED = new Set(['done', 'done_with_problems', 'failed']);

/**
 * How far a running run has got: the fraction of its pulses written over
 * the sources that report pulses (finished sources count whole), and the
 * busiest source's own words, e.g. `JF01T03V01 1,200/2,000 pulses, 310 MB/s`.
 */
export function runProgress(run: RunStatus): { fraction: number; detail: string } {
  const sources = run.sources ?? [];
  if (sources.length === 0) return { fraction: 0, detail: '' };
  let sum = 0;
  let detail = '';
  for (const source of sources) {
    const p = (source as { progress?: { pulses_written: number; pulses_expected: number; bytes_written?: number; rate_pulses_per_s?: number; items_done?: number; items_total?: number } }).progress;
    if (FINISHED.has(source.state)) sum += 1;
    else if (p && p.pulses_expected > 0) {
      sum += Math.min(1, p.pulses_written / p.pulses_expected);
      detail = `${source.source} ${p.pulses_written.toLocaleString('en-US')}/${p.pulses_expected.toLocaleString('en-US')} pulses${p.items_total ? `, ${p.items_done ?? 0}/${p.items_total} parts` : ''}${p.rate_pulses_per_s ? `, ${Math.round(p.rate_pulses_per_s)} pulses/s` : ''}`;
    } else if (p && p.items_total) {
      sum += (p.items_done ?? 0) / p.items_total;
      detail = `${source.source} ${p.items_done ?? 0}/${p.items_total}`;
    }
  }
  return { fraction: sum / sources.length, detail };
}

/** Sources finished out of all (for the progress bar and the runs table). */
export function sourcesFinished(run: RunStatus): { finished: number; total: number } {
  const sources = run.sources ?? [];
  return { finished: sources.filter((s) => FINISHED.has(s.state)).length, total: sources.length };
}

function checkLine(source: SourceResult): string {
  const check = source.check as CheckSummary | undefined;
  if (!check?.verdict) return '';
  const channels = Object.values(check.channels ?? {});
  const total = check.channels_total ?? channels.length;
  const bad = check.channels_with_problems ?? channels.filter((c) => (c.problems ?? []).length > 0).length;
  return `check ${check.verdict}${total ? ` (${bad ? `${bad} of ` : ''}${total} channel${total === 1 ? '' : 's'}${bad ? ' with problems' : ''})` : ''}`;
}

/**
 * A run's status for people: state, one line per source with its check
 * verdict and file, the problems the check found, and the run's reason.
 *
 * @example formatRun(run) // 'run 3 of p12345 (alvra): done\n  BSREAD  done  check ok (2 channels)  /sf/.../run_000003.BSREAD.h5'
 */
export function formatRun(run: RunStatus): string {
  const lines = [`run ${run.run_number} of ${run.pgroup} (${run.beamline}): ${run.state}`];
  const sources = run.sources ?? [];
  const width = Math.max(6, ...sources.map((s) => s.source.length));
  const stateWidth = Math.max(7, ...sources.map((s) => s.state.length));
  const checks = sources.map(checkLine);
  const checkWidth = Math.max(0, ...checks.map((c) => c.length));
  sources.forEach((source, i) => {
    lines.push(`  ${source.source.padEnd(width)}  ${source.state.padEnd(stateWidth)}  ${checks[i]!.padEnd(checkWidth)}  ${source.file}`.replace(/ +$/, ''));
    if (source.reason) lines.push(`      ${source.reason}`);
    const p = (source as { progress?: { pulses_written: number; pulses_expected: number } }).progress;
    if (p && !FINISHED.has(source.state) && p.pulses_expected > 0) lines.push(`      ${p.pulses_written.toLocaleString('en-US')} of ${p.pulses_expected.toLocaleString('en-US')} pulses written`);
    for (const [channel, result] of Object.entries((source.check as CheckSummary | undefined)?.channels ?? {})) {
      if (result.problems?.length) lines.push(`      ${channel}: ${result.problems.join('; ')}`);
    }
  });
  if (run.reason) lines.push(`  reason: ${run.reason}`);
  lines.push(`  updated ${run.updated}`);
  return lines.join('\n');
}

/**
 * The pgroup's runs as a table.
 * @example formatRunTable(runs) // 'RUN  STATE  SOURCES  UPDATED  REASON\n  1  done  1/1  2025-06-01 12:00:01'
 */
export function formatRunTable(runs: RunStatus[]): string {
  const rows = runs.map((run) => {
    const { finished, total } = sourcesFinished(run);
    const reason = run.reason ?? '';
    return [String(run.run_number), run.state, `${finished}/${total}`, run.updated.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), reason.length > 70 ? `${reason.slice(0, 67)}...` : reason];
  });
  const header = ['RUN', 'STATE', 'SOURCES', 'UPDATED', 'REASON'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const render = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').replace(/ +$/, '');
  return [render(header), ...rows.map(render)].join('\n');
}
