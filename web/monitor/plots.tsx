import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { api, ApiError } from './api';
import { count, ranges } from './format';
import type { ImagePlot, PlotAnswer, PresencePlot, RunDetails, SeriesPlot, SourceDetails } from './types';
import { ErrorBanner } from './widgets';

/** The quick-look plots of every source whose file is written. */
export function QuickLook({ d }: { d: RunDetails }) {
  const ready = d.sources.filter((s) => s.state === 'done' || s.state === 'done_with_problems');
  if (ready.length === 0) {
    return <p class="muted">{d.state === 'failed' ? 'No source wrote a file: nothing to look at.' : 'Plots appear here as soon as a source’s file is written.'}</p>;
  }
  return <>{ready.map((s) => <SourcePlots key={s.source} pgroup={d.pgroup} run={d.run_number} s={s} />)}</>;
}

function SourcePlots({ pgroup, run, s }: { pgroup: string; run: number; s: SourceDetails }) {
  const names = s.channels.map((c) => c.name);
  const [channel, setChannel] = useState<string | undefined>(names[0]);
  const [frame, setFrame] = useState(0);
  const picker = names.length > 1 && (
    <label class="picker">
      {s.kind === 'image' ? 'Camera' : s.kind === 'archiver' ? 'PV' : 'Channel'}{' '}
      <select value={channel} onChange={(e) => { setChannel((e.target as HTMLSelectElement).value); setFrame(0); }}>
        {names.map((n) => <option value={n}>{n}</option>)}
      </select>
    </label>
  );
  return (
    <div class="source-plots" data-source={s.source}>
      <h3>{s.source}</h3>
      {picker}
      {(s.kind === 'data' || s.kind === 'archiver') && <SeriesView pgroup={pgroup} run={run} source={s.source} channel={channel} step={s.kind === 'archiver'} />}
      {(s.kind === 'image' || s.kind === 'detector') && <ImageView pgroup={pgroup} run={run} source={s.source} channel={s.kind === 'image' ? channel : undefined} frame={frame} setFrame={setFrame} />}
      {s.kind !== 'archiver' && <PresenceView pgroup={pgroup} run={run} source={s.source} />}
    </div>
  );
}

/** One request per parameter set; the last answer stays shown while the next one loads. */
function usePlot<T extends PlotAnswer>(pgroup: string, run: number, params: Record<string, string | number | undefined>): { plot?: T; error?: ApiError; loading: boolean } {
  const key = JSON.stringify(params);
  const [state, setState] = useState<{ plot?: T; error?: ApiError; loading: boolean }>({ loading: true });
  useEffect(() => {
    let cancelled = false;
    setState((s) => ({ ...s, loading: true }));
    api.plot(pgroup, run, params).then(
      (plot) => !cancelled && setState({ plot: plot as T, loading: false }),
      (error: unknown) => !cancelled && setState({ error: error instanceof ApiError ? error : new ApiError('unavailable', String(error)), loading: false }),
    );
    return () => {
      cancelled = true;
    };
  }, [pgroup, run, key]);
  return state;
}

function SeriesView({ pgroup, run, source, channel, step }: { pgroup: string; run: number; source: string; channel: string | undefined; step: boolean }) {
  const { plot, error, loading } = usePlot<SeriesPlot>(pgroup, run, { source, channel, kind: 'series', points: 1000 });
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || !plot || plot.x.length === 0) return;
    const x0 = plot.x[0]!;
    const data: uPlot.AlignedData = plot.min && plot.max ? [plot.x, plot.y, plot.min, plot.max] : [plot.x, plot.y];
    const series: uPlot.Series[] = [
      { label: 'pulse id', value: (_u, v) => (v === null ? '—' : String(v)) },
      { label: plot.downsampled ? 'mean' : plot.channel, stroke: '#1f6fb2', width: 1.5, points: { show: !plot.downsampled && plot.x.length < 120 }, ...(step ? { paths: uPlot.paths.stepped!({ align: 1 }) } : {}) },
    ];
    if (plot.min && plot.max) series.push({ label: 'min', stroke: 'rgba(31,111,178,0.35)', width: 1 }, { label: 'max', stroke: 'rgba(31,111,178,0.35)', width: 1 });
    const chart = new uPlot({
      width: Math.max(320, el.clientWidth),
      height: 260,
      scales: { x: { time: false } },
      series,
      bands: plot.min && plot.max ? [{ series: [3, 2], fill: 'rgba(31,111,178,0.15)' }] : [],
      axes: [
        { label: `pulse id − ${x0}`, values: (_u, ticks) => ticks.map((t) => String(Math.round(t - x0))) },
        { size: 76, values: (_u, ticks) => ticks.map(tick) },
      ],
      legend: { live: true },
    }, data, el);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(320, el.clientWidth), height: 260 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [plot]);
  return (
    <figure class="plot" data-testid="plot-series" data-channel={plot?.channel}>
      {error && <ErrorBanner error={error} />}
      {loading && !plot && <p class="muted">Reading {channel ?? 'the channel'} from the file…</p>}
      <div ref={box} class="uplot-box" />
      {plot && (
        <figcaption class="muted small">
          {plot.channel}: {count(plot.rows, 'row')}{plot.values_per_row > 1 ? ` (mean of ${plot.values_per_row} values per pulse)` : ''}
          {plot.downsampled ? `, ${plot.pulses_per_point} pulses per point (mean with min–max band)` : ''}
          {plot.gaps > 0 ? `, ${count(plot.gaps, 'gap')} where pulses are missing` : ''}
        </figcaption>
      )}
    </figure>
  );
}

/** Share of expected pulses present per cell -> colour: all there green, none red. */
function cellColour(v: number): [number, number, number] {
  if (v >= 255) return [46, 157, 91];
  if (v === 0) return [214, 69, 65];
  return [240, 160, 40];
}

function PresenceView({ pgroup, run, source }: { pgroup: string; run: number; source: string }) {
  const { plot, error, loading } = usePlot<PresencePlot>(pgroup, run, { source, kind: 'presence', points: 600 });
  return (
    <figure class="plot presence" data-testid="plot-presence">
      {error && <ErrorBanner error={error} />}
      {loading && !plot && <p class="muted">Reading the pulse ids…</p>}
      {plot && (
        <>
          <figcaption class="muted small">Pulse presence, {plot.range.expected_pulses} (green: every expected pulse there; red: missing)</figcaption>
          {plot.channels.map((c) => (
            <div class="strip-row" key={c.name} data-channel={c.name}>
              <span class="strip-name" title={c.name}>{c.name}</span>
              <Strip cells={c.cells} />
              <span class={`strip-count ${c.missing > 0 ? 'bad' : ''}`}>{c.missing > 0 ? `${c.missing.toLocaleString()} missing` : 'complete'}</span>
              {c.missing > 0 && <div class="strip-ranges small">missing: {ranges(c.missing_ranges, c.missing_ranges_total)}</div>}
            </div>
          ))}
          {plot.channels_total > plot.channels.length && <p class="muted small">{plot.channels.length} of {plot.channels_total} channels shown.</p>}
        </>
      )}
    </figure>
  );
}

function Strip({ cells }: { cells: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const bytes = Uint8Array.from(atob(cells), (ch) => ch.charCodeAt(0));
    el.width = Math.max(1, bytes.length);
    el.height = 1;
    const ctx = el.getContext('2d')!;
    const image = ctx.createImageData(el.width, 1);
    bytes.forEach((v, i) => image.data.set([...cellColour(v), 255], i * 4));
    ctx.putImageData(image, 0, 0);
  }, [cells]);
  return <canvas ref={canvas} class="strip" />;
}

function ImageView({ pgroup, run, source, channel, frame, setFrame }: { pgroup: string; run: number; source: string; channel: string | undefined; frame: number; setFrame: (n: number) => void }) {
  const [scale, setScale] = useState<'log' | 'linear' | undefined>(undefined); // undefined: the server's default for the source
  const { plot, error, loading } = usePlot<ImagePlot>(pgroup, run, { source, channel, kind: 'image', frame, size: 1024, scale });
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const el = canvas.current;
    if (!el || !plot) return;
    const img = new Image();
    img.onload = () => {
      el.width = plot.width;
      el.height = plot.height;
      el.getContext('2d')!.drawImage(img, 0, 0);
      // Fit a box of at most 720 x 480 px: small camera images are enlarged (up to 3x), large frames shrunk.
      const room = Math.min(el.parentElement?.clientWidth ?? plot.width, 720);
      const zoom = Math.min(room / plot.width, 480 / plot.height, 3);
      el.style.width = `${Math.round(plot.width * zoom)}px`;
      el.style.height = `${Math.round(plot.height * zoom)}px`;
      el.dataset.drawn = 'true';
    };
    img.src = `data:image/png;base64,${plot.png}`;
  }, [plot]);
  const frames = plot?.frames ?? 0;
  return (
    <figure class="plot image" data-testid="plot-image" data-source={source}>
      {error && <ErrorBanner error={error} />}
      {loading && !plot && <p class="muted">Reading image {frame}…</p>}
      {plot && (
        <div class="frame-controls">
          <button type="button" disabled={frame <= 0} onClick={() => setFrame(frame - 1)} aria-label="previous image">◀</button>
          <label>image <input type="number" min={0} max={frames - 1} value={frame} onChange={(e) => setFrame(Math.max(0, Math.min(frames - 1, Number((e.target as HTMLInputElement).value) || 0)))} /> of {frames}</label>
          <button type="button" disabled={frame >= frames - 1} onClick={() => setFrame(frame + 1)} aria-label="next image">▶</button>
          <span class="muted small">pulse id {plot.pulse_id ?? '—'} · {plot.source_width}×{plot.source_height}{plot.bin > 1 ? `, shown binned ${plot.bin}×${plot.bin} → ${plot.width}×${plot.height}` : ''}{loading ? ' · loading…' : ''}</span>
        </div>
      )}
      <canvas ref={canvas} class="image-canvas" />
      {plot && (
        <div class="colorbar">
          <span>{fmt(plot.min)}</span><span class="gradient" title={`${plot.scale} colour scale (viridis)`} /><span>{fmt(plot.high)}{plot.max !== null && plot.high !== null && plot.max > plot.high ? ` (max ${fmt(plot.max)})` : ''}</span>
          <label class="small"><input type="checkbox" checked={plot.scale === 'log'} onChange={(e) => setScale((e.target as HTMLInputElement).checked ? 'log' : 'linear')} /> log scale</label>
        </div>
      )}
    </figure>
  );
}

/** A y-axis tick: short, and exponential where plain digits would round to 0 (a pressure of 3e-7 mbar). */
function tick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e7) return v.toExponential(2);
  return String(Number(v.toPrecision(6)));
}

const fmt = (n: number | null) => (n === null ? '—' : Math.abs(n) >= 1e5 || (Math.abs(n) < 1e-2 && n !== 0) ? n.toExponential(2) : String(Math.round(n * 100) / 100));
