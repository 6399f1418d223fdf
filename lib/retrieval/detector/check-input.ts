/**
 * What the consistency check reads of a detector's file (lib/retrieval/check-files.ts):
 *
 * - raw (sf_writer) layout: /data/<DET>/{pulse_id, frame_index, is_good_frame, daq_rec} and data's rows;
 * - converted layout (it has /data/<DET>/meta, or /data/<DET>:ROI_<label> groups): per image
 *   group pulse_id, daq_rec, is_good_frame and data's rows;
 * - an assembled file (a `run_NNNNNN.<DET>.parts/` folder beside it, which its virtual `data`
 *   reads): every part opened, and their pulse ids together must be the file's, in order. A
 *   virtual dataset reads a missing part as zeros without an error, so only this finds it.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { File } from 'h5wasm/node';
import type { H5Lib } from '../../adapters/hdf5/h5';
import { H5Engine } from '../../adapters/hdf5/engine';
import type { DetectorData, IntArray } from '../../core/check';
import { partsDir } from '../../core/detector-files';

type Read = (path: string) => IntArray | undefined;

/**
 * @example const data = readDetectorInput(lib, file, 'JF06T08V04', read, { ppickerEventsOnly: false });
 */
export function readDetectorInput(lib: H5Lib, file: File, detector: string, read: Read, options: { ppickerEventsOnly?: boolean } = {}): DetectorData {
  const rows = (path: string): number | undefined => {
    const ds = file.get(path);
    return ds instanceof lib.Dataset ? (ds.shape?.[0] ?? 0) : undefined;
  };
  const data = file.get('/data');
  const groups = data instanceof lib.Group ? data.keys().filter((k) => k === detector || k.startsWith(`${detector}:ROI_`)) : [];
  const converted = file.get(`/data/${detector}/meta`) instanceof lib.Group || groups.some((g) => g !== detector);
  if (converted) {
    return {
      name: detector,
      converted: {
        groups: groups.sort().map((g) => {
          const at = `/data/${g}`;
          const group: NonNullable<DetectorData['converted']>['groups'][number] = { group: `data/${g}` };
          const [pulseIds, daqRec, isGoodFrame, dataRows] = [read(`${at}/pulse_id`), read(`${at}/daq_rec`), read(`${at}/is_good_frame`), rows(`${at}/data`)];
          if (pulseIds) group.pulseIds = pulseIds;
          if (daqRec) group.daqRec = daqRec;
          if (isGoodFrame) group.isGoodFrame = isGoodFrame;
          if (dataRows !== undefined) group.dataRows = dataRows;
          return group;
        }),
        ...(options.ppickerEventsOnly ? { ppickerEventsOnly: true } : {}),
      },
    };
  }
  const at = `/data/${detector}`;
  const out: DetectorData = { name: detector };
  const fields = { pulseIds: read(`${at}/pulse_id`), frameIndex: read(`${at}/frame_index`), isGoodFrame: read(`${at}/is_good_frame`), daqRec: read(`${at}/daq_rec`) };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  const dataRows = rows(`${at}/data`);
  if (dataRows !== undefined) out.dataRows = dataRows;
  return out;
}

/**
 * Problems of an assembled file's parts: a part missing or unreadable, or their frames not the file's.
 * @example await assembledFileProblems('/r/run_000001.JF07T32V01.h5', data) // [] when every part is there
 */
export async function assembledFileProblems(file: string, data: DetectorData): Promise<string[]> {
  const dir = partsDir(file);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^part_\d{4}\.h5$/.test(n)).sort();
  if (names.length === 0) return [];
  const group = data.converted ? data.converted.groups[0]?.group : `data/${data.name}`;
  const expected = data.converted ? data.converted.groups[0]?.pulseIds : data.pulseIds;
  if (!group || !expected) return [];
  const engine = await H5Engine.load();
  const problems: string[] = [];
  const ids: number[] = [];
  for (const name of names) {
    try {
      const f = engine.open(join(dir, name), 'r');
      try {
        const ds = f.dataset(`${group}/pulse_id`);
        const n = ds.shape[0] ?? 0;
        if (n > 0) for (const v of ds.readSlab([0, 0], [n, 1]) as BigUint64Array) ids.push(Number(v));
        ds.close();
      } finally {
        f.close();
      }
    } catch (error) {
      problems.push(`part ${name} of ${dir} cannot be read (its frames read as zeros): ${(error as Error).message.slice(0, 200)}`);
    }
  }
  if (problems.length > 0) return problems;
  const same = ids.length === expected.length && ids.every((p, i) => p === Number(expected[i]));
  if (!same) problems.push(`the ${names.length} parts in ${dir} hold ${ids.length} frames that are not the file's ${expected.length} (a part missing or from another run)`);
  return problems;
}
