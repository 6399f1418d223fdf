/**
 * One bitshuffle+LZ4 chunk (HDF5 filter 32008) of a large frame, compressed
 * in pieces on every thread of the pool, byte for byte the chunk a single
 * call would make.
 *
 * Why it is the same: the chunk is a 12-byte header (uncompressed size,
 * block size) and then the frame's blocks, each shuffled and compressed on
 * its own (4-byte length + LZ4 data), the last partial block and the
 * trailing elements handled at the end. Pieces whose length is a multiple of
 * the block size therefore compress to exactly the blocks the whole would
 * have, and the last piece carries the end. So a 32 MiB frame becomes 32
 * pieces of 1 MiB spread over the threads: one frame uses every core, and a
 * thread's wasm memory grows by a piece, not by a frame (bench/README.md).
 */
import type { CompressorPool } from '../engine';

/** bitshuffle's default block (bshuf_default_block_size): 8 KiB of elements, a multiple of 8, at least 128. */
export function defaultBlockElements(elementSize: number): number {
  return Math.max(128, Math.floor(8192 / elementSize / 8) * 8);
}

/** A compressed chunk still in pieces: `into` lays it out in a buffer the caller reuses (no new frame-sized buffer per chunk). */
export interface ChunkPieces {
  byteLength: number;
  /** Writes the chunk at the start of `target` (at least byteLength long); returns that view. */
  into(target: Uint8Array): Uint8Array;
}

/**
 * @example const chunk = await compressChunk(pool, frameBytes, 2); ds.writeChunk([i, 0, 0], chunk);
 */
export async function compressChunk(pool: CompressorPool, data: Uint8Array, elementSize: number, blockElements = 0, pieceBytes = 1 << 20): Promise<Uint8Array> {
  const pieces = await compressPieces(pool, data, elementSize, blockElements, pieceBytes);
  return pieces.into(new Uint8Array(pieces.byteLength));
}

/**
 * As compressChunk, the pieces kept apart until `into` (e.g. a scratch buffer reused frame after frame).
 * @example const p = await compressPieces(pool, frame, 2); ds.writeChunk([i, 0, 0], p.into(scratch(p.byteLength)));
 */
export async function compressPieces(pool: CompressorPool, data: Uint8Array, elementSize: number, blockElements = 0, pieceBytes = 1 << 20): Promise<ChunkPieces> {
  const block = blockElements > 0 ? blockElements : defaultBlockElements(elementSize);
  const blockBytes = block * elementSize;
  const piece = Math.max(1, Math.floor(pieceBytes / blockBytes)) * blockBytes;
  if (data.byteLength <= piece) {
    const whole = await pool.compress(data, elementSize, block);
    return { byteLength: whole.byteLength, into: (target) => (target.set(whole), target.subarray(0, whole.byteLength)) };
  }
  const starts: number[] = [];
  for (let at = 0; at < data.byteLength; at += piece) starts.push(at);
  // A window of pieces in the pool: its copies of the input stay small.
  const window = Math.max(2, 2 * pool.threads);
  const results: Uint8Array[] = new Array(starts.length);
  let next = 0;
  const worker = async () => {
    while (next < starts.length) {
      const i = next++;
      const at = starts[i]!;
      results[i] = await pool.compress(data.subarray(at, Math.min(at + piece, data.byteLength)), elementSize, block);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, starts.length) }, worker));
  const total = results.reduce((s, r) => s + r.byteLength - 12, 12);
  return {
    byteLength: total,
    into(target) {
      if (target.byteLength < total) throw new RangeError(`a ${total}-byte chunk does not fit ${target.byteLength} bytes`);
      const view = new DataView(target.buffer, target.byteOffset, 12);
      view.setBigUint64(0, BigInt(data.byteLength), false);
      view.setUint32(8, blockBytes, false);
      let at = 12;
      for (const r of results) {
        target.set(r.subarray(12), at);
        at += r.byteLength - 12;
      }
      return target.subarray(0, total);
    },
  };
}
