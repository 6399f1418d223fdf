/** Numbers, times and sizes as a person reads them. */

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  if (m < 60) return `${m} min ${s} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Local date and time, seconds precision; today's runs show the time only. */
export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const sameDay = d.toDateString() === new Date().toDateString();
  const hms = d.toLocaleTimeString(undefined, { hour12: false });
  return sameDay ? hms : `${d.toLocaleDateString()} ${hms}`;
}

export const STATE_LABEL: Record<string, string> = {
  accepted: 'accepted',
  retrieving: 'retrieving',
  done: 'done',
  done_with_problems: 'done with problems',
  failed: 'failed',
  pending: 'pending',
};

export function count(n: number, what: string): string {
  return `${n.toLocaleString()} ${what}${n === 1 ? '' : 's'}`;
}

export function ranges(list: Array<[number, number]>, total: number, limit = 8): string {
  const shown = list.slice(0, limit).map(([a, b]) => (a === b ? `${a}` : `${a}..${b}`));
  return shown.join(', ') + (total > shown.length ? `, and ${total - shown.length} more range${total - shown.length === 1 ? '' : 's'}` : '');
}
