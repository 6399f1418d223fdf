/**
 * The Plan's part of a detector: split it (lib/core/detector-work.ts), clear
 * what an earlier attempt of this run left, make the work folder, the
 * uncompressed raw file's skeleton (every dataset's space reserved, so the
 * workers pwrite into it), and the manifest every worker and the finishing
 * step read. Idempotent: a Plan run again starts the detector afresh.
 */
import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { ensureDirectoryInside } from '../../adapters/fs/safe-paths';
import { createRawSkeleton } from '../../adapters/hdf5/detector/raw-files';
import { moduleFolderName } from '../../adapters/buffers/detector';
import { partsDir, rawDataFile, RAW_DATA_DIR, workDir } from '../../core/detector-files';
import { detectorWork, type DetectorWorkConfig } from '../../core/detector-work';
import { pgroupRawDir } from '../../core/paths';
import { tempNameOf } from '../output-file';
import { RunLog } from '../run-log';
import type { RetrieverInput } from '../types';
import { MANIFEST_VERSION, writeManifest, type DetectorManifest } from './manifest';

/**
 * @example
 *   const { parts } = await prepareDetector({ ...run, source: 'JF07T32V01' }, config.dataRoot, config.detectorWork);
 *   // parts: 8 work items for the state machine's Map
 */
export async function prepareDetector(input: RetrieverInput, dataRoot: string, config: Pick<DetectorWorkConfig, 'itemBytes'>): Promise<{ parts: number; frames: number; manifest: DetectorManifest }> {
  const detector = input.source;
  const file = input.files[detector];
  if (file === undefined) throw new Error(`the run has no output file for detector ${detector}`);
  const w = detectorWork(input.request, detector, config);
  const converted = w.processing.converted;

  // The output folder (and raw_data/) below the pgroup's raw/, with the accept path's symlink rules.
  const rawDir = pgroupRawDir(dataRoot, input.beamline, input.pgroup);
  const parts = relative(rawDir, dirname(file)).split('/').filter((p) => p !== '');
  if (parts.includes('..')) throw new Error(`output ${file} is outside the pgroup's raw directory`);
  const dir = await ensureDirectoryInside(rawDir, parts, true, 'directory_name');
  const finalFile = join(dir, basename(file));
  if (converted) await ensureDirectoryInside(rawDir, [...parts, RAW_DATA_DIR], true, 'directory_name');
  const rawFile = converted ? rawDataFile(finalFile) : finalFile;

  const work = workDir(finalFile);
  const assembled = w.parts > 1 && (converted !== undefined || w.processing.compression);
  const parted = assembled ? partsDir(finalFile) : work;
  // Only this detector's own names: other runs may be writing in the same folder.
  for (const leftover of [work, partsDir(finalFile), tempNameOf(finalFile), tempNameOf(rawFile)]) await rm(leftover, { recursive: true, force: true });
  await mkdir(work);
  if (parted !== work) await mkdir(parted);

  const skeleton = converted !== undefined || !w.processing.compression;
  const manifest: DetectorManifest = {
    version: MANIFEST_VERSION,
    detector,
    file: finalFile,
    frames: w.frames,
    parts: w.parts,
    enabled: w.processing.enabled,
    raw: skeleton && w.frames > 0
      ? { file: rawFile, mode: 'skeleton', layout: await createRawSkeleton(tempNameOf(rawFile), { detector, modules: w.processing.enabled.length, frames: w.frames }) }
      : { file: rawFile, mode: 'parts', compression: w.processing.compression },
    ...(converted ? { converted: { compression: converted.compression, keepRawFile: converted.keepRawFile } } : {}),
    partsDir: parted,
    created: new Date().toISOString(),
  };
  await writeManifest(work, manifest);

  const log = await RunLog.open(dataRoot, input, detector);
  const { start_pulseid: start, stop_pulseid: stop, rate_multiplicator: rate } = input.request;
  const what = w.pulses.kind === 'range'
    ? `pulse ids ${w.pulses.first}..${w.pulses.last} step ${rate}`
    : `${w.pulses.count} selected pulse ids${w.pulses.dropped > 0 ? ` (${w.pulses.dropped} not divisible by rate_multiplicator ${rate} left out)` : ''}`;
  const disabled = [...Array(w.processing.modules).keys()].filter((m) => !w.processing.enabled.includes(m));
  const image = `[${w.frames}, ${w.processing.enabled.length * 512}, 1024] uint16`;
  await log.lines([
    `asked: detector ${detector}, pulses ${start}..${stop} at rate_multiplicator ${rate}: ${w.frames} frames (${what})`,
    `modules enabled ${w.processing.enabled.map(moduleFolderName).join(',')}${disabled.length > 0 ? `, disabled ${disabled.map(moduleFolderName).join(',')}` : ''}`,
    ...(converted
      ? [
          `output: ${finalFile} converted (${converted.conversion ? `adc_to_energy, ${converted.dtype}` : 'no conversion'}, ${converted.outputs.map((o) => `${o.group} [kept frames, ${o.shape.join(', ')}]`).join(', ')}${converted.compression ? ', bitshuffle+LZ4' : ''}); raw frames ${image} to ${rawFile}${converted.keepRawFile ? '' : ' (removed after the conversion: remove_raw_files)'}`,
        ]
      : [`output: ${finalFile} (${w.processing.compression ? 'bitshuffle+LZ4' : 'uncompressed'}, ${image})`]),
    ...w.processing.notes.map((n) => `note: ${n}`),
    `split into ${w.parts} part${w.parts === 1 ? '' : 's'} of at most ${w.framesPerPart} frames (${(w.workBytes / 1e9).toFixed(2)} GB of pixels to write; at most ${(config.itemBytes / 1e9).toFixed(1)} GB a part)` +
      (assembled ? `; the file's data is assembled from ${parted}/ (a virtual dataset: keep that folder beside the file)` : manifest.raw.mode === 'skeleton' ? '; every part writes its frames into the one file' : ''),
  ]);
  return { parts: w.parts, frames: w.frames, manifest };
}
