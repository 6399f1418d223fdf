/**
 * A detector split into parts reports progress per part (key `<DET>#<part>`,
 * each worker overwriting only its own, so retries and concurrent workers
 * never lose or double-count a report); the Plan reports the detector's
 * totals under `<DET>` (pulses expected, parts). The run's status shows one
 * entry per detector: parts done / total, pulses and bytes written summed.
 */
import type { SourceProgress } from './run-status';

/**
 * Fold part keys into their detector's entry; other keys pass through.
 *
 * @example
 *   aggregateProgress({ JF: { pulses_written: 0, pulses_expected: 300, items_total: 3, ... },
 *                       'JF#0': { pulses_written: 100, pulses_expected: 100, ... }, 'JF#1': { pulses_written: 40, pulses_expected: 100, ... } })
 *   // { JF: { pulses_written: 140, pulses_expected: 300, items_done: 1, items_total: 3, ... } }
 */
export function aggregateProgress(progress: Readonly<Record<string, SourceProgress>>): Record<string, SourceProgress> {
  const out: Record<string, SourceProgress> = {};
  const parts = new Map<string, SourceProgress[]>();
  for (const [key, value] of Object.entries(progress)) {
    const hash = key.lastIndexOf('#');
    if (hash > 0 && /^\d+$/.test(key.slice(hash + 1))) {
      const source = key.slice(0, hash);
      parts.set(source, [...(parts.get(source) ?? []), value]);
    } else {
      out[key] = value;
    }
  }
  for (const [source, reports] of parts) {
    const base = out[source];
    const written = reports.reduce((s, r) => s + r.pulses_written, 0);
    const bytes = reports.reduce((s, r) => s + r.bytes_written, 0);
    const done = reports.filter((r) => r.pulses_expected > 0 && r.pulses_written >= r.pulses_expected).length;
    const updated = [base?.updated, ...reports.map((r) => r.updated)].filter((u): u is string => u !== undefined).sort().at(-1) ?? '';
    // Parts run at once: their rates add up.
    const rate = reports.reduce((s, r) => s + (r.pulses_written < r.pulses_expected ? (r.rate_pulses_per_s ?? 0) : 0), 0);
    out[source] = {
      pulses_written: written,
      pulses_expected: base?.pulses_expected ?? reports.reduce((s, r) => s + r.pulses_expected, 0),
      bytes_written: bytes,
      ...(rate > 0 ? { rate_pulses_per_s: Math.round(rate * 10) / 10 } : {}),
      items_done: done,
      items_total: base?.items_total ?? reports[0]?.items_total ?? reports.length,
      updated,
    };
  }
  return out;
}
