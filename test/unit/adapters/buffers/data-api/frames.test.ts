import { describe, expect, test } from 'vitest';
import { FrameDecoder, MAX_FRAME_BYTES, type Frame } from '../../../../../lib/adapters/buffers/data-api/frames';
import { BufferProtocolError, BufferUnavailable } from '../../../../../lib/core/errors';
import { encodeFrame, eventFrame, headerFrame } from '../../../../../local/simulators/data-api/frame-sink';

const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const TS = 1_693_872_000_010_426_917n; // beyond 2^53: must survive as BigInt

/** A body: header, two events (one empty value), a frame of an unknown mtype, another event. */
const header = headerFrame({ name: 'SAR-CVME-TIFALL5:EvtSet', type: 'uint8', shape: [3], byteOrder: 'LITTLE_ENDIAN' });
const body = concat([
  header,
  eventFrame(TS, 18_940_426_917n, new Uint8Array([1, 2, 3])),
  eventFrame(TS + 10_000_001n, 18_940_426_918n, new Uint8Array([])),
  encodeFrame(7, new Uint8Array([9, 9, 9, 9])),
  eventFrame(-1n, 2n ** 62n, new Uint8Array([4, 5, 6])),
]);

/** Frames without the `owned` flag, values copied: comparable whatever the chunking. */
const plain = (frames: Frame[]) =>
  frames.map((f) => (f.mtype === 0 ? f : { mtype: 1, timestampNs: f.timestampNs, pulseId: f.pulseId, value: [...f.value] }));

function decodeInPieces(pieces: Uint8Array[]): Frame[] {
  const decoder = new FrameDecoder('data');
  const frames = pieces.flatMap((p) => plain(decoder.push(p)) as Frame[]);
  decoder.end();
  return frames;
}

const expected = plain(decodeInPieces([body]));

describe('FrameDecoder', () => {
  test('decodes headers and events, skips other mtypes, keeps int64 exact', () => {
    expect(expected).toEqual([
      { mtype: 0, header: { name: 'SAR-CVME-TIFALL5:EvtSet', type: 'uint8', shape: [3], byteOrder: 'LITTLE_ENDIAN' } },
      { mtype: 1, timestampNs: TS, pulseId: 18_940_426_917n, value: [1, 2, 3] },
      { mtype: 1, timestampNs: TS + 10_000_001n, pulseId: 18_940_426_918n, value: [] },
      { mtype: 1, timestampNs: -1n, pulseId: 2n ** 62n, value: [4, 5, 6] },
    ]);
  });

  test('a split at every byte boundary gives the same frames', () => {
    for (let cut = 0; cut <= body.length; cut++) {
      expect(decodeInPieces([body.subarray(0, cut), body.subarray(cut)]), `cut at ${cut}`).toEqual(expected);
    }
  });

  test('one byte at a time, and three-way splits', () => {
    expect(decodeInPieces([...body].map((b) => new Uint8Array([b])))).toEqual(expected);
    for (let a = 1; a < body.length; a += 7) {
      for (let b = a; b < body.length; b += 5) {
        expect(decodeInPieces([body.subarray(0, a), body.subarray(a, b), body.subarray(b)])).toEqual(expected);
      }
    }
  });

  test('frames come out as soon as they are complete (nothing waits for the end of the body)', () => {
    const decoder = new FrameDecoder('data');
    const firstTwo = header.length + 8 + 17 + 3;
    expect(decoder.push(body.subarray(0, firstTwo - 1))).toHaveLength(1);
    expect(decoder.midFrame).toBe(true);
    expect(decoder.push(body.subarray(firstTwo - 1, firstTwo + 2)).map((f) => f.mtype)).toEqual([1]);
  });

  test('a value split across chunks is owned; one inside a chunk is a view of the chunk', () => {
    const frame = eventFrame(1n, 2n, new Uint8Array([7, 8, 9]));
    const whole = new FrameDecoder('data').push(frame)[0] as Extract<Frame, { mtype: 1 }>;
    expect(whole.owned).toBe(false);
    expect(whole.value.buffer).toBe(frame.buffer);
    const decoder = new FrameDecoder('data');
    decoder.push(frame.subarray(0, 10));
    const split = decoder.push(frame.subarray(10))[0] as Extract<Frame, { mtype: 1 }>;
    expect(split.owned).toBe(true);
    expect([...split.value]).toEqual([7, 8, 9]);
  });

  test('a trailing length that differs is corruption', () => {
    const frame = eventFrame(1n, 2n, new Uint8Array([1]));
    frame[frame.length - 1] = frame[frame.length - 1]! ^ 1;
    expect(() => new FrameDecoder('image').push(frame)).toThrow(BufferProtocolError);
    expect(() => new FrameDecoder('image').push(frame)).toThrow(/leading length 18 != trailing length 19/);
  });

  test('a frame over 20 MiB is refused before anything is buffered', () => {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, MAX_FRAME_BYTES + 1);
    expect(() => new FrameDecoder('image').push(len)).toThrow(/exceeds the 20971520 B limit/);
    expect(() => new FrameDecoder('image').push(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toThrow(BufferProtocolError);
  });

  test.for([
    ['a zero length', new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0])],
    ['an event shorter than its 17-byte header', encodeFrame(1, new Uint8Array(10))],
    ['a header that is not JSON', encodeFrame(0, new TextEncoder().encode('{name: oops'))],
  ] as const)('protocol error: %s', ([, bytes]) => {
    expect(() => new FrameDecoder('data').push(bytes)).toThrow(BufferProtocolError);
  });

  test('a body that ends inside a frame (or its length) is a transient fault', () => {
    for (const cut of [1, 3, 4, 5, 30]) {
      const decoder = new FrameDecoder('data');
      decoder.push(body.subarray(0, cut));
      expect(() => decoder.end(), `cut at ${cut}`).toThrow(BufferUnavailable);
    }
    const decoder = new FrameDecoder('data');
    decoder.push(body.subarray(0, 4));
    expect(() => decoder.end()).toThrow(/ended inside a frame \(0 of \d+ frame bytes, after 4 B\)/);
  });
});
