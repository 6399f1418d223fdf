import { api } from './api';
import { bytes, count, duration, ranges, time } from './format';
import { usePoll } from './hooks';
import { QuickLook } from './plots';
import type { RunDetails, SourceDetails } from './types';
import { isFinal } from './types';
import { ErrorBanner, ProgressBar, Section, StateBadge, VerdictBadge } from './widgets';

/** One run: its sources with their progress, the check per channel, quick-look plots, request, files, logs. */
export function RunPage({ pgroup, run, onBeamline }: { pgroup: string; run: number; onBeamline: (b: string) => void }) {
  const polled = usePoll<RunDetails>(async () => {
    const details = await api.details(pgroup, run);
    onBeamline(details.beamline);
    return details;
  }, 1000, `${pgroup}/${run}`, (d) => !isFinal(d.state));
  const d = polled.data;
  return (
    <main class="run-page" data-testid="run-page">
      <p class="crumbs"><a href={`#/${pgroup}`}>← runs of {pgroup}</a></p>
      <div class="title-row">
        <h1>Run {run} <span class="muted">of {pgroup}</span></h1>
        {d && <StateBadge state={d.state} />}
        {d && !isFinal(d.state) && <span class="live">● live</span>}
      </div>
      {polled.error && <ErrorBanner error={polled.error} stale={d ? polled.at : undefined} />}
      {!d && !polled.error && <p class="muted">Asking the broker for run {run}…</p>}
      {d && <RunBody d={d} />}
    </main>
  );
}

function RunBody({ d }: { d: RunDetails }) {
  const elapsed = d.request_time && !isFinal(d.state) ? (Date.now() - Date.parse(d.request_time)) / 1000 : null;
  return (
    <>
      <dl class="facts">
        <div><dt>Requested</dt><dd>{time(d.request_time)}</dd></div>
        <div><dt>Finished</dt><dd>{time(d.finished)}</dd></div>
        <div><dt>Duration</dt><dd>{d.duration_s !== null ? duration(d.duration_s) : elapsed !== null ? `${duration(elapsed)} so far` : '—'}</dd></div>
        <div><dt>Size on disk</dt><dd>{bytes(d.size_bytes)}</dd></div>
        <div class="wide"><dt>Pulses</dt><dd>{d.request ? `${String(d.request.start_pulseid)}..${String(d.request.stop_pulseid)}` : '—'}{d.request?.rate_multiplicator ? ` (rate ÷${String(d.request.rate_multiplicator)})` : ''}</dd></div>
        <div><dt>Beamline</dt><dd>{d.beamline}</dd></div>
      </dl>
      {d.reason && <p class={`reason-box state-${d.state}`}>{d.reason}</p>}
      <Section title="Sources" id="sources">
        {d.sources.length === 0 ? <p class="muted">The retrieval has not been planned yet.</p> : (
          <div class="source-grid">{d.sources.map((s) => <SourceCard key={s.source} s={s} runState={d.state} />)}</div>
        )}
      </Section>
      <Section title="Check" id="check">
        {d.sources.every((s) => s.verdict === null) ? <p class="muted">The check runs once every source is retrieved.</p> : d.sources.filter((s) => s.verdict !== null).map((s) => <CheckTable key={s.source} s={s} />)}
      </Section>
      <Section title="Quick look" id="quicklook">
        <QuickLook d={d} />
      </Section>
      <Section title="Files" id="files">
        <FilesTable d={d} />
      </Section>
      <Section title="Request as sent" id="request">
        {d.request ? <pre class="json" data-testid="request-json">{JSON.stringify(d.request, null, 2)}</pre> : <p class="muted">{d.request_problem ?? 'No run record.'}</p>}
      </Section>
      <Section title="Logs" id="logs">
        {d.logs.length === 0 ? <p class="muted">No logs yet.</p> : d.logs.map((log) => (
          <details key={log.name} open={d.logs.length <= 2}>
            <summary><code>{log.name}</code> <span class="muted">{bytes(log.size_bytes)}{log.truncated ? ', last part shown' : ''}</span></summary>
            {log.problem ? <p class="problem">{log.problem}</p> : <pre class="log">{log.text}</pre>}
          </details>
        ))}
      </Section>
    </>
  );
}

function SourceCard({ s, runState }: { s: SourceDetails; runState: RunDetails['state'] }) {
  const p = s.progress;
  const working = (s.state === 'pending' || s.state === 'retrieving') && !isFinal(runState);
  return (
    <div class={`source-card state-${s.state}`} data-source={s.source} data-state={s.state}>
      <div class="source-head">
        <strong>{s.source}</strong>
        <StateBadge state={s.state} />
      </div>
      <div class="muted small">{kindLabel(s.kind)}</div>
      {p ? (
        <>
          {p.pulses_expected === 0 && p.items_total
            // Archived PVs have no pulse count to expect: their progress is PVs done.
            ? <ProgressBar value={p.items_done ?? 0} max={p.items_total} label={`${p.items_done ?? 0} / ${p.items_total} PVs`} />
            : <ProgressBar value={p.pulses_written} max={p.pulses_expected} label={`${p.pulses_written.toLocaleString()} / ${p.pulses_expected.toLocaleString()} pulses`} />}
          <div class="muted small">
            {bytes(p.bytes_written)} written
            {p.rate_pulses_per_s !== undefined && `, ${p.rate_pulses_per_s.toFixed(0)} pulses/s`}
            {p.items_total !== undefined && `, ${p.items_done ?? 0}/${p.items_total} items`}
          </div>
        </>
      ) : working ? <ProgressBar label="retrieving" /> : null}
      {s.reason && <p class="problem">{s.reason}</p>}
      <div class="small">check: <VerdictBadge verdict={s.verdict} /></div>
      {s.file && <div class="small muted file">{s.file.path} · {s.file.size_bytes === null ? 'being written' : bytes(s.file.size_bytes)}</div>}
    </div>
  );
}

function CheckTable({ s }: { s: SourceDetails }) {
  return (
    <div class="check-source" data-source={s.source} data-verdict={s.verdict ?? ''}>
      <h3>{s.source} <VerdictBadge verdict={s.verdict} /> {s.range && <span class="muted small">expected {count(s.range.expected, 'pulse')} ({s.range.expected_pulses})</span>}</h3>
      <table class="check">
        <colgroup><col style={{ width: '32%' }} /><col style={{ width: '10%' }} /><col style={{ width: '14%' }} /><col style={{ width: '22%' }} /><col style={{ width: '22%' }} /></colgroup>
        <thead><tr><th>Channel</th><th>Verdict</th><th class="num">Found / expected</th><th>Missing pulses</th><th>Problems</th></tr></thead>
        <tbody>
          {s.channels.map((c) => (
            <tr key={c.name} data-channel={c.name} data-verdict={c.verdict}>
              <td><code>{c.name}</code></td>
              <td><VerdictBadge verdict={c.verdict} /></td>
              <td class="num">{foundOf(s, c.counts)}</td>
              <td>{c.missing_pulses && c.missing_pulses.missing > 0 ? <span title={ranges(c.missing_pulses.ranges, c.missing_pulses.total, 50)}>{count(c.missing_pulses.missing, 'pulse')}: {ranges(c.missing_pulses.ranges, c.missing_pulses.total)}</span> : typeof c.counts.missing === 'number' && c.counts.missing > 0 ? c.counts.missing.toLocaleString() : !c.present ? 'all (no data)' : s.kind === 'archiver' ? 'n/a (archived on change)' : 'none'}</td>
              <td>{c.problems.length === 0 ? <span class="muted">—</span> : <ul class="problems">{c.problems.map((p) => <li>{p}</li>)}</ul>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {s.channels_total > s.channels.length && <p class="muted small">{s.channels.length} of {s.channels_total} channels shown (those with problems first).</p>}
    </div>
  );
}

function foundOf(s: SourceDetails, counts: Record<string, number | boolean | null>): string {
  if (s.kind === 'archiver') return typeof counts.samples === 'number' ? `${counts.samples} samples` : '—';
  const found = counts.found_unique;
  const expected = counts.expected;
  return typeof found === 'number' && typeof expected === 'number' ? `${found.toLocaleString()} / ${expected.toLocaleString()}` : '—';
}

function FilesTable({ d }: { d: RunDetails }) {
  const files = d.sources.filter((s) => s.file);
  if (files.length === 0) return <p class="muted">No files yet.</p>;
  return (
    <table class="files" data-testid="files-table">
      <thead><tr><th>Source</th><th>File (below the pgroup’s raw/)</th><th class="num">Size</th><th>Written</th></tr></thead>
      <tbody>
        {files.map((s) => (
          <tr key={s.source}>
            <td>{s.source}</td>
            <td><code>{s.file!.path}</code>{s.file!.problem && <div class="problem">{s.file!.problem}</div>}</td>
            <td class="num">{s.file!.size_bytes === null ? (s.state === 'pending' ? 'being written' : 'missing') : bytes(s.file!.size_bytes)}</td>
            <td>{time(s.file!.modified)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const kindLabel = (kind: SourceDetails['kind']) => ({ data: 'BS channels', image: 'cameras', archiver: 'EPICS PVs', detector: 'Jungfrau detector' })[kind];
