import { describe, expect, test } from 'vitest';
import { Lz4Error, lz4DecodeBlock, lz4EncodeBlock } from '../../../../../lib/adapters/buffers/data-api/lz4';

const bytes = (...xs: Array<number | string>) =>
  new Uint8Array(xs.flatMap((x) => (typeof x === 'string' ? [...x].map((c) => c.charCodeAt(0)) : [x])));

function decode(block: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const n = lz4DecodeBlock(block, 0, block.length, out, 0, size);
  return out.subarray(0, n);
}

/** A pseudo-random byte source (LCG), for repeatable "random" inputs. */
function noise(n: number, seed: number, alphabet = 256): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = (x >>> 16) % alphabet;
  }
  return out;
}

describe('LZ4 block decoding (hand-built vectors from the format description)', () => {
  test('literals only: token 0x50 + 5 literals', () => {
    expect(decode(bytes(0x50, 'hello'), 5)).toEqual(bytes('hello'));
  });

  test('an overlapping match repeats the pattern, then the last literals', () => {
    // "abc", match offset 3 length 12 (token low nibble 12 - 4 = 8), then "hello".
    const block = bytes(0x38, 'abc', 3, 0, 0x50, 'hello');
    expect(new TextDecoder().decode(decode(block, 20))).toBe('abcabcabcabcabchello');
  });

  test('length extension bytes: 15 + 255 + 10 literals, and a long run (offset 1, fill path)', () => {
    const lit = noise(280, 1);
    // token 0xff: literal length 15 + 255 + 10 = 280; offset 1; match length 4 + 15 + 255 + 1 = 275
    // copies of the last literal byte; then a sequence of 1 literal.
    const block = new Uint8Array([0xff, 255, 10, ...lit, 1, 0, 255, 1, 0x10, 7]);
    const out = decode(block, 280 + 275 + 1);
    expect(out.subarray(0, 280)).toEqual(lit);
    expect(out.subarray(280, 555).every((b) => b === lit[279])).toBe(true);
    expect(out[555]).toBe(7);
  });

  test.for([
    ['offset 0', bytes(0x14, 'a', 0, 0)],
    ['offset before the start', bytes(0x14, 'a', 2, 0)],
    ['literals past the input', bytes(0x50, 'hel')],
    ['truncated offset', bytes(0x14, 'a', 1)],
  ] as const)('corrupt block: %s', ([, block]) => {
    expect(() => decode(block, 64)).toThrow(Lz4Error);
  });

  test('output overflow is refused, never written past dstEnd', () => {
    const out = new Uint8Array(8).fill(9);
    expect(() => lz4DecodeBlock(bytes(0x50, 'hello'), 0, 6, out, 0, 4)).toThrow(Lz4Error);
    expect(out[4]).toBe(9);
  });
});

describe('LZ4 block round trip', () => {
  test.for([
    ['empty', new Uint8Array(0)],
    ['tiny (below the 13-byte match limit)', bytes('abcdefgh')],
    ['zeros', new Uint8Array(10_000)],
    ['random', noise(10_000, 7)],
    ['low entropy', noise(50_000, 3, 4)],
    ['repeating text', new TextEncoder().encode('SARFE10-PBPG050:HAMP-INTENSITY-CAL '.repeat(400))],
  ] as const)('%s', ([, input]) => {
    const block = lz4EncodeBlock(input);
    expect(decode(block, input.length)).toEqual(input);
  });

  test('the last 5 bytes are literals and the last match starts 12+ bytes before the end (format rules)', () => {
    const input = new Uint8Array(100); // all zeros: one long match, then literals
    const block = lz4EncodeBlock(input);
    const lastToken = block[block.length - 6]!;
    expect(lastToken >> 4).toBeGreaterThanOrEqual(5);
    expect(lastToken & 15).toBe(0);
  });
});
