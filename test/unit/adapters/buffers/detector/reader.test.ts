import { closeSync, openSync, readdirSync, rmSync, truncateSync, writeSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { DetectorBufferReader, type DetectorFrame, type ReadFramesOptions } from '../../../../../lib/adapters/buffers/detector/reader';
import type { PulseRange } from '../../../../../lib/adapters/buffers/detector/pulses';
import { FacilityClock } from '../../../../../lib/core/clock';
import { DetectorBufferSimulator, expectedFrameHeader, stalePulseId, type DetectorFaultPlan } from '../../../../../local/simulators/detector';
import { expectedModuleBytes, useTempRoot } from './temp-root';

const DET = 'JF01T03V01';
const MODULE_BYTES = 1_048_576;
const tempRoot = useTempRoot();

async function buffer(start: bigint, stop: bigint, faults?: DetectorFaultPlan, ...more: Array<[bigint, bigint]>): Promise<string> {
  const root = tempRoot();
  const sim = new DetectorBufferSimulator({ root, detectors: [DET], clock: new FacilityClock(), retentionPulses: 100_000, pixels: 'sparse', faults });
  for (const [from, to] of [[start, stop] as [bigint, bigint], ...more]) await sim.writeRange(DET, from, to);
  return root;
}

/** Read everything, keeping copies of the pixels and checking each module's bytes on the way. */
async function read(reader: DetectorBufferReader, pulses: Iterable<bigint> | PulseRange, options?: ReadFramesOptions): Promise<DetectorFrame[]> {
  const frames: DetectorFrame[] = [];
  for await (const frame of reader.readFrames(pulses, options)) {
    expect(frame.pixels.byteLength).toBe(frame.modules.length * MODULE_BYTES);
    frame.modules.forEach((m, k) => {
      const got = Buffer.from(frame.pixels.buffer, frame.pixels.byteOffset + k * MODULE_BYTES, MODULE_BYTES);
      const held = m.status === 'good' || m.status === 'bad-packets' ? expectedModuleBytes(DET, m.index, frame.pulseId) : Buffer.alloc(MODULE_BYTES);
      expect(got.equals(held), `pulse ${frame.pulseId} module ${m.index} (${m.status})`).toBe(true);
    });
    frames.push({ ...frame, pixels: Uint8Array.from(frame.pixels.subarray(0, 16)) });
  }
  return frames;
}

const statuses = (frames: DetectorFrame[]) => frames.map((f) => f.modules.map((m) => m.status).join(','));

describe('DetectorBufferReader', () => {
  test('a range across a file boundary: every frame good, in order, with its header fields', async () => {
    const root = await buffer(985n, 1015n);
    const frames = await read(new DetectorBufferReader({ root, detector: DET }), { start: 990n, stop: 1010n, step: 1n });
    expect(frames.map((f) => f.pulseId)).toEqual([...Array(21).keys()].map((i) => 990n + BigInt(i)));
    expect(frames.every((f) => f.isGoodFrame)).toBe(true);
    for (const f of frames) {
      const h = expectedFrameHeader(DET, 0, f.pulseId);
      expect([f.frameIndex, f.daqRec]).toEqual([h.frameIndex, h.daqRec]);
      expect(f.modules.map((m) => [m.index, m.header?.moduleId])).toEqual([[0, 0n], [1, 1n], [2, 2n]]);
    }
  });

  test('rate step, and any iterable of pulse ids in its order', async () => {
    const root = await buffer(990n, 1010n);
    const reader = new DetectorBufferReader({ root, detector: DET });
    const stepped = await read(reader, { start: 990n, stop: 1010n, step: 5 });
    expect(stepped.map((f) => f.pulseId)).toEqual([990n, 995n, 1000n, 1005n, 1010n]);
    const listed = await read(reader, [1003n, 991n, 1003n]);
    expect(listed.map((f) => [f.pulseId, f.isGoodFrame])).toEqual([[1003n, true], [991n, true], [1003n, true]]);
  });

  test('disabled modules are left out of pixels, modules and goodness', async () => {
    const root = await buffer(995n, 1004n, { missingPulseIds: [1000n], faultModules: [1] });
    const frames = await read(new DetectorBufferReader({ root, detector: DET }), { start: 998n, stop: 1001n, step: 1n }, { disabledModules: [1] });
    expect(frames.map((f) => f.modules.map((m) => m.index))).toEqual(Array(4).fill([0, 2]));
    expect(frames.every((f) => f.isGoodFrame)).toBe(true);
    const reader = new DetectorBufferReader({ root, detector: DET });
    expect(() => reader.readFrames([1000n], { disabledModules: [3] })).toThrow(/modules 0..2/);
    expect(() => reader.readFrames([1000n], { disabledModules: [0, 1, 2] })).toThrow(/every module/);
  });

  test('missing, stale and bad-packet module frames', async () => {
    const root = await buffer(1990n, 2010n, {
      missingPulseIds: [2001n],
      duplicatedPulseIds: [2002n],
      badPacketPulseIds: [2003n],
      faultModules: [0],
    });
    const frames = await read(new DetectorBufferReader({ root, detector: DET }), { start: 2000n, stop: 2004n, step: 1n });
    expect(statuses(frames)).toEqual(['good,good,good', 'missing,good,good', 'stale,good,good', 'bad-packets,good,good', 'good,good,good']);
    expect(frames.map((f) => f.isGoodFrame)).toEqual([true, false, false, false, true]);
    // frame_index / daq_rec from the first good module, which is module 1 when module 0 is not good
    expect(frames.map((f) => f.frameIndex)).toEqual([2000n, 2001n, 2002n, 2003n, 2004n].map((p) => p + 1_000_000n));
    expect(frames[1]!.modules[0]!.header).toBeUndefined();
    expect(frames[2]!.modules[0]!.header?.pulseId).toBe(stalePulseId(2002n));
    expect(frames[3]!.modules[0]!.header?.nRecvPackets).toBeLessThan(128n);
  });

  test('no good module: frame_index and daq_rec are 0, pulse id is still the requested one', async () => {
    const root = await buffer(1000n, 1005n, { missingPulseIds: [1002n] });
    const [frame] = await read(new DetectorBufferReader({ root, detector: DET }), [1002n]);
    expect(frame).toMatchObject({ pulseId: 1002n, isGoodFrame: false, frameIndex: 0n, daqRec: 0n });
    expect(statuses([frame!])).toEqual(['missing,missing,missing']);
  });

  test('a missing file in the middle never aborts: its slots are missing', async () => {
    const root = await buffer(1995n, 2005n, undefined, [2500n, 2501n], [2995n, 3005n], [3995n, 4004n]);
    rmSync(path.join(root, DET, 'M01', '0', '3000.bin'));
    for (const m of ['M00', 'M02']) rmSync(path.join(root, DET, m, '0', '2000.bin'));
    const frames = await read(new DetectorBufferReader({ root, detector: DET }), { start: 1999n, stop: 4001n, step: 1001n });
    expect(frames.map((f) => f.pulseId)).toEqual([1999n, 3000n, 4001n]);
    expect(statuses(frames)).toEqual(['good,good,good', 'good,missing,good', 'good,good,good']);
    const gap = await read(new DetectorBufferReader({ root, detector: DET }), { start: 2500n, stop: 2501n, step: 1n });
    expect(statuses(gap)).toEqual(['missing,good,missing', 'missing,good,missing']);
    const empty = await read(new DetectorBufferReader({ root: tempRoot(), detector: DET }), [5n]);
    expect(statuses(empty)).toEqual(['missing,missing,missing']);
  });

  test('a file cut short reads as missing from the cut on', async () => {
    const root = await buffer(1000n, 1009n);
    truncateSync(path.join(root, DET, 'M02', '0', '1000.bin'), 5 * 1_048_617 + 100);
    const frames = await read(new DetectorBufferReader({ root, detector: DET }), { start: 1003n, stop: 1006n, step: 1n });
    expect(frames.map((f) => f.modules[2]!.status)).toEqual(['good', 'good', 'missing', 'missing']);
  });

  test("a module's place comes from its folder, not from the slot's module_id", async () => {
    const root = await buffer(1000n, 1001n);
    const fd = openSync(path.join(root, DET, 'M00', '0', '1000.bin'), 'r+');
    const moduleId = Buffer.alloc(8);
    moduleId.writeBigUInt64LE(9n);
    writeSync(fd, moduleId, 0, 8, 1_048_617 + 33);
    closeSync(fd);
    const [frame] = await read(new DetectorBufferReader({ root, detector: DET }), [1001n]);
    expect(frame!.modules[0]).toMatchObject({ index: 0, status: 'good', header: { moduleId: 9n } });
  });

  test('block size and pixel reuse do not change what is read', async () => {
    const root = await buffer(990n, 1010n, { missingPulseIds: [1000n], faultModules: [2] });
    const range = { start: 990n, stop: 1010n, step: 1n };
    const base = await read(new DetectorBufferReader({ root, detector: DET }), range);
    for (const options of [{ blockSlots: 1 }, { blockSlots: 10 }, { blockSlots: 200 }, { reusePixels: true }]) {
      const frames = await read(new DetectorBufferReader({ root, detector: DET, ...options }), range);
      expect(frames, JSON.stringify(options)).toEqual(base);
    }
    // reused: one buffer for every frame, valid until the next iteration
    const seen = new Set<ArrayBufferLike>();
    for await (const f of new DetectorBufferReader({ root, detector: DET, reusePixels: true }).readFrames(range)) seen.add(f.pixels.buffer);
    expect(seen.size).toBe(1);
  });

  test('stopping early closes the buffer files', async () => {
    const root = await buffer(990n, 1010n);
    const openFds = () => readdirSync('/proc/self/fd').length;
    const before = openFds();
    for await (const frame of new DetectorBufferReader({ root, detector: DET }).readFrames({ start: 990n, stop: 1010n, step: 1n })) {
      expect(frame.isGoodFrame).toBe(true);
      expect(openFds()).toBe(before + 3); // one file per module
      break;
    }
    expect(openFds()).toBe(before);
  });

  test('module count from the name, or given', () => {
    expect(new DetectorBufferReader({ root: '/x', detector: 'JF07T32V01' }).modules).toBe(32);
    expect(new DetectorBufferReader({ root: '/x', detector: 'custom', modules: 2 }).modules).toBe(2);
    expect(() => new DetectorBufferReader({ root: '/x', detector: 'JF7T32V01' })).toThrow(/JFxxTyyVzz/);
    expect(() => new DetectorBufferReader({ root: '/x', detector: 'JF01T03V01', blockSlots: 30 })).toThrow(/divide 1000/);
  });
});
