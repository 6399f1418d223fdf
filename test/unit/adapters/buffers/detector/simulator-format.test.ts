/** The simulator's files, checked byte by byte with plain reads (no reader code). */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { FacilityClock } from '../../../../../lib/core/clock';
import {
  DetectorBufferSimulator,
  expectedFrameHeader,
  expectedPixel,
  fillModulePixels,
  HITS,
  hitsOf,
  type DetectorFaultPlan,
  type PixelMode,
} from '../../../../../local/simulators/detector';
import { expectedModuleBytes, useTempRoot } from './temp-root';

const DET = 'JF01T03V01';
const SLOT = 1_048_617;
const tempRoot = useTempRoot();

function readSlot(file: string, slot: number, length = SLOT): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    expect(readSync(fd, buf, 0, length, slot * SLOT)).toBe(length);
    return buf;
  } finally {
    closeSync(fd);
  }
}

async function simulate(pixels: PixelMode, start: bigint, stop: bigint, faults?: DetectorFaultPlan) {
  const root = tempRoot();
  const sim = new DetectorBufferSimulator({ root, detectors: [DET], clock: new FacilityClock(), retentionPulses: 10_000, pixels, faults });
  await sim.writeRange(DET, start, stop);
  return root;
}

function header(slot: Buffer) {
  return {
    marker: slot[0],
    pulseId: slot.readBigUInt64LE(1),
    frameIndex: slot.readBigUInt64LE(9),
    daqRec: slot.readBigUInt64LE(17),
    nRecvPackets: slot.readBigUInt64LE(25),
    moduleId: slot.readBigUInt64LE(33),
  };
}

describe('simulator on-disk format', () => {
  test('sparse: pre-sized file, 0xBE + header + pixels, holes read as zeros', async () => {
    const root = await simulate('sparse', 995n, 1004n);
    const file = path.join(root, DET, 'M02', '0', '1000.bin');
    expect(statSync(file).size).toBe(1_048_617_001);
    expect(statSync(file).blocks * 512).toBeLessThan(200_000); // sparse: a few KB per slot
    const last = Buffer.alloc(1);
    const fd = openSync(file, 'r');
    readSync(fd, last, 0, 1, 1_048_617_000);
    closeSync(fd);
    expect(last[0]).toBe(0xff);

    const slot = readSlot(file, 3);
    expect(header(slot)).toEqual({ marker: 0xbe, pulseId: 1003n, frameIndex: 1_001_003n, daqRec: 0x20000n, nRecvPackets: 128n, moduleId: 2n }); // odd pulse: dark shot, bit 17
    expect(slot.readUInt16LE(41)).toBe(1003); // row 0 col 0: pulse id, low word
    expect(slot.readUInt16LE(41 + 8)).toBe(2); // col 4: module
    expect(slot.subarray(41).equals(expectedModuleBytes(DET, 2, 1003n))).toBe(true);
    expect(slot.subarray(41 + 2048).every((b) => b === 0)).toBe(true); // rows 1..511
    expect(readSlot(file, 5).every((b) => b === 0)).toBe(true); // never written
  });

  test('dense: full pixel blocks', async () => {
    const root = await simulate('dense', 998n, 1001n);
    const slot = readSlot(path.join(root, DET, 'M01', '0', '0.bin'), 999);
    expect(header(slot).pulseId).toBe(999n);
    const expected = expectedModuleBytes(DET, 1, 999n, 'dense');
    expect(slot.subarray(41).equals(expected)).toBe(true);
    expect(slot.subarray(41 + 2048).some((b) => b !== 0)).toBe(true);
    // pedestal words in G0 almost everywhere, photon hits switching to G1 and G2; no invalid word on pulse 999
    const values = new Uint16Array(expected.buffer, expected.byteOffset, expected.byteLength / 2);
    const byGain = [0, 0, 0, 0];
    for (const v of values) byGain[v >> 14]!++;
    expect(byGain[0]).toBeGreaterThan(values.length - 200);
    expect(byGain[1]).toBeGreaterThan(0);
    expect(byGain[3]).toBeGreaterThan(0);
    expect(byGain[2]).toBe(0);
  });

  test('expectedPixel agrees with fillModulePixels', () => {
    for (const mode of ['sparse', 'dense'] as const) {
      const frame = new Uint16Array(512 * 1024);
      fillModulePixels('JF05T02V01', 1, 18_940_426_916n, mode, frame);
      for (const [row, col] of [[0, 0], [0, 3], [0, 4], [0, 5], [0, 700], [1, 0], [511, 1023], [200, 17]] as const) {
        expect(expectedPixel('JF05T02V01', 1, 18_940_426_916n, row, col, mode), `${mode} ${row},${col}`).toBe(frame[row * 1024 + col]);
      }
    }
    const sparse = new Uint16Array(512 * 1024);
    fillModulePixels('JF05T02V01', 1, 18_940_426_916n, 'sparse', sparse);
    // row 0: every pixel a word (pedestal plus noise in G0, or one of the HITS photon hits); rows 1..511 empty
    const hits = hitsOf(5, 1, 18_940_426_916n, false);
    expect(hits).toHaveLength(HITS);
    for (const h of hits) expect(sparse[h.index]).toBe(h.word);
    const plain = [...sparse.subarray(6, 1024).entries()].filter(([c]) => !hits.some((h) => h.index === c + 6));
    expect(plain.every(([, v]) => v >> 14 === 0 && (v & 0x3fff) >= 900 && (v & 0x3fff) <= 3100)).toBe(true);
    expect(sparse.subarray(1024).every((v) => v === 0)).toBe(true);
    for (const [row, col] of [[0, 6], [0, 1023]] as const) expect(expectedPixel('JF05T02V01', 1, 18_940_426_916n, row, col)).toBe(sparse[row * 1024 + col]);
    const dense = new Uint16Array(512 * 1024);
    fillModulePixels('JF05T02V01', 1, 18_940_426_916n, 'dense', dense);
    for (const h of hitsOf(5, 1, 18_940_426_916n, true).slice(HITS, HITS + 20)) {
      const [row, col] = [Math.floor(h.index / 1024), h.index % 1024];
      expect(expectedPixel('JF05T02V01', 1, 18_940_426_916n, row, col, 'dense')).toBe(dense[h.index]);
    }
    expect(expectedPixel('JF05T02V01', 1, 18_940_426_916n, 0, 2)).toBe(Number((18_940_426_916n >> 32n) & 0xffffn));
  });

  test('headers: frame index counts pulses, daq_rec bit 19 on every 4th pulse, bit 16 laser on even, bit 17 dark shot on odd', () => {
    const h = [1000n, 1001n, 1002n, 1003n, 1004n].map((p) => expectedFrameHeader(DET, 0, p));
    expect(h.map((x) => x.frameIndex - x.pulseId)).toEqual(Array(5).fill(1_000_000n));
    expect(h.map((x) => (x.daqRec >> 19n) & 1n)).toEqual([1n, 0n, 0n, 0n, 1n]);
    expect(h.map((x) => (x.daqRec >> 16n) & 1n)).toEqual([1n, 0n, 1n, 0n, 1n]);
    expect(h.map((x) => (x.daqRec >> 17n) & 1n)).toEqual([0n, 1n, 0n, 1n, 0n]);
    expect(h.map((x) => x.daqRec & 0x3001n)).toEqual(Array(5).fill(0n)); // no forced gain, no high G0 outside a pedestal run
    expect(expectedFrameHeader('JF02T01V01', 0, 5n).frameIndex).not.toBe(expectedFrameHeader(DET, 0, 5n).frameIndex);
  });

  test('faults: missing slot not written, stale slot holds p-1000, bad packets below 128', async () => {
    const root = await simulate('sparse', 1000n, 2010n, {
      missingPulseIds: [2001n],
      duplicatedPulseIds: [2002n],
      badPacketPulseIds: [2003n],
      faultModules: [1],
    });
    const file = (m: string) => path.join(root, DET, m, '0', '2000.bin');
    expect(readSlot(file('M01'), 1).every((b) => b === 0)).toBe(true);
    expect(header(readSlot(file('M00'), 1)).pulseId).toBe(2001n); // other modules unaffected
    const stale = readSlot(file('M01'), 2);
    expect(header(stale).pulseId).toBe(1002n);
    expect(stale.subarray(41).equals(expectedModuleBytes(DET, 1, 1002n))).toBe(true);
    const bad = header(readSlot(file('M01'), 3));
    expect(bad.pulseId).toBe(2003n);
    expect(bad.nRecvPackets).toBeLessThan(128n);
  });

  test('LATEST holds the full path of the last closed file and a newline', async () => {
    const root = await simulate('sparse', 990n, 2005n);
    for (const m of ['M00', 'M01', 'M02']) {
      // writeRange closes its files at the end, as the writer does when it stops
      expect(readFileSync(path.join(root, DET, m, 'LATEST'), 'utf8')).toBe(`${path.resolve(root, DET, m, '0', '2000.bin')}\n`);
    }
    expect(existsSync(path.join(root, DET, 'M00', 'LATEST.tmp'))).toBe(false);
  });
});
