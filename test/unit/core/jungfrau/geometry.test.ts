/** Geometry (jungfrau.md §2): shapes the spec quotes, pixel destinations against a naive reference. */
import { describe, expect, test } from 'vitest';
import { imageLayout, lookupGeometry, pixelDestination, rot90 } from '../../../../lib/core/jungfrau/geometry';
import { GEOMETRY_TABLE, UNSUPPORTED_GEOMETRY } from '../../../../lib/core/jungfrau/geometry-table';
import { referenceImage } from './reference';

const layoutOf = (detector: string, gapPixels = true, geometry = true, enabledModules?: number[]) => {
  const found = lookupGeometry(detector);
  if (!found.ok) throw new Error(found.reason);
  return imageLayout(found.geometry, { enabledModules: enabledModules ?? [...Array(found.geometry.modules).keys()], gapPixels, geometry });
};

describe('geometry table', () => {
  test('every entry has one origin pair (and rotation) per module of its name, modules from the name', () => {
    for (const [name, g] of Object.entries(GEOMETRY_TABLE)) {
      const modules = Number(name.slice(5, 7));
      expect(g.originY.length, name).toBe(modules);
      expect(g.originX.length, name).toBe(modules);
      if (g.modRot90) expect(g.modRot90.length, name).toBe(modules);
    }
  });

  test('lookup: full name, else without version; stripsel and JF02T09V01 refused; unknown names refused', () => {
    expect(lookupGeometry('JF07T32V01')).toMatchObject({ ok: true, geometry: { key: 'JF07T32V01', modules: 32, detRot90: 0 } });
    expect(lookupGeometry('JF06T08V04')).toMatchObject({ ok: true, geometry: { key: 'JF06T08V04', detRot90: 1 } });
    for (const name of Object.keys(UNSUPPORTED_GEOMETRY)) expect(lookupGeometry(name)).toMatchObject({ ok: false, reason: expect.stringMatching(/stripsel|side by side/) });
    expect(lookupGeometry('JF99T01V01')).toMatchObject({ ok: false, reason: expect.stringMatching(/no geometry/) });
    expect(lookupGeometry('JF07T32V09')).toMatchObject({ ok: false });
  });
});

describe('output shapes', () => {
  test.for([
    ['JF07T32V01', true, [4432, 4215]],
    ['JF01T03V01', true, [1614, 1030]],
    ['JF01T03V01', false, [1612, 1024]],
    ['JF06T08V04', true, [2136, 2232]], // canvas 2232 x 2136, turned once
    ['JF06T08V04', false, [2130, 2230]],
    ['JF17T16V01', true, [3333, 3212]], // modules 12..15 turned three times
  ] as const)('%s gap_pixels=%s -> %j', ([det, gaps, shape]) => {
    expect(layoutOf(det, gaps).shape).toEqual(shape);
  });

  test('without geometry the enabled modules are stacked', () => {
    expect(layoutOf('JF06T08V04', true, false).shape).toEqual([8 * 514, 1030]);
    expect(layoutOf('JF06T08V04', false, false, [0, 5, 7]).shape).toEqual([3 * 512, 1024]);
    expect(imageLayout(undefined, { enabledModules: [1], gapPixels: false, geometry: false }).shape).toEqual([512, 1024]);
  });

  test('disabled modules keep their place on the canvas', () => {
    expect(layoutOf('JF07T32V01', true, true, [5, 31]).shape).toEqual([4432, 4215]);
  });
});

describe('pixel destinations', () => {
  test('known pixels', () => {
    const jf01 = layoutOf('JF01T03V01');
    expect(pixelDestination(jf01, 1, 0, 0)).toEqual([550, 0]);
    expect(pixelDestination(jf01, 2, 511, 1023)).toEqual([1100 + 513, 1029]);
    expect(pixelDestination(jf01, 0, 256, 256)).toEqual([258, 258]); // after one gap each way
    const jf07 = layoutOf('JF07T32V01');
    expect(pixelDestination(jf07, 0, 0, 0)).toEqual([0, 68]);
    expect(pixelDestination(jf07, 31, 511, 1023)).toEqual([3918 + 513, 3117 + 1029]);
    // JF06T08: canvas turned counter-clockwise: canvas (cy, cx) -> (2136 - 1 - cx, cy)
    const jf06 = layoutOf('JF06T08V04');
    expect(pixelDestination(jf06, 0, 0, 0)).toEqual([2135, 68]);
    expect(pixelDestination(jf06, 1, 0, 1023)).toEqual([2136 - 1 - (1039 + 1029), 0]);
  });

  test.for(['JF01T03V01', 'JF06T08V04', 'JF02T01V02', 'JF17T16V01'])('%s: every module pixel where the naive reference puts it', (det) => {
    const layout = layoutOf(det);
    const ref = referenceImage(det, layout.placements.map((p) => p.module), true);
    expect([ref.length, ref[0]!.length]).toEqual(layout.shape);
    const [, W] = layout.shape;
    let checked = 0;
    for (let y = 0; y < ref.length; y++) {
      for (let x = 0; x < W; x++) {
        const id = ref[y]![x]!;
        if (id < 0 || (id % 13 !== 0 && y % 97 !== 0)) continue; // a sample of every row and a spread of pixels
        const m = Math.floor(id / 524288);
        const r = id % 524288;
        expect(pixelDestination(layout, m, Math.floor(r / 1024), r % 1024)).toEqual([y, x]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  test('JF07T32 with two modules enabled, no gaps', () => {
    const layout = layoutOf('JF07T32V01', false, true, [3, 20]);
    const ref = referenceImage('JF07T32V01', [3, 20], false);
    expect(layout.shape).toEqual([ref.length, ref[0]!.length]);
    for (const [m, y, x] of [[3, 0, 0], [3, 511, 1023], [20, 100, 700], [20, 300, 5]] as const) {
      const [oy, ox] = pixelDestination(layout, m, y, x)!;
      expect(ref[oy]![ox]).toBe(m * 524288 + y * 1024 + x);
    }
  });

  test('rot90 follows numpy', () => {
    // a 2 x 3 array [[a b c], [d e f]] turned once is [[c f], [b e], [a d]]
    expect(rot90(0, 2, 2, 3, 1)).toEqual([0, 0]); // c
    expect(rot90(1, 0, 2, 3, 1)).toEqual([2, 1]); // d
    expect(rot90(0, 0, 2, 3, 2)).toEqual([1, 2]);
    expect(rot90(0, 0, 2, 3, 3)).toEqual([0, 1]);
  });
});
