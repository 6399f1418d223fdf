import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RequestRefused } from '../../../lib/core/errors';
import { validateQuicklookQuery } from '../../../lib/quicklook/query';
import { quicklook, type ImageAnswer, type PresenceAnswer, type SeriesAnswer } from '../../../lib/quicklook/quicklook';
import { ALVRA, BERNINA, DET, makePgroup, START, STOP, writeRun, type Pgroup } from './support';

let pg: Pgroup;
beforeAll(async () => {
  pg = makePgroup();
  await writeRun(pg, 1, { longChannel: 5000 });
});
afterAll(() => pg.cleanup());

const ask = (params: Record<string, string>, caller = ALVRA) => quicklook(validateQuicklookQuery({ pgroup: 'p12345', run_number: '1', ...params }), caller, pg.deps);

/** Width, height and pixel indices of a palette PNG (our encoder's: one IDAT, filter 0). */
function decodePng(base64: string): { width: number; height: number; pixels: Uint8Array } {
  const png = Buffer.from(base64, 'base64');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const idat = png.indexOf('IDAT');
  const raw = inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4)));
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) pixels.set(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width);
  return { width, height, pixels };
}

describe('quicklook', () => {
  test('a BS channel against pulse id, with a gap where pulses are missing (waveforms as their mean)', async () => {
    const plot = (await ask({ source: 'BSREAD', channel: 'SAR:B' })) as SeriesAnswer;
    expect(plot).toMatchObject({ kind: 'series', channel: 'SAR:B', rows: 17, downsampled: false, gaps: 2, values_per_row: 4 });
    expect(plot.x.slice(0, 5)).toEqual([START, START + 1, START + 2, START + 3, START + 5]);
    expect(plot.y.slice(0, 5)).toEqual([(1 + 2 + 3 + 0) / 4, (6 + 1) / 4, (6 + 2) / 4, null, (6 + 5) / 4]);
  });

  test('the default kind and channel: series of the first channel', async () => {
    expect(await ask({ source: 'BSREAD' })).toMatchObject({ kind: 'series', channel: 'SAR:A', rows: 20 });
    expect(await ask({ source: 'PVCHANNELS' })).toMatchObject({ kind: 'series', channel: 'PV:X', x: [START - 500, START + 3], y: [3e-7, 4e-7], gaps: 0 });
  });

  test('a long channel is downsampled on the server to the points asked for', async () => {
    const plot = (await ask({ source: 'BSREAD', channel: 'SAR:LONG', points: '200' })) as SeriesAnswer;
    expect(plot.downsampled).toBe(true);
    expect(plot.x.length).toBeLessThanOrEqual(200);
    expect(plot.rows).toBe(5000);
    expect(plot.min!.every((v, i) => v === null || v <= plot.y[i]!)).toBe(true);
  });

  test('pulse presence per channel: which pulses are missing', async () => {
    const plot = (await ask({ source: 'BSREAD', kind: 'presence' })) as PresenceAnswer;
    expect(plot.range).toEqual({ start: START, stop: STOP, rate: 1, expected_pulses: `${START}..${STOP}` });
    const b = plot.channels.find((c) => c.name === 'SAR:B')!;
    expect(b).toMatchObject({ expected: 20, found: 17, missing: 3, missing_ranges: [[START + 3, START + 4], [START + 10, START + 10]] });
    expect([...Buffer.from(b.cells, 'base64')]).toEqual(Array.from({ length: 20 }, (_, i) => ([3, 4, 10].includes(i) ? 0 : 255)));
    expect(plot.channels.find((c) => c.name === 'SAR:A')!.missing).toBe(0);
    const det = (await ask({ source: DET, kind: 'presence' })) as PresenceAnswer;
    expect(det.channels).toHaveLength(1);
    expect(det.channels[0]).toMatchObject({ name: DET, missing: 0 });
  });

  test('one camera image as a PNG, linear by default, log on request', async () => {
    const plot = (await ask({ source: 'CAMERAS', frame: '3' })) as ImageAnswer;
    expect(plot).toMatchObject({ kind: 'image', channel: 'CAM:FPICTURE', frame: 3, frames: 20, pulse_id: START + 3, source_width: 96, source_height: 64, width: 96, height: 64, bin: 1, min: 3, max: 953, scale: 'linear' });
    const png = decodePng(plot.png);
    expect([png.width, png.height]).toEqual([96, 64]);
    expect(png.pixels[0]).toBe(1); // the darkest pixel: the bottom of the scale
    expect(png.pixels[95]).toBeGreaterThan(250); // the brightest column
    expect(png.pixels[48]).toBeGreaterThan(120); // half way: the middle of a linear scale
    expect(png.pixels[48]).toBeLessThan(136);
    const log = (await ask({ source: 'CAMERAS', frame: '3', scale: 'log' })) as ImageAnswer;
    expect(log.scale).toBe('log');
    expect(decodePng(log.png).pixels[48]).toBeGreaterThan(220); // log lifts the middle
  });

  test('a detector frame: modules stacked, gain bits dropped, binned to at most 1024 a side', async () => {
    const plot = (await ask({ source: DET, frame: '7' })) as ImageAnswer;
    expect(plot).toMatchObject({ channel: DET, frame: 7, frames: 20, pulse_id: START + 7, source_width: 1024, source_height: 1536, width: 512, height: 768, bin: 2, min: 0, max: 5000, scale: 'log' });
    const png = decodePng(plot.png);
    expect(png.pixels[Math.floor(7 / 2) * 512 + 50]).toBe(255); // the hit of frame 7: row 7, column 100
    expect(png.pixels.filter((v) => v === 255)).toHaveLength(1);
    const small = (await ask({ source: DET, size: '256' })) as ImageAnswer;
    expect([small.width, small.height, small.bin]).toEqual([171, 256, 6]);
  });

  test('a 16 Mpixel (32-module) frame ships as a small PNG, not 32 MB', async () => {
    const big = makePgroup();
    try {
      await writeRun(big, 1, { modules: 32 });
      const plot = (await quicklook(validateQuicklookQuery({ pgroup: 'p12345', run_number: '1', source: DET, frame: '0' }), ALVRA, big.deps)) as ImageAnswer;
      expect(plot).toMatchObject({ source_width: 1024, source_height: 16384, width: 64, height: 1024, bin: 16 });
      expect(JSON.stringify(plot).length).toBeLessThan(100_000);
    } finally {
      big.cleanup();
    }
  });

  test('refusals a person can act on', async () => {
    const refused = async (params: Record<string, string>, caller = ALVRA) => {
      const error = await ask(params, caller).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestRefused);
      return (error as RequestRefused).message;
    };
    expect(await refused({ source: 'NOPE' })).toBe('run 1 has no source NOPE (it has BSREAD, CAMERAS, PVCHANNELS, JF01T03V01)');
    expect(await refused({ source: 'BSREAD', channel: 'SAR:C' })).toMatch(/^SAR:C is not a channel of BSREAD in this run \(it has SAR:A, SAR:B/);
    expect(await refused({ source: 'BSREAD', channel: 'SAR:TEXT' })).toBe('SAR:TEXT holds strings: there is nothing to plot');
    expect(await refused({ source: 'CAMERAS', frame: '20' })).toBe('frame 20 does not exist: the file holds 20 images (0..19)');
    expect(await refused({ source: 'BSREAD', kind: 'image' })).toBe('BSREAD holds no images: ask for kind=series');
    expect(await refused({ source: 'PVCHANNELS', kind: 'presence' })).toMatch(/PVs are archived when they change/);
    expect(await refused({ source: 'BSREAD' }, BERNINA)).toBe('run 1 of pgroup p12345 does not exist (the last run is 0)');
    expect(() => validateQuicklookQuery({ pgroup: 'p12345', run_number: '1' })).toThrow(/source is missing/);
    expect(() => validateQuicklookQuery({ pgroup: 'p12345', run_number: '1', source: 'BSREAD', points: '5' })).toThrow(/points must be a whole number from 10 to 4000/);
    expect(() => validateQuicklookQuery({ pgroup: 'p12345', run_number: '1', source: 'BSREAD', kind: 'pie' })).toThrow(/kind must be one of/);
    expect(() => validateQuicklookQuery({ pgroup: 'p12345', run_number: '1', source: 'CAMERAS', scale: 'sqrt' })).toThrow('scale must be log or linear');
  });

  test('a damaged file is refused with what HDF5 says, not answered 503', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${pg.raw}/run_000003.BSREAD.h5`, 'not HDF5 at all');
    writeFileSync(`${pg.raw}/.daq/run_000003.json`, JSON.stringify({ pgroup: 'p12345', run_number: 3, start_pulseid: START, stop_pulseid: STOP, channels_list: ['SAR:A'] }));
    await pg.store.putStatus({ beamline: 'alvra', pgroup: 'p12345', run_number: 3, state: 'done', updated: '2026-11-30T12:00:00Z', sources: [{ source: 'BSREAD', kind: 'data', file: `${pg.raw}/run_000003.BSREAD.h5`, state: 'done' }] });
    const refusal = await quicklook(validateQuicklookQuery({ pgroup: 'p12345', run_number: '3', source: 'BSREAD', kind: 'presence' }), ALVRA, pg.deps).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(RequestRefused);
    expect((refusal as Error).message).toMatch(/^the file cannot be opened: .*signature/);
  });

  test('a source still being retrieved, or failed, has no quick look yet', async () => {
    await pg.store.putStatus({
      beamline: 'alvra', pgroup: 'p12345', run_number: 2, state: 'retrieving', updated: '2026-11-30T12:00:00Z',
      sources: [
        { source: 'BSREAD', kind: 'data', file: `${pg.raw}/run_000002.BSREAD.h5`, state: 'pending' },
        { source: 'CAMERAS', kind: 'image', file: `${pg.raw}/run_000002.CAMERAS.h5`, state: 'failed', reason: 'range expired from the image buffer' },
      ],
    });
    const ask2 = (source: string) => quicklook(validateQuicklookQuery({ pgroup: 'p12345', run_number: '2', source }), ALVRA, pg.deps);
    await expect(ask2('BSREAD')).rejects.toThrow('BSREAD of run 2 is still being retrieved: its quick look comes once its file is written');
    await expect(ask2('CAMERAS')).rejects.toThrow('CAMERAS of run 2 failed (range expired from the image buffer): it has no file to look at');
  });
});
