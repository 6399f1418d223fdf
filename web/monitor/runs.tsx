import { useState } from 'preact/hooks';
import { api } from './api';
import { bytes, count, duration, time } from './format';
import { usePoll } from './hooks';
import type { RunState, RunSummary, RunsAnswer } from './types';
import { isFinal } from './types';
import { ErrorBanner, ProgressBar, StateBadge, VerdictBadge } from './widgets';

type Filter = 'all' | 'running' | 'done' | 'done_with_problems' | 'failed';
const FILTERS: Array<{ id: Filter; label: string; states: RunState[] }> = [
  { id: 'all', label: 'All', states: ['accepted', 'retrieving', 'done', 'done_with_problems', 'failed'] },
  { id: 'running', label: 'Running', states: ['accepted', 'retrieving'] },
  { id: 'done', label: 'Done', states: ['done'] },
  { id: 'done_with_problems', label: 'With problems', states: ['done_with_problems'] },
  { id: 'failed', label: 'Failed', states: ['failed'] },
];

/** The pgroup's runs, newest first, asked for every second. */
export function RunsPage({ pgroup, onBeamline }: { pgroup: string; onBeamline: (b: string) => void }) {
  const [filter, setFilter] = useState<Filter>('all');
  const polled = usePoll<RunsAnswer>(async () => {
    const answer = await api.runs(pgroup);
    onBeamline(answer.beamline);
    return answer;
  }, 1000, pgroup);
  const runs = polled.data?.runs ?? [];
  const states = FILTERS.find((f) => f.id === filter)!.states;
  const shown = runs.filter((r) => states.includes(r.state));
  return (
    <main class="runs-page" data-testid="runs-page">
      <div class="title-row">
        <h1>Runs of {pgroup}</h1>
        <span class={`live ${polled.error ? 'paused' : ''}`} title="The table is asked for again every second">{polled.error ? '○ not updating' : '● live'}</span>
      </div>
      {polled.error && <ErrorBanner error={polled.error} stale={polled.data ? polled.at : undefined} />}
      {runs.length > 0 && <div class="filters" role="group" aria-label="Filter by state">
        {FILTERS.map((f) => {
          const n = runs.filter((r) => f.states.includes(r.state)).length;
          return (
            <button type="button" class={`chip ${filter === f.id ? 'active' : ''}`} aria-pressed={filter === f.id} data-filter={f.id} onClick={() => setFilter(f.id)}>
              {f.label} <span class="n">{n}</span>
            </button>
          );
        })}
      </div>}
      {polled.loading && !polled.data && !polled.error && <p class="muted">Asking the broker for the runs of {pgroup}…</p>}
      {polled.data && runs.length === 0 && <p class="muted" data-testid="no-runs">No runs in {pgroup} yet. They appear here as soon as the broker accepts them.</p>}
      {runs.length > 0 && (
        <table class="runs" data-testid="runs-table">
          <thead>
            <tr>
              <th class="num">Run</th><th>Time</th><th>State</th><th>Sources</th><th class="num">Duration</th><th class="num">Size</th><th>Check</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => <RunRow key={r.run_number} pgroup={pgroup} run={r} />)}
            {shown.length === 0 && (
              <tr><td colSpan={7} class="muted">No {FILTERS.find((f) => f.id === filter)!.label.toLowerCase()} runs among the latest {count(runs.length, 'run')}.</td></tr>
            )}
          </tbody>
        </table>
      )}
    </main>
  );
}

function RunRow({ pgroup, run }: { pgroup: string; run: RunSummary }) {
  const elapsed = run.request_time && !isFinal(run.state) ? (Date.now() - Date.parse(run.request_time)) / 1000 : null;
  const s = run.sources;
  return (
    <tr data-run={run.run_number} data-state={run.state} class={`row-${run.state}`}>
      <td class="num"><a href={`#/${pgroup}/${run.run_number}`}>{run.run_number}</a></td>
      <td>{time(run.request_time ?? run.updated)}</td>
      <td>
        <StateBadge state={run.state} />
        {run.reason && <div class="reason" title={run.reason}>{run.reason}</div>}
      </td>
      <td class="sources">
        <span title={s.names.join(', ')}>{s.total === 0 ? '—' : `${s.done}/${s.total}`}{s.failed > 0 && <span class="failed-count"> ({s.failed} failed)</span>}</span>
        {!isFinal(run.state) && (
          run.progress
            ? <ProgressBar value={run.progress.pulses_written} max={run.progress.pulses_expected} label={`${run.progress.pulses_written}/${run.progress.pulses_expected} pulses`} />
            : <ProgressBar value={s.total > 0 ? s.done : undefined} max={s.total > 0 && s.done > 0 ? s.total : undefined} />
        )}
      </td>
      <td class="num">{run.duration_s !== null ? duration(run.duration_s) : elapsed !== null ? <span class="muted">{duration(elapsed)}…</span> : '—'}</td>
      <td class="num">{bytes(run.size_bytes)}</td>
      <td><VerdictBadge verdict={run.verdict} /></td>
    </tr>
  );
}
