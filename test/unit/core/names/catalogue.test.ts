import { describe, expect, test } from 'vitest';
import { CachedCatalogue, type NameKind } from '../../../../lib/core/names';

/** A loader the test controls: each call waits for release() (or fails with fail()). */
function gate() {
  const calls: Array<{ resolve: (names: string[]) => void; reject: (e: Error) => void }> = [];
  return {
    calls,
    load: () => new Promise<string[]>((resolve, reject) => calls.push({ resolve, reject })),
  };
}

const ticks = () => new Promise((r) => setImmediate(r));

function catalogue(load: () => Promise<Iterable<string>>, clock: { t: number }, extra: Partial<ConstructorParameters<typeof CachedCatalogue>[0]> = {}) {
  return new CachedCatalogue({ kind: 'bs' as NameKind, buffer: 'data buffer', backend: 'sf-databuffer', load, now: () => clock.t, budgetMs: 50, ...extra });
}

describe('the name cache', () => {
  test('the first ask waits for the names; later asks are hits without a load', async () => {
    const clock = { t: 0 };
    let loads = 0;
    const cat = catalogue(async () => (loads++, ['A', 'B']), clock);
    const first = await cat.names();
    expect(first.ok && first.list.index.has('A')).toBe(true);
    clock.t += 4 * 60_000;
    expect((await cat.names()).ok).toBe(true);
    expect(loads).toBe(1);
  });

  test('a slow buffer: "no answer within" the budget, and the load goes on to fill the cache', async () => {
    const clock = { t: 0 };
    const g = gate();
    const cat = catalogue(g.load, clock);
    expect(await cat.names()).toEqual({ ok: false, why: 'no answer within 50 ms' });
    expect(await cat.names({ budgetMs: 1 })).toEqual({ ok: false, why: 'no answer within 1 ms' });
    expect(g.calls).toHaveLength(1); // one load shared
    g.calls[0]!.resolve(['A']);
    await ticks();
    const later = await cat.names();
    expect(later.ok && later.list.index.has('A')).toBe(true);
  });

  test('stale: answered at once from the old names while one refresh runs; the new names replace them', async () => {
    const clock = { t: 0 };
    const g = gate();
    const cat = catalogue(g.load, clock, { ttlMs: 1000, maxStaleMs: 10_000 });
    const pending = cat.names({ budgetMs: 1_000 });
    g.calls[0]!.resolve(['OLD']);
    expect((await pending).ok).toBe(true);
    clock.t = 2000;
    const stale = await cat.names();
    expect(stale.ok && stale.list.index.has('OLD')).toBe(true);
    await cat.names();
    expect(g.calls).toHaveLength(2);
    g.calls[1]!.resolve(['NEW']);
    await ticks();
    const fresh = await cat.names();
    expect(fresh.ok && fresh.list.index.has('NEW')).toBe(true);
    // Too old to use: wait (up to the budget) for a new list.
    clock.t = 20_000;
    expect(await cat.names({ budgetMs: 1 })).toEqual({ ok: false, why: 'no answer within 1 ms' });
  });

  test('a failed load is reported, and not repeated within the back-off', async () => {
    const clock = { t: 0 };
    let loads = 0;
    const cat = catalogue(async () => {
      loads++;
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    }, clock, { failureBackoffMs: 10_000 });
    expect(await cat.names()).toEqual({ ok: false, why: 'cannot reach the data buffer (ECONNREFUSED)' });
    clock.t = 5_000;
    expect(await cat.names()).toEqual({ ok: false, why: 'cannot reach the data buffer (ECONNREFUSED)' });
    expect(loads).toBe(1);
    clock.t = 11_000;
    await cat.names();
    expect(loads).toBe(2);
  });

  test('an empty list is not a catalogue (every name would be refused)', async () => {
    const cat = catalogue(async () => [], { t: 0 });
    expect(await cat.names()).toEqual({ ok: false, why: 'the data buffer listed no names at all' });
  });

  test('an unchanged list keeps its index (and the suggestion index built on it)', async () => {
    const clock = { t: 0 };
    const cat = catalogue(async () => ['A', 'B'], clock, { ttlMs: 10 });
    const first = await cat.names();
    clock.t = 100;
    await cat.names();
    await cat.refresh();
    const second = await cat.names();
    expect(first.ok && second.ok && first.list.index === second.list.index).toBe(true);
  });

  test('a cancelled check answers at once', async () => {
    const controller = new AbortController();
    controller.abort();
    const cat = catalogue(gate().load, { t: 0 });
    expect(await cat.names({ signal: controller.signal, budgetMs: 10_000 })).toEqual({ ok: false, why: 'the check was cancelled' });
  });
});
