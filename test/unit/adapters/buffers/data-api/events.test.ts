import { describe, expect, it } from 'vitest';
import { BufferProtocolError } from '../../../../../lib/core/errors';
import { bitshuffleLz4Compress } from '../../../../../lib/adapters/buffers/data-api/bitshuffle';
import { EventBatcher, toEvents, type DataApiBatchItem, type EventRun } from '../../../../../lib/adapters/buffers/data-api/events';
import { FrameDecoder } from '../../../../../lib/adapters/buffers/data-api/frames';

/** A frame as the Data API sends it: len, mtype, payload, len. */
function frame(mtype: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 1 + payload.length + 4);
  const v = new DataView(out.buffer);
  v.setUint32(0, payload.length + 1);
  out[4] = mtype;
  out.set(payload, 5);
  v.setUint32(5 + payload.length, payload.length + 1);
  return out;
}
const header = (h: Record<string, unknown>) => frame(0, new TextEncoder().encode(JSON.stringify(h)));
function event(ts: bigint, pulse: bigint, value: Uint8Array): Uint8Array {
  const p = new Uint8Array(16 + value.length);
  const v = new DataView(p.buffer);
  v.setBigInt64(0, ts);
  v.setBigInt64(8, pulse);
  p.set(value, 16);
  return frame(1, p);
}
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const f64 = (x: number) => new Uint8Array(Float64Array.of(x).buffer);

/** Feeds `body` cut into `cuts` chunks; returns each batch's items, copied out (the arrays are reused). */
function batches(body: Uint8Array, cuts: number[], reuse = true): Array<Array<{ kind: string; name: string; ids?: bigint[]; ts?: bigint[]; values?: number[][] }>> {
  const decoder = new FrameDecoder('data', undefined, reuse);
  const batcher = new EventBatcher('data');
  const out: ReturnType<typeof batches> = [];
  let at = 0;
  for (const end of [...cuts, body.length]) {
    decoder.visit(body.subarray(at, end), batcher);
    at = end;
    out.push(batcher.take().map((item: DataApiBatchItem) => item.kind === 'header'
      ? { kind: 'header', name: item.header.name }
      : { kind: 'events', name: item.header.name, ids: Array.from(item.pulseIds), ts: Array.from(item.timestamps), values: Array.from({ length: item.count }, (_, i) => Array.from(item.bytes.subarray(item.starts[i]!, item.ends[i]!))) }));
  }
  decoder.end();
  return out;
}

describe('EventBatcher: a batch per network chunk, events as runs of columns', () => {
  const body = concat([
    header({ name: 'A', type: 'float64', shape: [], byteOrder: 'LITTLE_ENDIAN' }),
    event(1_000n, 10n, f64(0.5)),
    event(2_000n, 11n, f64(1.5)),
    event(3_000n, 12n, f64(2.5)),
    header({ name: 'B', type: 'uint8', shape: [3] }),
    event(1_000n, 10n, Uint8Array.of(1, 2, 3)),
    event(-5n, 2n ** 62n, Uint8Array.of(4, 5, 6)),
  ]);

  it('one chunk: headers and runs in order, ids and timestamps decoded (negative and beyond 2^53 too)', () => {
    const [only] = batches(body, []);
    expect(only!.map((i) => `${i.kind}:${i.name}`)).toEqual(['header:A', 'events:A', 'header:B', 'events:B']);
    expect(only![1]).toMatchObject({ ids: [10n, 11n, 12n], ts: [1_000n, 2_000n, 3_000n], values: [[...f64(0.5)], [...f64(1.5)], [...f64(2.5)]] });
    expect(only![3]).toMatchObject({ ids: [10n, 2n ** 62n], ts: [1_000n, -5n], values: [[1, 2, 3], [4, 5, 6]] });
  });

  it('chunks cut anywhere give the same events; a frame spanning chunks is a run of its own', () => {
    for (const cuts of [[1], [7, 8, 9], [60, 61], Array.from({ length: 40 }, (_, i) => 1 + i * 5)]) {
      const all = batches(body, cuts).flat();
      const events = (name: string) => all.filter((i) => i.kind === 'events' && i.name === name);
      expect(events('A').flatMap((r) => r.ids)).toEqual([10n, 11n, 12n]);
      expect(events('A').flatMap((r) => r.values)).toEqual([[...f64(0.5)], [...f64(1.5)], [...f64(2.5)]]);
      expect(events('B').flatMap((r) => r.values)).toEqual([[1, 2, 3], [4, 5, 6]]);
      expect(all.filter((i) => i.kind === 'header').map((i) => i.name)).toEqual(['A', 'B']);
    }
  });

  it('counts events per channel over the response', () => {
    const decoder = new FrameDecoder('data');
    const batcher = new EventBatcher('data');
    decoder.visit(body, batcher);
    batcher.take();
    expect(Object.fromEntries(batcher.counts)).toEqual({ A: 3, B: 2 });
  });

  it('refuses a value of the wrong size, a compressed one declaring another size, an event before any header', () => {
    const take = (parts: Uint8Array[]) => () => {
      const d = new FrameDecoder('data');
      const b = new EventBatcher('data');
      d.visit(concat(parts), b);
      return b.take();
    };
    expect(take([header({ name: 'A', type: 'float64', shape: [] }), event(1n, 7n, new Uint8Array(4))])).toThrow(/channel A pulse 7: value of 4 B, expected 8 B/);
    const blob = bitshuffleLz4Compress(new Uint8Array(20), 2);
    expect(take([header({ name: 'W', type: 'uint16', shape: [12], compression: 1 }), event(1n, 8n, blob)])).toThrow(/channel W pulse 8: compressed value declares 20 B, expected 24 B/);
    expect(take([event(1n, 9n, f64(1))])).toThrow(BufferProtocolError);
  });

  it('compressed values stay as received; toEvents gives per-event copies that decompress on access', () => {
    const pixels = Uint8Array.from({ length: 2 * 24 }, (_, i) => (i * 7) & 0xff);
    const blob = bitshuffleLz4Compress(pixels, 2, 16);
    const d = new FrameDecoder('image');
    const b = new EventBatcher('image');
    d.visit(concat([header({ name: 'CAM', type: 'uint16', shape: [6, 4], compression: 1 }), event(5n, 6n, blob)]), b);
    const run = b.take().find((i): i is EventRun => i.kind === 'events')!;
    expect(Buffer.from(run.bytes.subarray(run.starts[0]!, run.ends[0]!)).equals(Buffer.from(blob))).toBe(true);
    const [e] = toEvents(run, 'image');
    expect(Buffer.from(e!.compressed!).equals(Buffer.from(blob))).toBe(true);
    expect(Buffer.from(e!.value as Uint8Array).equals(Buffer.from(pixels))).toBe(true);
  });
});
