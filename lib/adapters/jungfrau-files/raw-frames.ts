/**
 * The frames of a raw Jungfrau file (sf_writer's layout, README "Output
 * files"), read block by block so a pedestal of any length is computed in
 * bounded memory: `/data/<DET>/data` (N, modules*512, 1024) uint16 and the
 * per-frame `is_good_frame`, `daq_rec`.
 */
import type { Dataset } from 'h5wasm/node';
import { MODULE_PIXELS } from '../../core/jungfrau/constants';
import { CalibrationInvalid } from '../../core/jungfrau/calibration';
import { datasetOf, withFile } from './h5-planes';

export interface RawFrameBlock {
  /** `count` frames of modules*512*1024 words, frame after frame. */
  pixels: Uint16Array;
  count: number;
  isGoodFrame: Uint8Array;
  daqRec: Uint32Array;
}

export interface RawFrames {
  detector: string;
  frames: number;
  modules: number;
}

/** Frames per block for a memory budget of pixels (default 64 MiB): at least 1. */
export function framesPerBlock(modules: number, budgetBytes = 64 << 20): number {
  return Math.max(1, Math.floor(budgetBytes / (modules * MODULE_PIXELS * 2)));
}

/**
 * Read the raw file `path` of `detector`, calling `onBlock` for each block of
 * frames (the block's arrays are valid during the call only).
 *
 * @example
 *   await readRawFrames(file, 'JF07T01V01', (block) => accumulator.add(block.pixels, block.count, block));
 */
export async function readRawFrames(path: string, detector: string, onBlock: (block: RawFrameBlock, info: RawFrames) => void, budgetBytes?: number): Promise<RawFrames> {
  return withFile(path, 'raw detector file', (file) => {
    const data = datasetOf(file, `data/${detector}/data`, 'raw detector file');
    const good = datasetOf(file, `data/${detector}/is_good_frame`, 'raw detector file');
    const daq = datasetOf(file, `data/${detector}/daq_rec`, 'raw detector file');
    const shape = data.shape ?? [];
    if (shape.length !== 3 || shape[2] !== 1024 || shape[1]! % 512 !== 0) {
      throw new CalibrationInvalid(`raw detector file ${path}: data/${detector}/data is ${shape.join(' x ')}, expected (frames, modules*512, 1024)`);
    }
    const [frames, rows] = shape as [number, number, number];
    const info: RawFrames = { detector, frames, modules: rows / 512 };
    // The small per-frame datasets fit in memory (5 bytes a frame).
    const isGoodFrame = Uint8Array.from(good.value as ArrayLike<number>);
    const daqRec = Uint32Array.from(daq.value as ArrayLike<number>);
    const step = framesPerBlock(info.modules, budgetBytes);
    for (let f0 = 0; f0 < frames; f0 += step) {
      const f1 = Math.min(frames, f0 + step);
      onBlock({ pixels: sliceWords(data, f0, f1), count: f1 - f0, isGoodFrame: isGoodFrame.subarray(f0, f1), daqRec: daqRec.subarray(f0, f1) }, info);
    }
    return info;
  });
}

function sliceWords(data: Dataset, f0: number, f1: number): Uint16Array {
  const values = data.slice([[f0, f1]]);
  if (!(values instanceof Uint16Array)) throw new CalibrationInvalid(`raw detector file: ${data.path} is not uint16`);
  return values;
}
