/**
 * Which frames of the raw file a converted file keeps (jungfrau.md §5), and
 * the CrystFEL lists: pure functions over the raw file's per-frame datasets.
 */
import { isHighGain, isLaserLight, isPulsePickerEvent } from './pixel-word';

export interface FrameColumns {
  pulseId: ArrayLike<number | bigint>;
  isGoodFrame: ArrayLike<number>;
  daqRec: ArrayLike<number>;
}

export interface SelectionRules {
  /** Keep only these pulse ids (null: all). */
  selectedPulseIds: readonly number[] | null;
  /** Keep only frames with the pulse picker open (daq_rec bit 19). */
  ppickerEventsOnly: boolean;
}

/**
 * Indexes of the kept frames: is_good_frame != 0, pulse id selected (if any), pulse picker open (if asked).
 * @example keptFrames({ pulseId: [10, 11, 12], isGoodFrame: [1, 0, 1], daqRec: [0, 0, 1 << 19] }, { selectedPulseIds: null, ppickerEventsOnly: true }) // [2]
 */
export function keptFrames(frames: FrameColumns, rules: SelectionRules): number[] {
  const selected = rules.selectedPulseIds && rules.selectedPulseIds.length > 0 ? new Set(rules.selectedPulseIds.map(Number)) : undefined;
  const kept: number[] = [];
  for (let i = 0; i < frames.isGoodFrame.length; i++) {
    if (!frames.isGoodFrame[i]) continue;
    if (selected && !selected.has(Number(frames.pulseId[i]))) continue;
    if (rules.ppickerEventsOnly && !isPulsePickerEvent(Number(frames.daqRec[i]))) continue;
    kept.push(i);
  }
  return kept;
}

/**
 * The lines of `<out>.light.lst` and `<out>.dark.lst` (sf_daq_broker make_crystfel_list):
 * `<file> //<index>` per kept frame; light = daq_rec bit 16 set and bit 17 clear.
 * @example crystfelLists('/sf/a/run.h5', [0, 1], [1 << 16, 1 << 17]) // { light: ['/sf/a/run.h5 //0'], dark: ['/sf/a/run.h5 //1'] }
 */
export function crystfelLists(file: string, indexes: readonly number[], daqRecs: ArrayLike<number>): { light: string[]; dark: string[] } {
  const light: string[] = [];
  const dark: string[] = [];
  indexes.forEach((frame, i) => (isLaserLight(Number(daqRecs[i])) ? light : dark).push(`${file} //${frame}`));
  return { light, dark };
}

/**
 * Whether a file converts with the high-gain planes: daq_rec bit 0 of its
 * first good frame (jungfrau_utils File). False when no frame is good.
 * @example highGainOfFirstGoodFrame({ isGoodFrame: [0, 1], daqRec: [0, 1] }) // true
 */
export function highGainOfFirstGoodFrame(frames: Pick<FrameColumns, 'isGoodFrame' | 'daqRec'>): boolean {
  for (let i = 0; i < frames.isGoodFrame.length; i++) if (frames.isGoodFrame[i]) return isHighGain(Number(frames.daqRec[i]));
  return false;
}
