/**
 * The check of a converted Jungfrau file (jungfrau.md §5): it keeps only good
 * frames (and selected ones, and pulse-picker ones when asked), so fewer rows
 * than pulses requested is its purpose, not a problem. What must hold: every
 * image group (`data/<DET>`, or each `data/<DET>:ROI_<label>`) has pulse_id,
 * daq_rec, is_good_frame and data with as many rows; its pulse ids are
 * expected ones, strictly increasing (no repeat); every row is a good frame
 * (and a pulse-picker event when asked); and all groups hold the same frames.
 * Rows left out are reported (`missing`) as frames not kept.
 */
import { listIds, toNumbers, type ExpectedPulses } from './expected';
import { absentChannel, pulseFields } from './pulse-channel';
import { scanPulseIds } from './pulse-scan';
import type { DetectorCheck, IntArray } from './types';

/** One image group of a converted file. */
export interface ConvertedGroupData {
  /** `data/<DET>` or `data/<DET>:ROI_<label>`. */
  group: string;
  pulseIds?: IntArray;
  daqRec?: IntArray;
  isGoodFrame?: IntArray;
  /** Rows of the group's `data` (undefined: no data dataset). */
  dataRows?: number;
}

export interface ConvertedData {
  groups: ConvertedGroupData[];
  /** save_ppicker_events_only was asked: every kept row has daq_rec bit 19. */
  ppickerEventsOnly?: boolean;
}

const PICKER_BIT = 1 << 19;

/**
 * @example checkConvertedFrames({ groups: [{ group: 'data/JF', pulseIds, daqRec, isGoodFrame, dataRows: 3 }] }, 1000, 1009, expectedPulses(1000, 1009, 1)).problems // []
 */
export function checkConvertedFrames(data: ConvertedData, start: number, stop: number, expected: ExpectedPulses): DetectorCheck {
  const first = data.groups[0];
  const lengths = { pulse_id: first?.pulseIds?.length ?? null, frame_index: null, is_good_frame: first?.isGoodFrame?.length ?? null, daq_rec: first?.daqRec?.length ?? null };
  const frameFields = { lengths, bad_frames: 0, pulse_id_jumps: 0, frame_index_jumps: 0, frame_index_per_pulse: null };
  if (!first || first.pulseIds === undefined) return { ...absentChannel(expected, 'not present in the converted file (no image group with pulse_id)'), ...frameFields };
  const pulseIds = toNumbers(first.pulseIds);
  const scan = scanPulseIds(pulseIds, start, stop, expected);
  const problems: string[] = [];
  if (scan.out_of_range > 0 || scan.off_rate > 0 || scan.edge > 0) problems.push(`${scan.out_of_range + scan.off_rate + scan.edge} rows hold pulse ids that were not requested (e.g. ${scan.examples.outOfRange ?? '?'})`);
  if (scan.duplicates > 0) problems.push(`${scan.duplicates} rows repeat an earlier pulse id (e.g. ${scan.examples.duplicate})`);
  const d = scan.examples.decreaseAt;
  if (d) problems.push(`pulse ids not monotonic: row ${d.row} goes back from ${d.from} to ${d.to}`);
  let bad = 0;
  for (const g of data.groups) {
    const absent = (['pulseIds', 'daqRec', 'isGoodFrame'] as const).filter((k) => g[k] === undefined).map((k) => ({ pulseIds: 'pulse_id', daqRec: 'daq_rec', isGoodFrame: 'is_good_frame' })[k]);
    if (g.dataRows === undefined) absent.push('data');
    if (absent.length > 0) problems.push(`${g.group}: datasets missing: ${absent.join(', ')}`);
    const rows = new Set([g.pulseIds?.length, g.daqRec?.length, g.isGoodFrame?.length, g.dataRows].filter((n) => n !== undefined));
    if (rows.size > 1) problems.push(`${g.group}: datasets of different lengths (pulse_id ${g.pulseIds?.length}, daq_rec ${g.daqRec?.length}, is_good_frame ${g.isGoodFrame?.length}, data ${g.dataRows})`);
    if (g !== first && g.pulseIds && !sameIds(g.pulseIds, first.pulseIds)) problems.push(`${g.group} holds other frames than ${first.group}`);
  }
  if (first.isGoodFrame) {
    for (let i = 0; i < first.isGoodFrame.length; i++) if (Number(first.isGoodFrame[i]) !== 1) bad += 1;
    if (bad > 0) problems.push(`${bad} rows are not good frames (a converted file keeps good frames only)`);
  }
  if (data.ppickerEventsOnly && first.daqRec) {
    let off = 0;
    for (let i = 0; i < first.daqRec.length; i++) if ((Number(first.daqRec[i]) & PICKER_BIT) === 0) off += 1;
    if (off > 0) problems.push(`${off} rows are not pulse-picker events (save_ppicker_events_only)`);
  }
  if (pulseIds.length === 0 && expected.count > 0) problems.push(`no frame kept of ${expected.count} requested`);
  const notKept = scan.missing > 0 ? [`${scan.missing} of ${expected.count} requested frames not kept (bad, or not pulse-picker events): ${listIds(scan.examples.missing, scan.missing)}`] : [];
  return { present: true, ...pulseFields(scan, expected), problems, notes: notKept, ...frameFields, bad_frames: bad };
}

function sameIds(a: IntArray, b: IntArray): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (Number(a[i]) !== Number(b[i])) return false;
  return true;
}
