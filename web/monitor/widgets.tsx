import type { ComponentChildren } from 'preact';
import type { ApiError } from './api';
import { STATE_LABEL } from './format';
import type { Verdict } from './types';

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge state-${state}`} data-state={state}>{STATE_LABEL[state] ?? state}</span>;
}

export function VerdictBadge({ verdict, title }: { verdict: Verdict | null; title?: string }) {
  if (verdict === null) return <span class="verdict none" title={title ?? 'not checked yet'}>—</span>;
  return <span class={`verdict ${verdict}`} data-verdict={verdict} title={title}>{verdict === 'ok' ? '✓ ok' : '⚠ problems'}</span>;
}

/** A progress bar; without a value, an indeterminate one (the source is working but tells no progress). */
export function ProgressBar({ value, max, label }: { value?: number; max?: number; label?: string }) {
  const known = value !== undefined && max !== undefined && max > 0;
  const pct = known ? Math.max(0, Math.min(100, (100 * value) / max)) : 0;
  return (
    <div class="progress-box">
      <div class={`progress ${known ? '' : 'indeterminate'}`} role="progressbar" aria-valuemin={0} aria-valuemax={known ? max : undefined} aria-valuenow={known ? value : undefined} title={label}>
        <div class="bar" style={known ? { width: `${pct}%` } : undefined} />
      </div>
      {label && <div class="progress-label">{label}</div>}
    </div>
  );
}

const HINTS: Record<string, string> = {
  unreachable: 'Cannot reach the broker',
  unavailable: 'The broker has a problem',
  key: 'Not recognised',
  forbidden: 'Not your beamline’s pgroup',
  'no-run': 'No such run',
  refused: 'Refused',
  'not-broker': 'Not the broker',
};

export function ErrorBanner({ error, stale }: { error: ApiError; stale?: Date | undefined }) {
  return (
    <div class={`error-banner kind-${error.kind}`} role="alert" data-testid="error" data-kind={error.kind}>
      <strong>{HINTS[error.kind] ?? 'Error'}.</strong> {error.message}
      {stale && <div class="stale">Showing what the broker said at {stale.toLocaleTimeString(undefined, { hour12: false })}.</div>}
    </div>
  );
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" id={id} data-testid={id}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}
