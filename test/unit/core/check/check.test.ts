import { describe, expect, test } from 'vitest';
import { checkSource, expectedPulses, formatReport, unreadableSource, type CheckRequest, type PulseChannelCheck } from '../../../../lib/core/check';

const range = (from: number, to: number, step = 1): number[] => {
  const out: number[] = [];
  for (let p = from; p <= to; p += step) out.push(p);
  return out;
};

const request = (start: number, stop: number, rate = 1): CheckRequest => ({ start_pulseid: start, stop_pulseid: stop, rate_multiplicator: rate });

function bs(req: CheckRequest, pulseIds: number[] | BigInt64Array | undefined): PulseChannelCheck {
  const check = checkSource(req, { kind: 'data', source: 'BSREAD', channels: [{ name: 'CH', pulseIds }] });
  if (check.kind !== 'data') throw new Error('kind');
  expect(check.verdict).toBe(check.channels.CH!.problems.length > 0 ? 'problems' : 'ok');
  return check.channels.CH!;
}

describe('expected pulses', () => {
  test.for([
    [1000, 1999, 1, 1000, 1000, 1999],
    [1000, 1999, 10, 100, 1000, 1990],
    [1001, 1095, 10, 9, 1010, 1090],
    [1001, 1009, 10, 0, null, null],
    [1000, 1000, 100, 1, 1000, 1000],
  ] as const)('[%i, %i] at rate %i: %i pulses %s..%s', ([start, stop, rate, count, first, last]) => {
    expect(expectedPulses(start, stop, rate)).toMatchObject({ count, first, last });
  });

  test('selected pulse ids keep those divisible by the rate, sorted, unique', () => {
    const e = expectedPulses(1000, 2000, 10, [1010, 1005, 1000, 1010]);
    expect([e.count, e.first, e.last, e.at(1), e.has(1005)]).toEqual([2, 1000, 1010, 1010, false]);
  });
});

describe('BS channel / camera check', () => {
  test.for<[string, CheckRequest, number[], Partial<PulseChannelCheck>, RegExp[]]>([
    ['clean 100 Hz', request(1000, 1099), range(1000, 1099), { found_unique: 100, missing: 0, first: 1000, last: 1099, monotonic: true }, []],
    ['missing pulses', request(1000, 1099), range(1000, 1099).filter((p) => p !== 1010 && p !== 1099), { found_unique: 98, missing: 2, last: 1098 }, [/missing 2 of 100 expected pulses \(1010, 1099\)/, /first\/last pulse id 1000\/1098, expected 1000\/1099/]],
    ['duplicates', request(1000, 1009), [...range(1000, 1005), 1005, ...range(1006, 1009)], { duplicates: 1, found_unique: 10 }, [/1 rows repeat an earlier pulse id \(e\.g\. 1005\)/]],
    ['out of range', request(1000, 1009), [...range(995, 1009), 1020], { out_of_range: 6, found_unique: 10 }, [/6 rows outside the requested pulses 1000..1009 \(e\.g\. 995\)/]],
    ['non-monotonic', request(1000, 1004), [1000, 1002, 1001, 1003, 1004], { monotonic: false, found_unique: 5 }, [/row 2 goes back from 1002 to 1001/]],
    ['rate 10: 100 Hz rows in range are off-rate, not a problem', request(1000, 1099, 10), range(1000, 1099), { expected: 10, found_unique: 10, off_rate: 90, last: 1090 }, []],
    ['rate 10: one beam pulse missing', request(1000, 1099, 10), range(1000, 1099, 10).filter((p) => p !== 1050), { expected: 10, missing: 1 }, [/missing 1 of 10 expected pulses \(1050\)/]],
    ['rate 10, widened edges start-1 and stop+1 tolerated', request(1000, 1100, 10), range(999, 1101), { expected: 11, found_unique: 11, edge: 2, out_of_range: 0 }, []],
    ['rate 10, an on-rate pulse just outside is out of range', request(1001, 1099, 10), range(1000, 1099, 10), { expected: 9, out_of_range: 1, first: 1010 }, [/outside/]],
    ['rate 1: nothing is widened, start-1 is out of range', request(1000, 1009), range(999, 1009), { out_of_range: 1, edge: 0 }, [/outside .* \(e\.g\. 999\)/]],
    ['no rows', request(1000, 1009), [], { rows: 0, present: true, missing: 10 }, [/no data/]],
  ])('%s', ([, req, ids, fields, problems]) => {
    const c = bs(req, ids);
    expect(c).toMatchObject(fields);
    expect(c.problems).toHaveLength(problems.length);
    problems.forEach((re, i) => expect(c.problems[i]).toMatch(re));
  });

  test('absent channel, int64 input, camera kind', () => {
    expect(bs(request(1, 2), undefined)).toMatchObject({ present: false, missing: 2, problems: ['not present in the file'] });
    expect(bs(request(18_940_426_900, 18_940_426_902), BigInt64Array.of(18_940_426_900n, 18_940_426_901n, 18_940_426_902n)).problems).toEqual([]);
    const cams = checkSource(request(10, 11), { kind: 'image', source: 'CAMERAS', channels: [{ name: 'A:FPICTURE', pulseIds: [10, 11] }, { name: 'B:FPICTURE' }] });
    expect([cams.kind, cams.verdict, Object.keys(cams.channels)]).toEqual(['image', 'problems', ['A:FPICTURE', 'B:FPICTURE']]);
  });

  test('summary is JSON-safe and the report names each reason and the verdict', () => {
    const check = checkSource(request(1000, 1009), { kind: 'data', source: 'BSREAD', channels: [{ name: 'OK', pulseIds: range(1000, 1009) }, { name: 'GAPPY', pulseIds: [1000, 1001] }] });
    expect(JSON.parse(JSON.stringify(check))).toEqual(check);
    const report = formatReport(check);
    expect(report[0]).toBe('check BSREAD: pulses 1000..1009, rate_multiplicator 1, expected 10 (1000..1009)');
    expect(report).toContain('  OK: ok, 10/10 pulses 1000..1009');
    expect(report).toContain('  GAPPY: PROBLEMS, 2/10 pulses 1000..1001');
    expect(report.some((l) => /^ {4}- missing 8 of 10 expected pulses \(1002, 1003, 1004, 1005, 1006 and 3 more\)$/.test(l))).toBe(true);
    expect(report.at(-1)).toBe('verdict BSREAD: problems (1 of 2 channels with problems)');
  });
});

describe('PV check', () => {
  const pv = (ids: number[] | undefined, timestamps?: bigint[]) => {
    const check = checkSource(request(1000, 2000), { kind: 'archiver', source: 'PVCHANNELS', channels: [{ name: 'X:PV', pulseIds: ids, timestamps }] });
    if (check.kind !== 'archiver') throw new Error('kind');
    return check.channels['X:PV']!;
  };

  test.for<[string, number[] | undefined, bigint[] | undefined, RegExp[]]>([
    ['a value before the start, then changes', [900, 1500, 1500, 2100], [1n, 2n, 3n, 4n], []],
    ['a sample exactly at the start', [1000], undefined, []],
    ['no value at the start', [1200, 1300], undefined, [/no value at the start of the run: the first sample is at pulse 1200/]],
    ['pulse ids going back', [900, 1500, 1400], undefined, [/sample 2 goes back from 1500 to 1400/]],
    ['timestamps going back', [900, 1500], [10_000_000_000_000_000_000n, 9_999_999_999_999_999_999n], [/timestamps not monotonic/]],
    ['no samples', [], undefined, [/no samples/]],
    ['absent', undefined, undefined, [/not present/]],
  ])('%s', ([, ids, ts, problems]) => {
    const c = pv(ids, ts);
    expect(c.problems).toHaveLength(problems.length);
    problems.forEach((re, i) => expect(c.problems[i]).toMatch(re));
  });

  test('counts before / in range / after', () => {
    expect(pv([900, 1000, 1500, 2000, 2001])).toMatchObject({ samples: 5, before_start: 1, in_range: 3, after_stop: 1, value_at_start: true, first: 900, last: 2001 });
  });
});

describe('detector check', () => {
  const DET = 'JF01T03V01';
  /** A clean file for the expected pulses, frame_index ticking every pulse (100 Hz counter). */
  const frames = (ids: number[]) => ({
    name: DET,
    pulseIds: BigUint64Array.from(ids.map(BigInt)),
    frameIndex: BigUint64Array.from(ids.map((p) => BigInt(p + 1_000_000))),
    isGoodFrame: Uint8Array.from(ids.map(() => 1)),
    daqRec: Uint32Array.from(ids.map(() => 0)),
  });
  const det = (req: CheckRequest, data: ReturnType<typeof frames>) => {
    const check = checkSource(req, { kind: 'detector', source: DET, detector: data });
    if (check.kind !== 'detector') throw new Error('kind');
    return { check, c: check.channels[DET]! };
  };

  test('clean at rate 2', () => {
    const { check, c } = det(request(1001, 1020, 2), frames(range(1002, 1020, 2)));
    expect(check.verdict).toBe('ok');
    expect(c).toMatchObject({ expected: 10, rows: 10, bad_frames: 0, pulse_id_jumps: 0, frame_index_jumps: 0, frame_index_per_pulse: 1, first: 1002, last: 1020 });
  });

  test('a frame counter at the beam rate is a steady pace too', () => {
    const data = frames(range(1000, 1090, 10));
    data.frameIndex = BigUint64Array.from(range(0, 9).map(BigInt));
    expect(det(request(1000, 1099, 10), data).c).toMatchObject({ frame_index_per_pulse: 0.1, frame_index_jumps: 0, problems: [] });
  });

  test('bad frames are counted and make the verdict problems; their pulse ids need not step', () => {
    const data = frames(range(1000, 1009));
    data.isGoodFrame[3] = 0;
    data.isGoodFrame[4] = 0;
    data.pulseIds[3] = 0n; // sf_writer writes 0 when no module is good
    const { check, c } = det(request(1000, 1009), data);
    expect(check.verdict).toBe('problems');
    expect(c).toMatchObject({ bad_frames: 2, pulse_id_jumps: 0, frame_index_jumps: 0 });
    expect(c.problems).toContain('2 of 10 frames are bad (is_good_frame != 1)');
  });

  test('frame_index jump between good frames (a lost trigger)', () => {
    const data = frames(range(1000, 1009));
    for (let i = 5; i < 10; i++) data.frameIndex[i]! += 1n;
    const { c } = det(request(1000, 1009), data);
    expect(c).toMatchObject({ frame_index_jumps: 1, frame_index_per_pulse: 1 });
    expect(c.problems.join('\n')).toMatch(/frame_index jumps between 1 pairs/);
  });

  test('pulse_id jump, wrong length, unequal datasets, missing dataset', () => {
    const data = frames(range(1000, 1009));
    data.pulseIds[9] = 1011n;
    expect(det(request(1000, 1009), data).c.pulse_id_jumps).toBe(1);
    const short = frames(range(1000, 1008));
    short.daqRec = Uint32Array.of(0);
    const { c } = det(request(1000, 1009), short);
    expect(c.problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/missing 1 of 10/),
      'datasets of different lengths: pulse_id 9, frame_index 9, is_good_frame 9, daq_rec 1',
      '9 frames, expected 10',
    ]));
    const noDaq = checkSource(request(1000, 1001), { kind: 'detector', source: DET, detector: { ...frames([1000, 1001]), daqRec: undefined } });
    expect(noDaq.channels[DET]!.problems).toEqual(['datasets missing: daq_rec']);
  });

  test('selected pulse ids (filtered by the rate) are what is expected', () => {
    const req = { ...request(1000, 1999, 10), detectors: { [DET]: { selected_pulse_ids: [1000, 1005, 1100, 1500] } } };
    const { c } = det(req, frames([1000, 1100, 1500]));
    expect(c).toMatchObject({ expected: 3, found_unique: 3, expected_first: 1000, expected_last: 1500, pulse_id_jumps: 0, frame_index_jumps: 0, problems: [] });
    const extra = det(req, frames([1000, 1010, 1100, 1500])).c;
    expect(extra.problems).toEqual(expect.arrayContaining([expect.stringMatching(/1 rows hold pulse ids in range that were not requested/)]));
  });

  test('unreadable file: every channel asked for carries the reason', () => {
    const check = unreadableSource(request(1, 2), 'data', 'BSREAD', ['A', 'B'], 'cannot open file');
    expect(check.verdict).toBe('problems');
    expect(Object.values(check.channels).map((c) => c.problems)).toEqual([['cannot open file'], ['cannot open file']]);
  });
});
