/**
 * The check of a Jungfrau file: pulse_id, frame_index, is_good_frame and
 * daq_rec of equal length and of the expected count (the requested pulses,
 * or the detector's selected_pulse_ids, at the rate); first/last pulse id as
 * requested; over consecutive good frames pulse_id advances by the expected
 * step and frame_index with it; every bad frame counted (one is a problem).
 *
 * frame_index pace (a choice: the spec says "increase by one step"): the
 * detector's frame counter ticks per trigger, which is every pulse for a
 * detector running at 100 Hz (frame_index step = pulse step, as the
 * simulator and most SwissFEL Jungfraus) or every beam pulse for one
 * triggered at the beam rate (step 1 per `rate` pulses). So the check takes
 * the run's most common ratio frame_index step / pulse_id step over pairs of
 * consecutive good frames as the pace, and counts every pair off that pace
 * (or not increasing) as a jump. This catches lost or repeated triggers at
 * any rate without guessing how the detector was timed.
 */
import { checkConvertedFrames } from './converted';
import { toNumbers, type ExpectedPulses } from './expected';
import { absentChannel, pulseFields, pulseProblems } from './pulse-channel';
import { scanPulseIds } from './pulse-scan';
import type { DetectorCheck, DetectorData, IntArray } from './types';

const FIELDS = ['pulse_id', 'frame_index', 'is_good_frame', 'daq_rec'] as const;

/**
 * @example checkDetectorFrames({ name: 'JF01T03V01', pulseIds, frameIndex, isGoodFrame, daqRec }, 1000, 1009, expectedPulses(1000, 1009, 1)).bad_frames
 */
export function checkDetectorFrames(data: DetectorData, start: number, stop: number, expected: ExpectedPulses): DetectorCheck {
  const check = data.converted ? checkConvertedFrames(data.converted, start, stop, expected) : checkRawFrames(data, start, stop, expected);
  if (data.fileProblems?.length) check.problems.push(...data.fileProblems);
  return check;
}

function checkRawFrames(data: DetectorData, start: number, stop: number, expected: ExpectedPulses): DetectorCheck {
  const arrays: Record<(typeof FIELDS)[number], IntArray | undefined> = {
    pulse_id: data.pulseIds, frame_index: data.frameIndex, is_good_frame: data.isGoodFrame, daq_rec: data.daqRec,
  };
  const lengths = {
    pulse_id: arrays.pulse_id?.length ?? null,
    frame_index: arrays.frame_index?.length ?? null,
    is_good_frame: arrays.is_good_frame?.length ?? null,
    daq_rec: arrays.daq_rec?.length ?? null,
  };
  if (data.pulseIds === undefined) {
    return { ...absentChannel(expected, 'not present in the file (no /data/<DET>/pulse_id)'), lengths, bad_frames: 0, pulse_id_jumps: 0, frame_index_jumps: 0, frame_index_per_pulse: null };
  }
  const pulseIds = toNumbers(data.pulseIds);
  const scan = scanPulseIds(pulseIds, start, stop, expected);
  const problems = pulseProblems(scan, expected, start, stop);
  if (scan.off_rate > 0) problems.push(`${scan.off_rate} rows hold pulse ids in range that were not requested (not divisible by the rate or not selected)`);
  if (scan.edge > 0) problems.push(`${scan.edge} rows hold pulse ids just outside the range (the detector buffer is read as a closed interval)`);

  const absent = FIELDS.filter((f) => arrays[f] === undefined);
  if (absent.length > 0) problems.push(`datasets missing: ${absent.join(', ')}`);
  const present = FIELDS.filter((f) => arrays[f] !== undefined).map((f) => `${f} ${lengths[f]}`);
  if (new Set(FIELDS.filter((f) => arrays[f] !== undefined).map((f) => lengths[f])).size > 1) {
    problems.push(`datasets of different lengths: ${present.join(', ')}`);
  }
  if (pulseIds.length !== expected.count) {
    problems.push(`${pulseIds.length} frames, expected ${expected.count}`);
  }
  if (data.dataRows !== undefined && data.dataRows !== pulseIds.length) problems.push(`data has ${data.dataRows} frames, pulse_id ${pulseIds.length}`);

  const good = goodRows(arrays.is_good_frame, pulseIds.length);
  const badFrames = pulseIds.length - good.length;
  if (badFrames > 0) problems.push(`${badFrames} of ${pulseIds.length} frames are bad (is_good_frame != 1)`);
  const pulseJumps = countPulseJumps(pulseIds, good, expected);
  if (pulseJumps > 0) problems.push(`pulse_id does not advance by the expected step between ${pulseJumps} pairs of consecutive good frames`);
  const pace = arrays.frame_index ? framePace(toNumbers(arrays.frame_index), pulseIds, good) : { perPulse: null, jumps: 0 };
  if (pace.jumps > 0) {
    problems.push(`frame_index jumps between ${pace.jumps} pairs of consecutive good frames (usual pace: ${pace.perPulse ?? '?'} per pulse)`);
  }
  return {
    present: true,
    ...pulseFields(scan, expected),
    problems,
    lengths,
    bad_frames: badFrames,
    pulse_id_jumps: pulseJumps,
    frame_index_jumps: pace.jumps,
    frame_index_per_pulse: pace.perPulse,
  };
}

/** Rows with is_good_frame == 1 (without the dataset every row counts as good, as the original did for converted files). */
function goodRows(isGood: IntArray | undefined, rows: number): number[] {
  const good: number[] = [];
  for (let i = 0; i < rows; i++) if (isGood === undefined || (i < isGood.length && Number(isGood[i]) === 1)) good.push(i);
  return good;
}

/** Pairs of consecutive good frames whose pulse ids differ from the expected pulses' difference for those rows. */
function countPulseJumps(pulseIds: Float64Array, good: number[], expected: ExpectedPulses): number {
  let jumps = 0;
  for (let k = 1; k < good.length; k++) {
    const i = good[k - 1]!;
    const j = good[k]!;
    const want = j < expected.count ? expected.at(j) - expected.at(i) : (j - i) * expected.rate;
    if (pulseIds[j]! - pulseIds[i]! !== want) jumps += 1;
  }
  return jumps;
}

/** The most common frame_index/pulse_id step ratio over consecutive good frames, and the pairs off it. */
function framePace(frameIndex: Float64Array, pulseIds: Float64Array, good: number[]): { perPulse: number | null; jumps: number } {
  const ratios: Array<string | null> = [];
  const tally = new Map<string, number>();
  for (let k = 1; k < good.length; k++) {
    const i = good[k - 1]!;
    const j = good[k]!;
    const df = (frameIndex[j] ?? NaN) - (frameIndex[i] ?? NaN);
    const dp = pulseIds[j]! - pulseIds[i]!;
    if (!(df > 0 && dp > 0) || !Number.isInteger(df) || !Number.isInteger(dp)) {
      ratios.push(null);
      continue;
    }
    const g = gcd(df, dp);
    const key = `${df / g}/${dp / g}`;
    ratios.push(key);
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  let usual: string | undefined;
  for (const [key, n] of tally) if (usual === undefined || n > tally.get(usual)!) usual = key;
  const jumps = ratios.filter((r) => r !== usual).length;
  if (usual === undefined) return { perPulse: null, jumps };
  const [num, den] = usual.split('/').map(Number) as [number, number];
  return { perPulse: num / den, jumps };
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
