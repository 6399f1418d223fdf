/**
 * `${param:name}` in serverless.yml, resolved as the Serverless Framework
 * resolves it from `params.default` (with local overrides, e.g. the event
 * sources of the local facility). A value that is the whole string keeps its
 * type (a list stays a list: the scan rule's `source:` pattern); inside a
 * longer string it is spliced in as text.
 *
 * @example resolveParams({ params: { default: { a: ['x'] } }, f: { source: '${param:a}' } }) // { ..., f: { source: ['x'] } }
 */
export function resolveParams<T>(config: T & { params?: { default?: Record<string, unknown> } }, overrides: Record<string, unknown> = {}): T {
  const params = { ...(config.params?.default ?? {}), ...overrides };
  const resolve = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const whole = /^\$\{param:([A-Za-z0-9_-]+)\}$/.exec(value);
      if (whole && whole[1]! in params) return params[whole[1]!];
      return value.replace(/\$\{param:([A-Za-z0-9_-]+)\}/g, (text, name: string) => (name in params ? String(params[name]) : text));
    }
    if (Array.isArray(value)) return value.map(resolve);
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
    return value;
  };
  return resolve(config) as T;
}

/**
 * serverless.yml's `schedule` events: function name, period (ms) and input.
 * Only `rate(N unit)` is understood (what this project uses).
 */
export function scheduleRules(functions: Record<string, { events?: unknown[] }>): Array<{ functionName: string; everyMs: number; input?: unknown }> {
  const units: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };
  const rules = [];
  for (const [functionName, fn] of Object.entries(functions)) {
    for (const event of (fn.events ?? []) as Array<{ schedule?: string | { rate?: string | string[]; input?: unknown } }>) {
      if (event.schedule === undefined) continue;
      const spec = typeof event.schedule === 'string' ? { rate: event.schedule } : event.schedule;
      for (const rate of [spec.rate ?? []].flat()) {
        const m = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(rate);
        if (!m) throw new Error(`serverless.yml: ${functionName}: schedule ${JSON.stringify(rate)} is not rate(N unit); the local stack runs only rate() schedules`);
        rules.push({ functionName, everyMs: Number(m[1]) * units[m[2]!]!, ...(spec.input !== undefined ? { input: spec.input } : {}) });
      }
    }
  }
  return rules;
}
