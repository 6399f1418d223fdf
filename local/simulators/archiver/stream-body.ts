import type { ServerResponse } from 'node:http';

/** Where to cut a body: `reset` destroys the socket, `truncate` ends the chunked body cleanly. */
export interface BodyCut {
  bytes: number;
  mode: 'reset' | 'truncate';
}

/**
 * Write text pieces with backpressure (a 60,001-sample answer never sits
 * whole in memory), optionally cut after `cut.bytes` body bytes. A body
 * shorter than the cut is sent whole.
 *
 * @example
 *   await streamBody(res, answerChunks(pv, meta, samples), { bytes: 500, mode: 'reset' });
 */
export async function streamBody(res: ServerResponse, pieces: Iterable<string>, cut?: BodyCut): Promise<void> {
  let sent = 0;
  for (const text of pieces) {
    if (res.destroyed) return;
    const bytes = Buffer.from(text);
    if (cut && sent + bytes.length >= cut.bytes) {
      const part = bytes.subarray(0, cut.bytes - sent);
      // Reset only once the part has left, so the client sees a 200 and then loses the connection.
      if (cut.mode === 'truncate') res.end(part);
      else res.write(part, () => res.socket?.destroy());
      return;
    }
    sent += bytes.length;
    if (!res.write(bytes)) await drained(res);
  }
  res.end();
}

/** Resolves on 'drain', or on 'close' when the client went away (else we would wait forever). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
