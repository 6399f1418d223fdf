import { describe, expect, test } from 'vitest';
import { bitShuffleBlock, bitUnshuffleBlock } from '../../../../../lib/adapters/buffers/data-api/bit-transpose';
import {
  BitshuffleError,
  bitshuffleLz4Compress,
  bitshuffleLz4Decompress,
  readBitshuffleHeader,
} from '../../../../../lib/adapters/buffers/data-api/bitshuffle';

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** The bit transpose straight from its definition, one bit at a time (the reference). */
function naiveShuffle(data: Uint8Array, n: number, e: number): Uint8Array {
  const out = new Uint8Array(n * e);
  const rowBytes = n / 8;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < e; j++)
      for (let k = 0; k < 8; k++) {
        const bit = (data[i * e + j]! >> k) & 1;
        const r = j * 8 + k;
        out[r * rowBytes + (i >> 3)]! |= bit << (i & 7);
      }
  return out;
}

function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 16;
  }
  return out;
}

describe('bit transpose', () => {
  test('hand-derived: uint16 [1..8] -> rows 0x55 0x66 0x78 0x80, zeros', () => {
    // Row k of byte plane 0 holds bit k of each element's low byte, element i at bit i:
    // bit 0 of 1..8 = 1,0,1,0,1,0,1,0 -> 0x55; bit 1 = 0,1,1,0,0,1,1,0 -> 0x66;
    // bit 2 = 0,0,0,1,1,1,1,0 -> 0x78; bit 3 = only 8 -> 0x80; the high bytes are all 0.
    const data = new Uint8Array(new Uint16Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer);
    const out = new Uint8Array(16);
    bitShuffleBlock(data, 0, out, 0, 8, 2);
    expect(out).toEqual(hex('55667880 00000000 00000000 00000000'));
  });

  test.for([1, 2, 4, 8, 3])('matches the bit-by-bit definition and inverts (%i-byte elements)', (e) => {
    const n = 64;
    const data = noise(n * e, e);
    const shuffled = new Uint8Array(n * e);
    bitShuffleBlock(data, 0, shuffled, 0, n, e);
    expect(shuffled).toEqual(naiveShuffle(data, n, e));
    const back = new Uint8Array(n * e);
    bitUnshuffleBlock(shuffled, 0, back, 0, n, e);
    expect(back).toEqual(data);
  });
});

describe('bitshuffle-LZ4 stream', () => {
  test('hand-built stream: header, one all-literal LZ4 block', () => {
    const stream = hex(
      '0000000000000010' + // 16 bytes uncompressed
        '00002000' + // block size 8192 B
        '00000012' + // block: 18 compressed bytes
        'f001' + // token: 15 + 1 = 16 literals, no match
        '55667880000000000000000000000000',
    );
    expect(readBitshuffleHeader(stream)).toEqual({ uncompressedBytes: 16, blockBytes: 8192 });
    expect(new Uint16Array(bitshuffleLz4Decompress(stream, 2).buffer)).toEqual(new Uint16Array([1, 2, 3, 4, 5, 6, 7, 8]));
  });

  // Chunks written by the bitshuffle C library through h5py (filter 32008, LZ4) and read back
  // with read_direct_chunk: the bytes an HDF5 file and the Data API carry.
  test('reference: uint8 [0..9], default block (8 shuffled + 2 raw trailing bytes)', () => {
    const chunk = b64('AAAAAAAAAAoAACAAAAAACYCqzPAAAAAAAAgJ');
    expect(bitshuffleLz4Decompress(chunk, 1)).toEqual(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(bitshuffleLz4Compress(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 1)).toEqual(chunk);
  });

  test('reference: big-endian float32 i * 1.5 for i < 100 (one block of 96 + 4 raw)', () => {
    const chunk = b64(
      'AAAAAAAAAZAAACAAAAAAl0LC/z8AAQBkwP8CAMD/AQASAhUAAQIADwwAERT8OQAx////NQAIAgD1SaiqqqqqamYAAICqqmJmZmZmprQAqGpmZra0tLS0NMeAYqa0tMQ4xzjHOPhotjTHOAc/+MAHPwCgxDj4wAfA/wD4PwA2Bz8A/wcAAP//PwA6+D8AAPj///+8AA8CAEUvgKpaAEWAAAAAAAAAAABDEAAAQxGAAEMTAABDFIAA',
    );
    const out = bitshuffleLz4Decompress(chunk, 4);
    const view = new DataView(out.buffer);
    expect(Array.from({ length: 100 }, (_, i) => view.getFloat32(i * 4, false))).toEqual(Array.from({ length: 100 }, (_, i) => i * 1.5));
  });

  test('reference: uint16 (7 i) mod 1000, 1003 elements, block 512 B (3 full, 1 partial, 3 raw)', () => {
    const chunk = b64(
      'AAAAAAAAB9YAAAIAAAAAph+qAQAMH2YBAAwfHgEADCtUqwIAGisRAEqYM2fMBAAKDwCF4MOHDx88ePAIABZDCwAAGwD2AwD8B/AfwH8A/wP4D+A/gP8AfAsAABsA8gwAAPj/HwCA//8DAPD/PwAA/38AAPz/DwDA//8bAGAAAADg//8gABAAFQAAIAAwAADwEgAACQAQ4AUAAQIAEPwTAAQgAAECAAEPAAEKAA8CAKNQAAAAAAAAAAC2H6oBAAwfZgEADB8eAQAMa6tUq5RUqwIAFksRAIkzZ8wYZ8yYMwQAFowPAMU8ePAgePDgw4cPHzwIABYQCwD3BsB/AD+A/wD8B/AfwH8A/wP4D+A/gAsA8BMAgP8/AAD//wcA4P9/AAD8/w8AwP8fAID//wMA8P8/AP//IABQAAD4//8gAHAAAPD///8fCQAR/BsAAQUAAA8AIAAANQACAgABIAAAAgAgwP8GAA8CAKRQAAAAAAAAAAC5H6oBAAwfZgEADB8eAQAMIatUAgASpAcABwIAEVMYAJJUzJgzZ8yYM8cHAAALAAMEABJjGgCz8ODDhw8fPAgfPHgLAAMIABKECwCz/wD8B/AfwA/gP4ALAHB/AP8D+A/gFgDxDH8A/wD//wcA4P8PAMD//wAA+P8fAID//wMA8BYAIH8AAQBQ+P///w8JAFD/////HwkAIPz/NgAQACsAAwIAASAAAAIAE+ARAAEgAA8CAKtQAAAAAAAAAACpH6oBAAkfZgEACR8eAQAJJatUAgAWqAsAAwIAQzNnzJgEABYwCwADEwC3w4cPHzx48ODDhw8LAAMTALcD+A/gP4D/APwH8AsA8BofwH8A/wP4/P8PAMD//wAA+P8DAPD/PwAA//8HAOD/fwAA/P///w8AABIAUP//AwAAKAAAHQAwAACACQAwAADwBwAAAgAAHQABAgAQ+A4AAAIAAQ4ADwIAkVAAAAAAAAAABwAOAA==',
    );
    const expected = Uint16Array.from({ length: 1003 }, (_, i) => (i * 7) % 1000);
    expect(new Uint16Array(bitshuffleLz4Decompress(chunk, 2).buffer)).toEqual(expected);
    // Our encoder's LZ4 parse differs from the C library's (both valid); the layout is the same.
    const ours = bitshuffleLz4Compress(new Uint8Array(expected.buffer), 2, 512);
    expect(ours.subarray(0, 12)).toEqual(chunk.subarray(0, 12));
    expect(bitshuffleLz4Decompress(ours, 2)).toEqual(new Uint8Array(expected.buffer));
  });

  test.for([
    [1, 0],
    [1, 7],
    [2, 4096],
    [2, 1280 * 3 + 5],
    [4, 1003],
    [8, 2560],
    [8, 1],
  ] as const)('round trip: %i-byte elements x %i', ([e, n]) => {
    const data = noise(n * e, n + e);
    data.subarray(0, Math.floor(data.length / 2)).fill(3); // half compressible, half noise
    expect(bitshuffleLz4Decompress(bitshuffleLz4Compress(data, e), e)).toEqual(data);
  });

  test.for([
    ['no header', hex('0000')],
    ['size not a multiple of the element size', hex('0000000000000003 00002000')],
    ['block size not a multiple of 8 elements', hex('0000000000000010 0000000c')],
    ['block runs past the stream', hex('0000000000000010 00002000 000000ff f0')],
    ['trailing garbage', hex('0000000000000000 00002000 00')],
  ] as const)('corrupt stream is a BitshuffleError: %s', ([, stream]) => {
    expect(() => bitshuffleLz4Decompress(stream, 2)).toThrow(BitshuffleError);
  });
});
