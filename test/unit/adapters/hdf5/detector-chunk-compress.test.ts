/**
 * A large chunk compressed in pieces on the pool's threads is byte for byte the
 * chunk one call makes (lib/adapters/hdf5/detector/chunk-compress.ts), for the
 * raw frames' default block and the converted files' 32768-element block,
 * whatever the frame's length (a partial last block, trailing elements).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { compressChunk, defaultBlockElements } from '../../../../lib/adapters/hdf5/detector/chunk-compress';
import { CompressorPool, H5Engine } from '../../../../lib/adapters/hdf5/engine';

let pool: CompressorPool;
beforeAll(async () => {
  pool = await CompressorPool.create({ threads: 2 });
});
afterAll(async () => {
  await pool.close();
});

const noisy = (bytes: number) => {
  const a = new Uint8Array(bytes);
  let x = 12345;
  for (let i = 0; i < bytes; i += 2) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    a[i] = x >>> 24;
    a[i + 1] = (x >>> 30) & 1; // small values: compressible like detector words
  }
  return a;
};

test('the default block is bitshuffle\'s: 4096 uint16, 2048 float32, at least 128', () => {
  expect([1, 2, 4, 8, 128].map(defaultBlockElements)).toEqual([8192, 4096, 2048, 1024, 128]);
});

test.each([
  ['a 3-module raw frame, default block', 3 * 1024 * 1024, 2, 0],
  ['a converted float32 frame of JF06T08 with gaps, 32768-element blocks', 4112 * 1030 * 4, 4, 32768],
  ['an odd length: a partial last block and 3 trailing elements', 1_000_006, 2, 0],
])('%s: pieces concatenated = one call', async (_name, bytes, elementSize, block) => {
  const engine = await H5Engine.load();
  const data = noisy(bytes);
  const whole = engine.bitshuffleLz4Compress(data, elementSize, block);
  const pieces = await compressChunk(pool, data, elementSize, block, 256 * 1024);
  expect(pieces.byteLength).toBe(whole.byteLength);
  expect(Buffer.from(pieces).equals(Buffer.from(whole))).toBe(true);
  expect(Buffer.from(engine.bitshuffleLz4Decompress(pieces, elementSize)).equals(Buffer.from(data))).toBe(true);
});
