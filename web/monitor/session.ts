/**
 * The caller's API key and the pgroup being watched. A key given as
 * `/monitor?key=...` is moved into sessionStorage and taken out of the
 * address bar at once (the page sends no Referer), so it is never in an
 * address the page requests: every call carries it as `x-api-key`.
 */
const KEY = 'sfdaq-monitor-key';
const PGROUP = 'sfdaq-monitor-pgroup';

export interface Start {
  key: string | null;
  pgroup: string | null;
}

/** Read `?key=` and `?pgroup=` once, keep the key, clean the address. */
export function takeStartParameters(): Start {
  const url = new URL(location.href);
  const key = url.searchParams.get('key');
  const pgroup = url.searchParams.get('pgroup');
  if (key !== null) {
    setKey(key);
    url.searchParams.delete('key');
    history.replaceState(history.state, '', url.pathname + (url.search === '?' ? '' : url.search) + url.hash);
  }
  if (pgroup) localStorage.setItem(PGROUP, pgroup);
  return { key: getKey(), pgroup: pgroup ?? localStorage.getItem(PGROUP) };
}

export function getKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
}

export function rememberPgroup(pgroup: string): void {
  localStorage.setItem(PGROUP, pgroup);
}
