import { describe, expect, test } from 'vitest';
import { CachedCatalogue, checkNames, NameIndex } from '../../../../lib/core/names';
import { boundedDistance, closestOf } from '../../../../lib/core/names/distance';
import { swissfelNames } from './swissfel-names';

const DEMO = ['SAR-CVME-TIFALL5:EvtSet', 'SAR-CVME-TIFALL4:EvtSet', 'SARFE10-PBPG050:HAMP-INTENSITY-CAL', 'SARFE10-PBPG050:INTENSITY', 'SLAAR11-LMOT-M451:ENC_1_BS', 'SINEG01-DICT215:B1_CHARGE'];

describe('edit distance (optimal string alignment, bounded)', () => {
  test.for([
    ['EvtSet', 'EvtSet', 0],
    ['EvtSte', 'EvtSet', 1], // a transposition
    ['EvtSt', 'EvtSet', 1],
    ['TIFALL7', 'TIFALL5', 1],
    ['kitten', 'sitting', 3],
  ] as const)('%s ~ %s = %i', ([a, b, d]) => {
    expect(boundedDistance(a, b, 5)).toBe(d);
    expect(boundedDistance(b, a, 5)).toBe(d);
  });

  test('beyond the bound it answers bound + 1, cheaply', () => {
    expect(boundedDistance('kitten', 'sitting', 2)).toBe(3);
    expect(boundedDistance('a'.repeat(200), 'b'.repeat(200), 3)).toBe(4);
    expect(boundedDistance('', 'abc', 2)).toBe(3);
  });

  test('closestOf a few candidates (detectors)', () => {
    expect(closestOf('JF01T03V02', ['JF01T03V01', 'JF07T32V01'], { max: 1 })).toEqual(['JF01T03V01']);
    expect(closestOf('JF07T01V01', ['JF01T03V01'], { max: 1 })).toEqual([]);
  });
});

describe('suggestions ("did you mean")', () => {
  const index = new NameIndex(DEMO);

  test.for([
    ['a wrong digit', 'SAR-CVME-TIFALL7:EvtSet', ['SAR-CVME-TIFALL4:EvtSet', 'SAR-CVME-TIFALL5:EvtSet']],
    ['the wrong case', 'sar-cvme-tifall5:evtset', ['SAR-CVME-TIFALL5:EvtSet']],
    ['a transposition', 'SAR-CVME-TIFALL5:EvtSte', ['SAR-CVME-TIFALL5:EvtSet']],
    ['a truncated name', 'SARFE10-PBPG050:HAMP', ['SARFE10-PBPG050:HAMP-INTENSITY-CAL']],
    ['another signal of the device', 'SARFE10-PBPG050:NOPE', ['SARFE10-PBPG050:INTENSITY', 'SARFE10-PBPG050:HAMP-INTENSITY-CAL']],
  ] as const)('%s: %s', ([, name, expected]) => {
    expect(index.suggest(name, 3).slice(0, expected.length)).toEqual(expected);
  });

  test('nothing close: nothing suggested', () => {
    expect(index.suggest('SXYZ99-QWERTY:UIOP')).toEqual([]);
    expect(index.suggest('zz')).toEqual([]);
  });
});

describe('10,000 names against a catalogue of 100,000 (SwissFEL-like)', () => {
  const catalogue = swissfelNames(100_000);
  const typo = (n: string) => `${n.slice(0, 5)}${n[6]}${n[5]}${n.slice(7)}`; // two digits swapped

  test('check, suggestions and cache hits stay fast (timings printed)', async () => {
    const bs = new CachedCatalogue({ kind: 'bs', buffer: 'data buffer', backend: 'sf-databuffer', load: async () => catalogue });
    let t = performance.now();
    await bs.names();
    const loadMs = performance.now() - t;

    // A good request: every name known.
    const good = catalogue.slice(0, 10_000);
    t = performance.now();
    const ok = await checkNames({ channels_list: good }, { bs });
    const goodMs = performance.now() - t;
    expect(ok.refusal).toBeUndefined();

    // Three mistakes among 10,000; the first refusal also builds the suggestion index.
    const bad = [...good];
    bad[3] = typo(bad[3]!);
    bad[500] = `${bad[500]!}X`;
    bad[9000] = 'SXYZ99-QWERTY:UIOP';
    t = performance.now();
    const first = await checkNames({ channels_list: bad }, { bs });
    const firstRefusalMs = performance.now() - t;
    t = performance.now();
    const refused = await checkNames({ channels_list: bad }, { bs });
    const refusalMs = performance.now() - t;
    expect(first.refusal?.message).toBe(refused.refusal?.message);
    expect(refused.refusal?.field).toBe('channels_list[3]');
    expect(refused.unknown.map((u) => u.field)).toEqual(['channels_list[3]', 'channels_list[500]', 'channels_list[9000]']);
    expect(refused.unknown[0]!.suggestions[0]).toBe(good[3]);
    expect(refused.unknown[1]!.suggestions[0]).toBe(good[500]);
    expect(refused.unknown[2]!.suggestions).toEqual([]);

    // The worst case: every name unknown (suggestions for the first 5 only).
    const wrong = good.map((n) => `${n}X`);
    t = performance.now();
    const all = await checkNames({ channels_list: wrong }, { bs });
    const allWrongMs = performance.now() - t;
    expect(all.unknown).toHaveLength(10_000);
    expect(all.refusal!.message).toMatch(/^10000 names are not known to the buffers: .*; and 9995 more \(channels_list\[5\], /);

    // One suggestion on its own.
    const index = (await bs.names()).ok ? ((await bs.names()) as { ok: true; list: { index: NameIndex } }).list.index : undefined;
    t = performance.now();
    for (let i = 0; i < 50; i++) index!.suggest(typo(catalogue[i * 1999]!));
    const suggestMs = (performance.now() - t) / 50;

    t = performance.now();
    for (let i = 0; i < 10_000; i++) await bs.names();
    const hitUs = ((performance.now() - t) / 10_000) * 1000;

    console.log(
      `name check, 100,000-name catalogue: load+Set ${loadMs.toFixed(0)} ms; 10,000 known names ${goodMs.toFixed(1)} ms; ` +
        `3 unknown: first refusal (builds the index) ${firstRefusalMs.toFixed(0)} ms, then ${refusalMs.toFixed(1)} ms; ` +
        `10,000 unknown ${allWrongMs.toFixed(0)} ms; one suggestion ${suggestMs.toFixed(2)} ms; cache hit ${hitUs.toFixed(2)} µs`,
    );
    // Generous bounds (a shared 2-core machine): the point is the order of magnitude.
    expect(goodMs).toBeLessThan(200);
    expect(refusalMs).toBeLessThan(300);
    expect(allWrongMs).toBeLessThan(1_000);
    expect(hitUs).toBeLessThan(100);
  }, 60_000);
});
