/**
 * Simulated cameras: uint16 images, always sent bitshuffle-LZ4 (block 8192 B).
 *
 * The picture is cheap to make and cheap to compress: pixels 0..3 hold the
 * pulse id (four 16-bit words, low word first) and every other pixel is a
 * diagonal ramp shifted by one of 32 variants (pulse id mod 32):
 *   pixel(row, col) = ((row + col + 8 * variant) & 0x3ff) + 100.
 * Bitshuffle blocks are independent, so only the first block (which holds
 * the pulse id) is compressed per pulse; the rest of the stream is compressed
 * once per variant and reused. 6,000 full-size images cost 6,000 8 KiB
 * compressions plus copies.
 */
import {
  bitshuffleBlockPlan,
  bitshuffleHeader,
  compressBitshuffleBlock,
  concatBytes,
  DEFAULT_BLOCK_BYTES,
} from '../../../lib/adapters/buffers/data-api/bitshuffle';
import type { ChannelSpec } from './channel';

export const IMAGE_VARIANTS = 32;

/** Fill pixels [from, from + count) of the image of pulse p (row-major, width w). */
function fillPixels(out: Uint16Array, from: number, count: number, p: bigint, w: number): void {
  const shift = 8 * Number(p % BigInt(IMAGE_VARIANTS));
  let row = Math.floor(from / w);
  let col = from % w;
  for (let k = 0; k < count; k++) {
    const i = from + k;
    out[k] = i < 4 ? Number((p >> BigInt(16 * i)) & 0xffffn) : ((row + col + shift) & 0x3ff) + 100;
    if (++col === w) {
      col = 0;
      row++;
    }
  }
}

/**
 * A camera channel of `width` x `height` uint16 pixels (HDF5 shape [height, width]).
 *
 * @example
 *   imageChannel({ name: 'SATES21-CAMS154-M1:FPICTURE', width: 256, height: 128 })
 */
export function imageChannel(o: { name: string; width: number; height: number; has?: (p: bigint) => boolean }): ChannelSpec {
  const { width: w, height: h } = o;
  const n = w * h;
  const blockElems = DEFAULT_BLOCK_BYTES / 2;
  const plan = bitshuffleBlockPlan(n, blockElems);
  const firstElems = plan[0] ?? 0;
  const restCache = new Map<number, Uint8Array>();
  const header = bitshuffleHeader(n * 2, DEFAULT_BLOCK_BYTES);

  const value = (p: bigint): Uint8Array => {
    const pixels = new Uint16Array(n);
    fillPixels(pixels, 0, n, p, w);
    return new Uint8Array(pixels.buffer);
  };

  /** Blocks after the first, plus the raw tail: they depend on the variant only. */
  const rest = (p: bigint): Uint8Array => {
    const variant = Number(p % BigInt(IMAGE_VARIANTS));
    let cached = restCache.get(variant);
    if (!cached) {
      const full = value(p);
      const parts: Uint8Array[] = [];
      let at = firstElems * 2;
      for (const elems of plan.slice(1)) {
        parts.push(compressBitshuffleBlock(full, at, elems, 2));
        at += elems * 2;
      }
      parts.push(full.subarray(at));
      cached = concatBytes(parts);
      restCache.set(variant, cached);
    }
    return cached;
  };

  const wire = (p: bigint): Uint8Array => {
    const first = new Uint16Array(firstElems);
    fillPixels(first, 0, firstElems, p, w);
    const parts = [header];
    if (firstElems > 0) parts.push(compressBitshuffleBlock(new Uint8Array(first.buffer), 0, firstElems, 2));
    parts.push(rest(p));
    return concatBytes(parts);
  };

  return {
    name: o.name,
    backend: 'sf-imagebuffer',
    dtype: 'uint16',
    shape: [h, w],
    byteOrder: 'little',
    compression: 'bitshuffle-lz4',
    blockBytes: DEFAULT_BLOCK_BYTES,
    has: o.has ?? (() => true),
    value,
    wire,
  };
}
