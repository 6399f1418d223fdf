/**
 * The conversion, pixel by pixel against jungfrau.md §4: every gain stage and
 * the invalid word, high gain, factor and its rounding, masks, double pixels
 * (keep, mask, interp), gap pixels, geometry, ROI, downsample, blocks of frames.
 */
import { describe, expect, test } from 'vitest';
import { createConverter, roundHalfEven } from '../../../../lib/core/jungfrau/converter';
import { imageLayout, lookupGeometry, pixelDestination } from '../../../../lib/core/jungfrau/geometry';
import { isDoublePixel, isModuleEdge } from '../../../../lib/core/jungfrau/masks';
import { expectedValue, knownCalibration, knownRaw, MP, pyRound, resolved } from './fixtures';
import { referenceImage } from './reference';

describe('the formula, every pixel', () => {
  test.for([
    ['float32 keV, 6 gain planes', 6, 3, null, false],
    ['factor 0.7 -> int32', 6, 3, 0.7, false],
    ['high gain, 6 gain planes, 3 pedestal planes', 6, 3, null, true],
    ['high gain, 4 gain planes, 4 pedestal planes', 4, 4, null, true],
    ['high gain with a factor', 4, 3, 2.5, true],
  ] as const)('%s', ([, gainPlanes, pedPlanes, factor, highgain]) => {
    const modules = 1;
    const cal = knownCalibration(modules, gainPlanes, pedPlanes);
    const frames = 3;
    const raw = knownRaw(modules, frames);
    const options = resolved('JF03T01V01', modules, { adc_to_energy: true, gap_pixels: false, double_pixels: 'keep', factor });
    const c = createConverter(cal, options, { highgain });
    expect(c.dtype).toBe(factor === null ? 'float32' : 'int32');
    const [out] = c.allocate(frames);
    c.convert(raw, frames, [out!]);
    expect(out).toBeInstanceOf(factor === null ? Float32Array : Int32Array);
    let stages = new Set<number>();
    for (let f = 0; f < frames; f++) {
      for (let i = 0; i < MP; i++) {
        const word = raw[f * MP + i]!;
        stages.add(word >>> 14);
        const want = expectedValue(cal, i, word, factor, highgain);
        if (out![f * MP + i] !== want) expect(`frame ${f} pixel ${i}: ${out![f * MP + i]}`).toBe(`frame ${f} pixel ${i}: ${want}`);
      }
    }
    expect([...stages].sort()).toEqual([0, 1, 2, 3]);
    // and the formula is the physics: (adc - P) / G within float32 rounding
    const w = raw[12345]!;
    const s = [0, 1, 2, 2][w >>> 14]!;
    if (factor === null && !highgain) expect(out![12345]).toBeCloseTo(((w & 0x3fff) - cal.pedestal[s]![12345]!) / cal.gain[s]![12345]!, 2);
  });

  test('the invalid gain bits 10 use G2 constants, unmasked', () => {
    const cal = knownCalibration(1);
    const raw = new Uint16Array(MP).fill((0b10 << 14) | 5000);
    const c = createConverter(cal, resolved('JF03T01V01', 1, { adc_to_energy: true, gap_pixels: false, double_pixels: 'keep' }));
    const [out] = c.allocate(1);
    c.convert(raw, 1, [out!]);
    expect(out![777]).toBe(Math.fround(Math.fround(5000 - cal.pedestal[2]![777]!) * Math.fround(1 / cal.gain[2]![777]!)));
    expect(out![777]).not.toBe(0);
  });

  test('round half to even with a factor, as Python round()', () => {
    expect([...Int32Array.from([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001, 1e6 + 0.5, -1e6 - 1.5].map(roundHalfEven))]).toEqual([0, 2, 2, 0, -2, -2, 2, 3, 1e6, -1e6 - 2]);
    const cal = knownCalibration(1);
    for (let i = 0; i < 4; i++) {
      cal.pedestal[0]![i] = 0;
      cal.gain[0]![i] = i < 2 ? 2 : -2;
    }
    const raw = new Uint16Array(MP);
    raw.set([5, 7, 5, 7]); // E/F = 2.5, 3.5, -2.5, -3.5 with F = 1
    const c = createConverter(cal, resolved('JF03T01V01', 1, { adc_to_energy: true, gap_pixels: false, double_pixels: 'keep', factor: 1 }));
    const [out] = c.allocate(1);
    c.convert(raw, 1, [out!]);
    expect([...out!.subarray(0, 4)]).toEqual([2, 4, -2, -4]);
    expect(pyRound(2.5)).toBe(2);
  });
});

describe('masks', () => {
  const cal = knownCalibration(1, 6, 3, 1000);
  const raw = knownRaw(1, 1);
  const run = (options: object) => {
    const c = createConverter(cal, resolved('JF03T01V01', 1, { adc_to_energy: true, gap_pixels: false, ...options }));
    const [out] = c.allocate(1);
    c.convert(raw, 1, [out!]);
    return { out: out!, image: c.images[0]! };
  };

  test('pixel_mask bits, double pixels "mask", module edges "mask": value 0, meta pixel_mask false, reasons', () => {
    const { out, image } = run({ double_pixels: 'mask', module_edge_pixels: 'mask' });
    for (let i = 0; i < MP; i++) {
      const y = Math.floor(i / 1024);
      const x = i % 1024;
      const bad = cal.pixelMask[i] !== 0 || isDoublePixel(y, x) || isModuleEdge(y, x);
      const want = bad ? 0 : expectedValue(cal, i, raw[i]!, null);
      if (out[i] !== want) expect(`pixel ${i}: ${out[i]}`).toBe(`pixel ${i}: ${want}`);
      if (image.pixelMask[i] !== (bad ? 0 : 1)) expect(`mask ${i}`).toBe('agrees');
      const reasons = cal.pixelMask[i]! | (isDoublePixel(y, x) ? 1 << 21 : 0) | (isModuleEdge(y, x) ? 1 << 22 : 0);
      if (image.pixelMaskReasons[i] !== reasons >>> 0) expect(`reasons ${i}: ${image.pixelMaskReasons[i]}`).toBe(`reasons ${i}: ${reasons}`);
    }
    expect(image.goodPixelsFraction).toBeCloseTo([...image.pixelMask].filter(Boolean).length / MP, 10);
  });

  test('double pixels "keep": converted like any pixel; mask false keeps bad pixels too', () => {
    const keep = run({ double_pixels: 'keep' });
    const at = 255 * 1024 + 300; // a double row
    expect(keep.out[at]).toBe(expectedValue(cal, at, raw[at]!, null));
    expect(keep.image.pixelMask[at]).toBe(1);
    const unmasked = run({ double_pixels: 'mask', mask: false });
    expect(unmasked.out[5]).toBe(expectedValue(cal, 5, raw[5]!, null)); // pixel_mask bit set, kept
    expect(unmasked.out[at]).toBe(expectedValue(cal, at, raw[at]!, null));
    expect(unmasked.image.pixelMask[at]).toBe(0); // the mask still says it is a masked double pixel
  });
});

describe('gap pixels and double pixels', () => {
  const cal = knownCalibration(1);
  const raw = knownRaw(1, 1);
  const W = 1030;
  const convert = (options: object) => {
    const c = createConverter(cal, resolved('JF03T01V01', 1, { adc_to_energy: true, ...options }));
    const [out] = c.allocate(1);
    c.convert(raw, 1, [out!]);
    return { out: out as Float32Array, image: c.images[0]! };
  };
  const value = (y: number, x: number) => expectedValue(cal, y * 1024 + x, raw[y * 1024 + x]!, null);

  test('gaps: (y, x) -> (y + 2 floor(y/256), x + 2 floor(x/256)); gap pixels 0 and empty (bit 20)', () => {
    const { out, image } = convert({ double_pixels: 'keep' });
    expect(image.shape).toEqual([514, 1030]);
    for (let y = 0; y < 512; y++) {
      for (let x = 0; x < 1024; x++) {
        const o = (y + 2 * Math.floor(y / 256)) * W + x + 2 * Math.floor(x / 256);
        if (out[o] !== value(y, x)) expect(`(${y}, ${x})`).toBe('in place');
      }
    }
    for (const [y, x] of [[256, 0], [257, 1029], [0, 256], [513, 257], [100, 514], [100, 773]] as const) {
      expect(out[y * W + x], `gap (${y}, ${x})`).toBe(0);
      expect(image.pixelMaskReasons[y * W + x]).toBe(1 << 20);
    }
  });

  test('interp: corners share value/4 over their 2 x 2 block; other double pixels keep v(4a+c)/(6a+3c), the gap gets the rest', () => {
    const { out, image } = convert({ double_pixels: 'interp' });
    const f32 = Math.fround;
    // chip corner raw (255, 255) -> (255, 255), block rows 255..256, cols 255..256
    const corner = value(255, 255);
    for (const [y, x] of [[255, 255], [255, 256], [256, 255], [256, 256]] as const) expect(out[y * W + x]).toBe(f32(corner / 4));
    const corner2 = value(256, 768); // raw (256, 768) -> (258, 774), block rows 257..258, cols 773..774
    for (const [y, x] of [[257, 773], [257, 774], [258, 773], [258, 774]] as const) expect(out[y * W + x]).toBe(f32(corner2 / 4));
    // double row: raw (255, 10) -> (255, 10): a = raw (254, 10), c = raw (256, 10)
    const check = (v: number, a: number, c: number, at: number, gap: number) => {
      const div = 6 * a + 3 * c;
      const keep = div === 0 ? f32(v / 2) : f32(v * ((4 * a + c) / div));
      expect(out[at]).toBe(keep);
      expect(out[gap]).toBe(div === 0 ? f32(v / 2) : f32(v - keep));
      expect(out[at]! + out[gap]!).toBeCloseTo(v, 2);
    };
    check(value(255, 10), value(254, 10), value(256, 10), 255 * W + 10, 256 * W + 10);
    check(value(256, 10), value(257, 10), value(255, 10), 258 * W + 10, 257 * W + 10);
    // double column: raw (300, 511) -> (302, 513), facing raw (300, 512) -> (302, 516)
    check(value(300, 511), value(300, 510), value(300, 512), 302 * W + 513, 302 * W + 514);
    check(value(300, 512), value(300, 513), value(300, 511), 302 * W + 516, 302 * W + 515);
    // the gap pixels now hold values: their mask says good when both neighbours are
    expect(image.pixelMask[256 * W + 10]).toBe(1);
    expect(image.pixelMask[302 * W + 514]).toBe(1);
  });

  test('interp: 6a + 3c = 0 splits v in halves', () => {
    const c2 = knownCalibration(1);
    const raw2 = new Uint16Array(MP);
    for (let i = 0; i < MP; i++) {
      c2.pedestal[0]![i] = 0;
      c2.gain[0]![i] = 1;
    }
    raw2[255 * 1024 + 40] = 1000; // a = raw (254, 40) = 0, c = raw (256, 40) = 0
    const c = createConverter(c2, resolved('JF03T01V01', 1, { adc_to_energy: true, double_pixels: 'interp' }));
    const [out] = c.allocate(1);
    c.convert(raw2, 1, [out!]);
    expect([out![255 * W + 40], out![256 * W + 40]]).toEqual([500, 500]);
  });
});

describe('geometry through the converter', () => {
  test.for([
    ['JF01T03V01', 3, [0, 1, 2]],
    ['JF06T08V04', 8, [0, 2, 5]],
  ] as const)('%s: every converted pixel where the reference image puts it (disabled modules stay empty)', ([det, modules, enabled]) => {
    const cal = knownCalibration(modules);
    const raw = knownRaw(modules, 1);
    const disabled = [...Array(modules).keys()].filter((m) => !(enabled as readonly number[]).includes(m));
    const options = resolved(det, modules, { adc_to_energy: true, geometry: true, double_pixels: 'keep', disabled_modules: disabled });
    const c = createConverter(cal, options, { inputModules: [...Array(modules).keys()] }); // raw file with every module
    const [out] = c.allocate(1);
    c.convert(raw, 1, [out!]);
    const ref = referenceImage(det, [...enabled], true);
    expect(c.imageShape).toEqual([ref.length, ref[0]!.length]);
    const W = c.imageShape[1];
    for (let y = 0; y < ref.length; y += 3) {
      for (let x = 0; x < W; x++) {
        const id = ref[y]![x]!;
        const want = id < 0 ? 0 : expectedValue(cal, id, raw[id]!, null);
        if (out![y * W + x] !== want) expect(`(${y}, ${x}) of raw pixel ${id}: ${out![y * W + x]}`).toBe(`${want}`);
      }
    }
    expect([...c.moduleMap]).toEqual([...Array(modules).keys()].map((m) => ((enabled as readonly number[]).includes(m) ? m : -1)));
  });

  test('JF07T32: 4432 x 4215 with two modules enabled; known destinations', () => {
    const modules = 32;
    const options = resolved('JF07T32V01', modules, { adc_to_energy: true, geometry: true, double_pixels: 'keep', disabled_modules: [...Array(32).keys()].filter((m) => m !== 0 && m !== 31) });
    expect(options.imageShape).toEqual([4432, 4215]);
    // a calibration for 32 modules only where it matters: constants 1, 0
    const n = modules * MP;
    const ones = new Float32Array(n).fill(1);
    const zeros = new Float32Array(n);
    const c = createConverter({ modules, gain: [ones, ones, ones, ones], pedestal: [zeros, zeros, zeros], pixelMask: new Uint32Array(n) }, options);
    const raw = new Uint16Array(2 * MP);
    raw[0] = 7; // module 0 (0, 0) -> (0, 68)
    raw[MP + 511 * 1024 + 1023] = 9; // module 31 (511, 1023) -> (3918 + 513, 3117 + 1029)
    const [out] = c.allocate(1);
    c.convert(raw, 1, [out!]);
    expect(out![0 * 4215 + 68]).toBe(7);
    expect(out![(3918 + 513) * 4215 + 3117 + 1029]).toBe(9);
  });

  test('no conversion: raw words of the enabled modules, stacked', () => {
    const raw = knownRaw(3, 2);
    const options = resolved('JF01T03V01', 3, { disabled_modules: [1] });
    const c = createConverter(undefined, options, { inputModules: [0, 1, 2] });
    expect([c.dtype, c.imageShape]).toEqual(['uint16', [1024, 1024]]);
    const [out] = c.allocate(2);
    c.convert(raw, 2, [out!]);
    expect(out![2 * MP + MP + 5]).toBe(raw[3 * MP + 2 * MP + 5]); // frame 1, second image module = detector module 2
    expect(out![5]).toBe(raw[5]);
  });
});

describe('ROI, downsample, blocks', () => {
  const cal = knownCalibration(3);
  const raw = knownRaw(3, 11);

  test('blocks: 11 frames at once equal frames one by one', () => {
    const options = resolved('JF01T03V01', 3, { adc_to_energy: true, geometry: true });
    const c = createConverter(cal, options);
    const [all] = c.allocate(11);
    c.convert(raw, 11, [all!]);
    const [one] = c.allocate(1);
    const px = c.imageShape[0] * c.imageShape[1];
    for (const f of [0, 7, 8, 10]) {
      one!.fill(123);
      c.convert(raw.subarray(f * 3 * MP), 1, [one!]);
      expect(Buffer.from(one!.buffer).equals(Buffer.from(all!.buffer, f * px * 4, px * 4)), `frame ${f}`).toBe(true);
    }
  });

  test('roi: each named rectangle cut from the output image, with its mask', () => {
    const rois = { signal: [100, 200, 50, 300], corner: [1500, 1613, 1000, 1029] };
    const options = resolved('JF01T03V01', 3, { adc_to_energy: true, geometry: true, factor: 0.5, roi: rois });
    const full = createConverter(cal, resolved('JF01T03V01', 3, { adc_to_energy: true, geometry: true, factor: 0.5 }));
    const c = createConverter(cal, options);
    expect(c.images.map((i) => [i.group, i.shape])).toEqual([['data/JF01T03V01:ROI_signal', [100, 250]], ['data/JF01T03V01:ROI_corner', [113, 29]]]);
    const outs = c.allocate(2);
    c.convert(raw, 2, outs);
    const [f] = full.allocate(2);
    full.convert(raw, 2, [f!]);
    const W = 1030;
    c.images.forEach((im, k) => {
      const r = im.roi!;
      const h = r.y2 - r.y1;
      const w = r.x2 - r.x1;
      for (let fr = 0; fr < 2; fr++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const want = f![fr * 1614 * W + (r.y1 + y) * W + r.x1 + x];
            if (outs[k]![fr * h * w + y * w + x] !== want) expect(`${im.group} frame ${fr} (${y}, ${x})`).toBe(`${want}`);
          }
        }
      }
      expect(im.pixelMask[0]).toBe(full.images[0]!.pixelMask[r.y1 * W + r.x1]);
    });
  });

  test('downsample [2, 3]: block sum of good pixels x 6 / good pixels, then round(/F)', () => {
    const base = resolved('JF01T03V01', 3, { adc_to_energy: true, geometry: true });
    const full = createConverter(cal, base);
    const [f] = full.allocate(1);
    full.convert(raw, 1, [f!]);
    for (const factor of [null, 0.25]) {
      const c = createConverter(cal, resolved('JF01T03V01', 3, { adc_to_energy: true, geometry: true, downsample: [2, 3], factor }));
      expect(c.images[0]!.shape).toEqual([807, 343]);
      const [out] = c.allocate(1);
      c.convert(raw, 1, [out!]);
      const good = full.images[0]!.pixelMask;
      for (const [oy, ox] of [[0, 0], [100, 100], [127, 85], [128, 85], [806, 342], [300, 200]] as const) {
        let sum = 0;
        let n = 0;
        for (let y = 2 * oy; y < 2 * oy + 2; y++) {
          for (let x = 3 * ox; x < 3 * ox + 3; x++) {
            if (good[y * 1030 + x]) {
              sum += f![y * 1030 + x]!;
              n++;
            }
          }
        }
        const v = n ? (sum * 6) / n : 0;
        expect(out![oy * 343 + ox], `${factor} (${oy}, ${ox})`).toBe(factor === null ? Math.fround(v) : pyRound(v / factor));
      }
    }
  });

  test('the converter refuses what cannot be done', () => {
    const options = resolved('JF01T03V01', 3, { adc_to_energy: true });
    expect(() => createConverter(undefined, options)).toThrow(/gain and pedestal/);
    expect(() => createConverter(knownCalibration(1), options)).toThrow(/1 modules, the detector has 3/);
    const c = createConverter(cal, options);
    expect(() => c.convert(raw, 12, c.allocate(12))).toThrow(/12 frames need/);
    expect(() => createConverter(cal, options, { inputModules: [0, 1] })).toThrow(/module 2 is enabled/);
  });
});

test('layout helper agrees with the converter', () => {
  const g = lookupGeometry('JF01T03V01');
  if (!g.ok) throw new Error(g.reason);
  const layout = imageLayout(g.geometry, { enabledModules: [0, 1, 2], gapPixels: true, geometry: true });
  expect(pixelDestination(layout, 2, 0, 0)).toEqual([1100, 0]);
});
