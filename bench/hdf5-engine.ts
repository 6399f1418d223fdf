/**
 * Micro benchmark of the WebAssembly HDF5 engine (lib/adapters/hdf5/engine):
 *   1. 1,000 bitshuffle-LZ4 chunks of 1280x1024 uint16 camera images written as direct chunks, against a
 *      plain fs.writeSync of the same bytes, without and with fsync;
 *   2. bitshuffle-LZ4 compression MB/s, one thread against the CompressorPool (one thread per core);
 *   3. shuffle + gzip(4) of 500 float64 channels x 6,000 pulses (a BS file), against no filter.
 *
 *   node --import tsx bench/hdf5-engine.ts [--chunks 1000] [--frames 200] [--channels 500] [--pulses 6000] [--dir /tmp]
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CompressorPool, H5Engine } from '../lib/adapters/hdf5/engine';

const { values: args } = parseArgs({
  options: {
    chunks: { type: 'string', default: '1000' },
    frames: { type: 'string', default: '200' },
    channels: { type: 'string', default: '500' },
    pulses: { type: 'string', default: '6000' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const CHUNKS = Number(args.chunks);
const FRAMES = Number(args.frames);
const CHANNELS = Number(args.channels);
const PULSES = Number(args.pulses);
const H = 1024;
const W = 1280;
const MB = 1e6;
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);

/** A camera-like image: pedestal ~1000 with 3 bits of read noise, a Gaussian spot moving with `seed`. */
function cameraImage(seed: number): Uint16Array {
  const img = new Uint16Array(H * W);
  let s = (seed * 2_654_435_761) >>> 0 || 1;
  const cx = (W / 4 + seed * 13) % W;
  const cy = (H / 2 + seed * 7) % H;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
      img[y * W + x] = 1000 + ((s & 7) - 4) + Math.round(3000 * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 20000));
    }
  }
  return img;
}

/** Wall time and CPU time (user + system, every thread of the process, workers included). */
function time<T>(fn: () => T): { ms: number; cpu: number; result: T } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = fn();
  const c = process.cpuUsage(c0);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, cpu: (c.user + c.system) / 1000, result };
}

async function timeAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; cpu: number; result: T }> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const result = await fn();
  const c = process.cpuUsage(c0);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, cpu: (c.user + c.system) / 1000, result };
}

/** The run with the median wall time of `n`. */
function median<T extends { ms: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)]!;
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r+');
  fsyncSync(fd);
  closeSync(fd);
}

const rows: string[][] = [];
const row = (...cells: (string | number)[]) => rows.push(cells.map(String));
const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const dir = mkdtempSync(join(args.dir, 'bench-hdf5-engine-'));
  try {
    const load = await timeAsync(() => H5Engine.loadIsolated());
    const engine = load.result;
    console.log(`engine loaded in ${fmt(load.ms)} ms (bitshuffle SIMD: ${engine.simd}); ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

    // ---- 1. direct chunks vs plain writes ------------------------------------------------------------
    const distinct = Array.from({ length: 20 }, (_, i) => cameraImage(i));
    const blobs = distinct.map((img) => engine.bitshuffleLz4Compress(img, 2));
    const blobBytes = Array.from({ length: CHUNKS }, (_, i) => blobs[i % blobs.length]!.byteLength).reduce((a, b) => a + b, 0);
    const imageBytes = CHUNKS * H * W * 2;
    console.log(`${CHUNKS} chunks: ${fmt(blobBytes / MB)} MB compressed (${fmt(imageBytes / MB)} MB of image, ratio ${fmt(imageBytes / blobBytes, 2)})`);
    for (const fsync of [false, true]) {
      const plainPath = join(dir, 'plain.bin');
      const h5Path = join(dir, 'direct.h5');
      const plainRuns: ReturnType<typeof time>[] = [];
      const directRuns: ReturnType<typeof time>[] = [];
      for (let rep = 0; rep < REPEAT; rep++) { // alternated, so a noisy neighbour hits both
        plainRuns.push(time(() => {
          const fd = openSync(plainPath, 'w');
          let at = 0;
          for (let i = 0; i < CHUNKS; i++) {
            const b = blobs[i % blobs.length]!;
            writeSync(fd, b, 0, b.byteLength, at);
            at += b.byteLength;
          }
          if (fsync) fsyncSync(fd);
          closeSync(fd);
        }));
        rmSync(plainPath);
        directRuns.push(time(() => {
          const file = engine.create(h5Path);
          const ds = file.createDataset('CAM:FPICTURE/data', {
            dtype: 'uint16', shape: [0, H, W], maxshape: [null, H, W], chunks: [1, H, W], filters: { bitshuffleLz4: true },
          });
          ds.resize([CHUNKS, H, W]);
          for (let i = 0; i < CHUNKS; i++) ds.writeChunk([i, 0, 0], blobs[i % blobs.length]!);
          file.close();
          if (fsync) fsyncPath(h5Path);
        }));
        rmSync(h5Path);
      }
      const plain = median(plainRuns);
      const direct = median(directRuns);
      row(`plain fs.writeSync${fsync ? ' + fsync' : ''}`, fmt(plain.ms), fmt(plain.cpu), fmt(blobBytes / MB / (plain.ms / 1000)), fmt(imageBytes / MB / (plain.ms / 1000)), `median of ${REPEAT}`);
      row(`direct chunks${fsync ? ' + fsync' : ''}`, fmt(direct.ms), fmt(direct.cpu), fmt(blobBytes / MB / (direct.ms / 1000)), fmt(imageBytes / MB / (direct.ms / 1000)), `${fmt(plain.ms / direct.ms, 2)} of plain write's speed; ${fmt((direct.ms * 1000) / CHUNKS)} us/chunk`);
    }

    // ---- 2. compression: one thread vs the pool ------------------------------------------------------
    const frames = Array.from({ length: FRAMES }, (_, i) => distinct[i % distinct.length]!);
    const frameBytes = FRAMES * H * W * 2;
    for (const f of frames.slice(0, 20)) engine.bitshuffleLz4Compress(f, 2); // warm (wasm tier-up)
    const one = time(() => frames.map((f) => engine.bitshuffleLz4Compress(f, 2).byteLength));
    const compressed = one.result.reduce((a, b) => a + b, 0);
    row('bitshuffle-LZ4, 1 thread', fmt(one.ms), fmt(one.cpu), fmt(frameBytes / MB / (one.ms / 1000)), '', `${FRAMES} frames 1280x1024 uint16, ratio ${fmt(frameBytes / compressed, 2)}; ${fmt(frameBytes / MB / (one.cpu / 1000))} MB per CPU-second`);
    const pool = await CompressorPool.create();
    await pool.compressAll(frames.slice(0, 20 * pool.threads), 2); // warm every worker
    const many = await timeAsync(() => pool.compressAll(frames, 2));
    row(`bitshuffle-LZ4, pool of ${pool.threads}`, fmt(many.ms), fmt(many.cpu), fmt(frameBytes / MB / (many.ms / 1000)), '', `${fmt(one.ms / many.ms, 2)}x one thread; ${fmt(frameBytes / MB / (many.cpu / 1000))} MB per CPU-second`);
    const streamed = await timeAsync(async () => {
      let n = 0;
      for await (const c of pool.compressOrdered(frames, 2)) n += c.byteLength;
      return n;
    });
    row('  same, compressOrdered (bounded)', fmt(streamed.ms), fmt(streamed.cpu), fmt(frameBytes / MB / (streamed.ms / 1000)), '', `${fmt(one.ms / streamed.ms, 2)}x one thread`);
    const chunk0 = blobs[0]!;
    const un = time(() => { for (let i = 0; i < FRAMES; i++) engine.bitshuffleLz4Decompress(chunk0, 2); });
    row('bitshuffle-LZ4 decompress, 1 thread', fmt(un.ms), fmt(un.cpu), fmt(frameBytes / MB / (un.ms / 1000)), '', 'MB/s of output');
    await pool.close();

    // ---- 3. shuffle + gzip of a BS file --------------------------------------------------------------
    const columns = Array.from({ length: CHANNELS }, (_, c) =>
      Float64Array.from({ length: PULSES }, (_, i) => (c % 3 === 0 ? Math.round(Math.sin(i / 100 + c) * 1000) / 8 : 1000 + c + Math.sin(i / 50 + c) * 3 + ((i * 2_654_435_761 + c) % 1000) / 1e4)));
    const colBytes = CHANNELS * PULSES * 8;
    for (const filters of [{ shuffle: true, deflate: 4 }, undefined]) {
      const path = join(dir, 'bs.h5');
      const t = time(() => {
        const file = engine.create(path);
        columns.forEach((col, c) => {
          const ds = file.createDataset(`data/BENCH:SCALAR-${String(c).padStart(4, '0')}/data`, {
            dtype: 'float64', shape: [0], maxshape: [null], chunks: [8192], ...(filters ? { filters } : {}),
          });
          ds.resize([PULSES]);
          ds.writeSlab([0], [PULSES], col);
          ds.close();
        });
        file.close();
      });
      const size = statSync(path).size;
      row(filters ? 'shuffle + gzip(4), BS file' : 'no filter, BS file', fmt(t.ms), fmt(t.cpu), fmt(colBytes / MB / (t.ms / 1000)), '', `${CHANNELS} x ${PULSES} float64, file ${fmt(size / MB, 1)} MB (ratio ${fmt(colBytes / size, 2)})`);
      rmSync(path);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const header = ['what', 'wall ms', 'CPU ms', 'MB/s (bytes handled)', 'MB/s of image', 'notes'];
  console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

await main();
