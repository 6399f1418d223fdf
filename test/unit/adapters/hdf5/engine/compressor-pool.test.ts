/** CompressorPool: bitshuffle + LZ4 on worker threads gives the engine's own chunks, in order. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressorPool, H5Engine } from '../../../../../lib/adapters/hdf5/engine';
import { cameraImage, sha256 } from './samples';

let pool: CompressorPool;
let engine: H5Engine;
beforeAll(async () => {
  [pool, engine] = await Promise.all([CompressorPool.create({ threads: 2 }), H5Engine.load()]);
});
afterAll(() => pool.close());

const frames = Array.from({ length: 12 }, (_, i) => cameraImage(128, 160, i));
const hex = (b: Uint8Array) => sha256(b);

describe('CompressorPool', () => {
  it('starts its threads with SIMD bitshuffle', () => {
    expect(pool.threads).toBe(2);
    expect(pool.simd).toBe(true);
  });

  it('compresses in parallel to exactly the single-thread chunks, in input order', async () => {
    const expected = frames.map((f) => hex(engine.bitshuffleLz4Compress(f, 2)));
    expect((await pool.compressAll(frames, 2)).map(hex)).toEqual(expected);
    const streamed: string[] = [];
    for await (const chunk of pool.compressOrdered(frames, 2, { inFlight: 3 })) streamed.push(hex(chunk));
    expect(streamed).toEqual(expected);
  });

  it('leaves the caller\'s buffers alone and decompresses back', async () => {
    const frame = frames[3]!;
    const before = hex(new Uint8Array(frame.buffer));
    const chunk = await pool.compress(frame.subarray(0, 1000), 2, 256);
    expect(frame.byteLength).toBe(128 * 160 * 2);
    expect(hex(new Uint8Array(frame.buffer))).toBe(before);
    const back = await pool.decompress(chunk, 2);
    expect(hex(back)).toBe(hex(new Uint8Array(frame.buffer, 0, 2000)));
  });

  it('rejects a bad chunk with the reason, and keeps working', async () => {
    await expect(pool.decompress(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 16, 255), 2)).rejects.toThrow(/bitshuffle/);
    await expect(pool.compress(new Uint8Array(3), 2)).rejects.toThrow(/multiple of the element size/);
    expect(hex(await pool.compress(frames[0]!, 2))).toBe(hex(engine.bitshuffleLz4Compress(frames[0]!, 2)));
  });
});
