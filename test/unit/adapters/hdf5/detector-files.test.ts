/**
 * The raw Jungfrau file written by several workers (lib/adapters/hdf5/detector/raw-files.ts):
 * a skeleton filled with plain pwrites, and a file assembled over compressed
 * parts, each read as a scientist does (h5py) in sf_writer's layout; a part
 * gone reads as zeros in HDF5 without an error, so the check's own look at
 * the parts must say it.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assembleRawFile, createRawSkeleton, RawPartWriter } from '../../../../lib/adapters/hdf5/detector/raw-files';
import { CompressorPool } from '../../../../lib/adapters/hdf5/engine';
import { assembledFileProblems } from '../../../../lib/retrieval/detector/check-input';
import { bitshuffleMissing, h5pyMissing, readWithH5py, sha256 } from './h5py';

const DET = 'JF02T02V01';
const MODULES = 2;
const N = 5;
const dir = mkdtempSync(join(tmpdir(), 'detector-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frame = (i: number) => {
  const a = new Uint16Array(MODULES * 512 * 1024);
  for (let k = 0; k < a.length; k += 331) a[k] = (i * 7919 + k) & 0xffff;
  return a;
};
const allPixels = () => {
  const all = new Uint8Array(N * MODULES * 512 * 1024 * 2);
  for (let i = 0; i < N; i++) all.set(new Uint8Array(frame(i).buffer), i * MODULES * 512 * 1024 * 2);
  return all;
};
const rows = { pulseId: [1000n, 1001n, 1002n, 1003n, 1004n], daqRec: [0, 1 << 16, 0, 3 << 16, 1], good: [1, 1, 0, 1, 1] };

describe('sf_writer layout from several writers', () => {
  it('a skeleton: every dataset contiguous at a known offset; pwrites of frames and rows are the file', (ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    return (async () => {
      const path = join(dir, 'skeleton.h5');
      const layout = await createRawSkeleton(path, { detector: DET, modules: MODULES, frames: N });
      expect(layout.frameBytes).toBe(MODULES * 1024 * 1024);
      const fd = openSync(path, 'r+');
      // frames written out of order, as parallel workers do
      for (const i of [3, 0, 4, 1, 2]) writeSync(fd, frame(i), 0, layout.frameBytes, layout.offsets.data + i * layout.frameBytes);
      writeSync(fd, BigUint64Array.from(rows.pulseId), 0, N * 8, layout.offsets.pulse_id);
      writeSync(fd, BigUint64Array.from(rows.pulseId, (p) => p + 5_000_000n), 0, N * 8, layout.offsets.frame_index);
      writeSync(fd, Uint32Array.from(rows.daqRec), 0, N * 4, layout.offsets.daq_rec);
      writeSync(fd, Uint8Array.from(rows.good), 0, N, layout.offsets.is_good_frame);
      closeSync(fd);
      const file = readWithH5py(path, 8);
      expect(file.datasets['general/detector_name']).toMatchObject({ shape: [], kind: 'string', string: { encoding: 'ascii', length: null }, values: DET });
      expect(file.datasets[`data/${DET}/data`]).toMatchObject({ dtype: '<u2', shape: [N, 1024, 1024], chunks: null, filter_ids: [], sha256: sha256(allPixels()) });
      expect(file.datasets[`data/${DET}/pulse_id`]).toMatchObject({ dtype: '<u8', shape: [N, 1], values: rows.pulseId.map(String) });
      expect(file.datasets[`data/${DET}/frame_index`]).toMatchObject({ dtype: '<u8', shape: [N, 1] });
      expect(file.datasets[`data/${DET}/daq_rec`]).toMatchObject({ dtype: '<u4', shape: [N, 1], values: rows.daqRec });
      expect(file.datasets[`data/${DET}/is_good_frame`]).toMatchObject({ dtype: '|u1', shape: [N, 1], values: rows.good });
      expect(Object.values(file.datasets).every((d) => Object.keys(d.attrs).length === 0)).toBe(true);
    })();
  });

  it('compressed parts under one virtual data: h5py reads every frame; a part gone is found by the check, not by HDF5', (ctx) => {
    ctx.skip(h5pyMissing !== undefined, h5pyMissing);
    return (async () => {
      const parts = join(dir, 'run_000001.JF02T02V01.parts');
      mkdirSync(parts);
      const pool = await CompressorPool.create({ threads: 2 });
      const split = [[0, 2], [2, 3]] as const;
      try {
        for (const [p, [first, count]] of split.entries()) {
          const w = await RawPartWriter.create(join(parts, `part_000${p}.h5`), { detector: DET, modules: MODULES, frames: count, compression: true });
          for (let i = 0; i < count; i++) {
            const f = first + i;
            w.writeFrame(i, await pool.compress(frame(f), 2), { pulseId: rows.pulseId[f]!, frameIndex: rows.pulseId[f]! + 5_000_000n, daqRec: rows.daqRec[f]!, isGoodFrame: rows.good[f] === 1 });
          }
          w.close();
        }
      } finally {
        await pool.close();
      }
      const path = join(dir, 'run_000001.JF02T02V01.h5');
      await assembleRawFile(path, { detector: DET, modules: MODULES, parts: split.map(([, count], p) => ({ path: join(parts, `part_000${p}.h5`), relative: `run_000001.JF02T02V01.parts/part_000${p}.h5`, frames: count })) });
      const file = readWithH5py(path, 8);
      ctx.skip(bitshuffleMissing(file) !== undefined, bitshuffleMissing(file));
      expect(file.datasets[`data/${DET}/data`]).toMatchObject({ dtype: '<u2', shape: [N, 1024, 1024], sha256: sha256(allPixels()) });
      expect(file.datasets[`data/${DET}/pulse_id`]).toMatchObject({ shape: [N, 1], values: rows.pulseId.map(String) });
      expect(file.datasets[`data/${DET}/is_good_frame`]).toMatchObject({ values: rows.good });
      const data = { name: DET, pulseIds: rows.pulseId };
      expect(await assembledFileProblems(path, data)).toEqual([]);

      rmSync(join(parts, 'part_0001.h5'));
      const gone = readWithH5py(path, 8);
      expect(gone.datasets[`data/${DET}/data`]!.sha256).not.toBe(sha256(allPixels())); // zeros, silently
      expect(await assembledFileProblems(path, data)).toEqual([`the 1 parts in ${parts} hold 2 frames that are not the file's 5 (a part missing or from another run)`]);
    })();
  });
});
