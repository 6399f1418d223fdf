// A ChunkCompressor worker (lib/adapters/hdf5/chunk-compressor.ts): shuffle + deflate of dataset chunks,
// many per message. Plain JavaScript so that it runs under plain node, tsx and vitest alike.
//
// workerData: { port, signal }: results go back on `port` (read synchronously by the writer with
// receiveMessageOnPort, so the writer's API stays synchronous), and each result bumps signal[0] and
// notifies it (Atomics.wait on the writer's side).
// In:  { id, level, input: ArrayBuffer, offsets, lengths, elementSizes }: the chunks back to back in `input`
//       (transferred: one transfer per job).
// Out: { id, out: ArrayBuffer, ends: Int32Array, input } (the compressed chunks back to back, where each
//      ends; the input buffer handed back for reuse) or { id, error, input }.
import { workerData } from 'node:worker_threads';
import { shuffleDeflate } from './chunk-codec.mjs';

const { port, signal } = workerData;
let scratch = new Uint8Array(0);

port.on('message', ({ id, level, input, offsets, lengths, elementSizes }) => {
  try {
    const parts = [];
    let total = 0;
    for (let i = 0; i < offsets.length; i++) {
      const src = new Uint8Array(input, offsets[i], lengths[i]);
      if (scratch.length < src.length) scratch = new Uint8Array(src.length);
      const z = shuffleDeflate(src, elementSizes[i], level, scratch);
      parts.push(z);
      total += z.length;
    }
    const out = new Uint8Array(total);
    const ends = new Int32Array(parts.length);
    let at = 0;
    parts.forEach((p, i) => {
      out.set(p, at);
      at += p.length;
      ends[i] = at;
    });
    port.postMessage({ id, out: out.buffer, ends, input }, [out.buffer, input]);
  } catch (e) {
    port.postMessage({ id, error: e instanceof Error ? e.message : String(e), input }, [input]);
  }
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
