/**
 * The run monitor: the runs of a pgroup, live (#/p12345), and one run with
 * its progress, check and quick-look plots (#/p12345/12). Served by the
 * broker's own API at /monitor; every call carries the caller's key as
 * `x-api-key`, never in an address.
 */
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { useHash } from './hooks';
import { RunPage } from './run';
import { RunsPage } from './runs';
import { getKey, rememberPgroup, setKey, takeStartParameters } from './session';

const start = takeStartParameters();
const PGROUP = /^p[0-9]{5}$/;

function route(hash: string): { pgroup?: string; run?: number } {
  const [pgroup, run] = hash.replace(/^#\/?/, '').split('/');
  return {
    ...(pgroup && PGROUP.test(pgroup) ? { pgroup } : {}),
    ...(run && /^[0-9]{1,9}$/.test(run) ? { run: Number(run) } : {}),
  };
}

if (!route(location.hash).pgroup && start.pgroup && PGROUP.test(start.pgroup)) history.replaceState(history.state, '', `#/${start.pgroup}`);

function App() {
  const hash = useHash();
  const { pgroup, run } = route(hash);
  const [beamline, setBeamline] = useState<string | undefined>();
  const [keyVersion, setKeyVersion] = useState(0);
  if (pgroup) rememberPgroup(pgroup);
  const view = !pgroup ? <Welcome /> : run !== undefined ? <RunPage pgroup={pgroup} run={run} onBeamline={setBeamline} /> : <RunsPage pgroup={pgroup} onBeamline={setBeamline} />;
  return (
    <>
      <header class="top">
        <a class="brand" href={pgroup ? `#/${pgroup}` : '#/'}>sfdaq · run monitor</a>
        {beamline && <span class="beamline" title="The beamline the broker recognised you as">{beamline}</span>}
        <PgroupForm current={pgroup} />
        <KeyForm onChange={() => { setBeamline(undefined); setKeyVersion((v) => v + 1); }} />
      </header>
      {/* A new key: every view asks again. */}
      <div key={keyVersion}>{view}</div>
    </>
  );
}

function Welcome() {
  return (
    <main class="welcome">
      <h1>Which pgroup?</h1>
      <p>Enter a pgroup of your beamline above (e.g. <code>p12345</code>) to watch its runs.</p>
    </main>
  );
}

function PgroupForm({ current }: { current: string | undefined }) {
  const [value, setValue] = useState(current ?? '');
  const [invalid, setInvalid] = useState(false);
  return (
    <form class="pgroup-form" onSubmit={(e) => {
      e.preventDefault();
      const v = value.trim();
      if (!PGROUP.test(v)) return setInvalid(true);
      setInvalid(false);
      location.hash = `#/${v}`;
    }}>
      <label>pgroup <input name="pgroup" value={value} placeholder="p12345" size={8} onInput={(e) => setValue((e.target as HTMLInputElement).value)} aria-invalid={invalid} /></label>
      <button type="submit">Show</button>
      {invalid && <span class="invalid">a pgroup is p and 5 digits</span>}
    </form>
  );
}

function KeyForm({ onChange }: { onChange: () => void }) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState('');
  const key = getKey();
  if (!editing) {
    return (
      <div class="key-form">
        <span class="muted small">{key ? 'API key set' : 'no API key (recognised by your network)'}</span>
        <button type="button" onClick={() => setEditing(true)}>{key ? 'Change key' : 'Enter key'}</button>
        {key && <button type="button" onClick={() => { setKey(null); onChange(); }}>Clear</button>}
      </div>
    );
  }
  return (
    <form class="key-form" onSubmit={(e) => {
      e.preventDefault();
      setKey(value.trim() || null);
      setEditing(false);
      setValue('');
      onChange();
    }}>
      <label>API key <input name="api-key" type="password" autocomplete="off" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} /></label>
      <button type="submit">Use</button>
      <button type="button" onClick={() => setEditing(false)}>Cancel</button>
    </form>
  );
}

const root = document.getElementById('app')!;
root.textContent = ''; // the boot message
render(<App />, root);
