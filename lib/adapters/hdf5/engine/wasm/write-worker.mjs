// The WriteOffload's thread (lib/adapters/hdf5/engine/write-offload.ts): writes the engine's large
// pwrites to their files, in the order received, while the engine's thread goes on (reading the network,
// writing HDF5's index). Plain JavaScript so that it runs under plain node, tsx and vitest alike.
//
// workerData: { port, state }: writes arrive on `port` as { fd, position, bytes: ArrayBuffer } (transferred);
// after each, state[0] (bytes written, mod 2^31) grows by its size and is notified; a failure sets state[1]
// to 1 and posts { error } on `port`, and every later write is dropped (the file is lost anyway).
import { writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';

const { port, state } = workerData;
let failed = false;

port.on('message', ({ fd, position, bytes }) => {
  const data = new Uint8Array(bytes);
  if (!failed) {
    try {
      let at = 0;
      while (at < data.length) at += writeSync(fd, data, at, data.length - at, position + at);
    } catch (e) {
      failed = true;
      Atomics.store(state, 1, 1);
      port.postMessage({ error: e instanceof Error ? e.message : String(e) });
    }
  }
  Atomics.add(state, 0, data.length);
  Atomics.notify(state, 0);
});
