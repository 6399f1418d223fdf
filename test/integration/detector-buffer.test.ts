/**
 * The live detector buffer simulator and the reader together: a fake clock
 * drives the writer pass by pass across a folder boundary (100,000) and past
 * retention; then a short run on the real clock.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { DetectorBufferReader, type DetectorFrame } from '../../lib/adapters/buffers/detector/reader';
import { FacilityClock } from '../../lib/core/clock';
import { RangeExpired } from '../../lib/core/errors';
import { DetectorBufferSimulator, expectedFrameHeader, fillModulePixels } from '../../local/simulators/detector';

const DET = 'JF04T02V01';
const T0 = Date.UTC(2024, 0, 1);
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});
function tempRoot(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'detector-live-'));
  roots.push(root);
  return root;
}

async function collect(reader: DetectorBufferReader, start: bigint, stop: bigint): Promise<DetectorFrame[]> {
  const frames: DetectorFrame[] = [];
  const expected = new Uint16Array(512 * 1024);
  for await (const frame of reader.readFrames({ start, stop, step: 1n })) {
    frame.modules.forEach((m, k) => {
      if (m.status !== 'good') return;
      fillModulePixels(DET, m.index, frame.pulseId, 'sparse', expected);
      const got = Buffer.from(frame.pixels.buffer, frame.pixels.byteOffset + k * 1_048_576, 1_048_576);
      expect(got.equals(Buffer.from(expected.buffer))).toBe(true);
    });
    frames.push(frame);
  }
  return frames;
}

describe('detector buffer: live simulator + reader', () => {
  test('rotation, LATEST, run-time faults, retention and RangeExpired', async () => {
    const root = tempRoot();
    let now = T0;
    const clock = new FacilityClock({ epochPulseId: 99_900n, epochTimeMs: T0 }, () => now);
    const sim = new DetectorBufferSimulator({ root, detectors: [DET], clock, retentionPulses: 500, pixels: 'sparse', tickMs: 3_600_000 });
    const advanceTo = (pulseId: bigint) => {
      while (clock.currentPulseId() < pulseId) {
        now += 200; // one pass per 20 pulses, as the live writer does
        sim.tick();
      }
    };
    const latest = (m: number) => readFileSync(path.join(root, DET, `M0${m}`, 'LATEST'), 'utf8');
    const reader = new DetectorBufferReader({ root, detector: DET });
    try {
      sim.start();
      expect(sim.lastPulseId).toBe(99_900n);
      expect(existsSync(path.join(root, DET, 'M00', 'LATEST'))).toBe(false); // no file closed yet

      advanceTo(100_050n); // passes of 20 pulses: the writer is at 100,060
      for (const m of [0, 1]) expect(latest(m)).toBe(`${path.resolve(root, DET, `M0${m}`, '0', '99000.bin')}\n`);
      expect((await reader.probe(99_950n, 100_040n)).state).toBe('available');
      expect((await reader.probe(100_040n, 100_100n)).state).toBe('not-yet-written');
      const frames = await collect(reader, 99_995n, 100_005n);
      expect(frames.map((f) => f.pulseId)).toEqual([...Array(11).keys()].map((i) => 99_995n + BigInt(i)));
      expect(frames.every((f) => f.isGoodFrame)).toBe(true);
      expect(frames.map((f) => f.frameIndex)).toEqual(frames.map((f) => expectedFrameHeader(DET, 0, f.pulseId).frameIndex));

      sim.faults = { missingPulseIds: [100_070n], duplicatedPulseIds: [100_071n], badPacketPulseIds: [100_072n], faultModules: [1] };
      advanceTo(100_100n);
      sim.faults = {};
      const faulty = await collect(reader, 100_069n, 100_073n);
      expect(faulty.map((f) => f.modules.map((m) => m.status).join(','))).toEqual([
        'good,good',
        'good,missing',
        'good,stale',
        'good,bad-packets',
        'good,good',
      ]);

      advanceTo(101_100n); // keeps pulses >= 100,600: file 99000 and its folder 0 go
      for (const m of ['M00', 'M01']) {
        expect(readdirSync(path.join(root, DET, m)).sort()).toEqual(['100000', 'LATEST']);
        expect(readdirSync(path.join(root, DET, m, '100000')).sort()).toEqual(['100000.bin', '101000.bin']);
      }
      await expect(reader.probe(99_950n, 99_990n)).rejects.toBeInstanceOf(RangeExpired);
      expect(await reader.probe(99_950n, 100_100n)).toMatchObject({ state: 'available', partiallyExpired: true });
      const edge = await collect(reader, 99_999n, 100_000n);
      expect(edge.map((f) => f.modules.map((m) => m.status).join(','))).toEqual(['missing,missing', 'good,good']);
    } finally {
      sim.stop();
    }
    expect(latest(0)).toBe(`${path.resolve(root, DET, 'M00', '100000', '101000.bin')}\n`);
  });

  test('start() on the real clock keeps the buffer current', async () => {
    const root = tempRoot();
    const sim = new DetectorBufferSimulator({ root, detectors: ['JF03T01V01'], clock: new FacilityClock(), retentionPulses: 1000, pixels: 'sparse', tickMs: 50, backfillPulses: 20 });
    sim.start();
    const first = sim.lastPulseId!;
    await new Promise((resolve) => setTimeout(resolve, 400));
    sim.stop();
    const last = sim.lastPulseId!;
    expect(last - first).toBeGreaterThanOrEqual(20n);
    const reader = new DetectorBufferReader({ root, detector: 'JF03T01V01' });
    expect((await reader.probe(first - 20n, last)).state).toBe('available');
    const frames: DetectorFrame[] = [];
    for await (const f of reader.readFrames({ start: first - 20n, stop: last, step: 1n })) frames.push(f);
    expect(frames.every((f) => f.isGoodFrame)).toBe(true);
  });
});
