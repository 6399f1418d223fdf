import { describe, expect, test } from 'vitest';
import { FacilityClock } from '../../../lib/core/clock';
import { checkRange, duration, sourceBuffersOf, type RangeCheckInput } from '../../../lib/core/range-check';

// A fixed clock: pulse 1,000,000 fires at t = 10,000,000 ms; 100 Hz.
const clock = new FacilityClock({ epochPulseId: 1_000_000n, epochTimeMs: 10_000_000 });
const nowMs = 10_000_000 + 600_000; // pulse 1,060,000 fires now
const NOW = 1_060_000;
const SIX_MINUTES = 360_000;

const base = (over: Partial<RangeCheckInput>): RangeCheckInput => ({
  start: NOW - 2000,
  stop: NOW - 1001,
  buffers: sourceBuffersOf({ channels_list: ['A'] }),
  retention: { data: { keepsMs: SIX_MINUTES }, image: { keepsMs: SIX_MINUTES } },
  delaysMs: { data: 60_000, image: 60_000, archiver: 60_000, detector: 10_000 },
  clock,
  nowMs,
  ...over,
});

describe('the range check', () => {
  test('a recent range: accepted; not_before is the stop pulse time + the delay', () => {
    const check = checkRange(base({}));
    expect(check).toEqual({ ok: true, notBeforeMs: clock.timeMs(BigInt(NOW - 1001)) + 60_000, notBefore: { data: clock.timeMs(BigInt(NOW - 1001)) + 60_000 }, notes: [] });
  });

  test('a range in the near future: accepted, the workflow waits until its stop pulse + delay; detectors wait less', () => {
    const check = checkRange(base({ start: NOW + 100, stop: NOW + 6099, buffers: sourceBuffersOf({ channels_list: ['A'], detectors: { JF01T03V01: {} } }) }));
    expect(check.ok && check.notBefore).toEqual({ data: nowMs + 60_990 + 60_000, 'detector:JF01T03V01': nowMs + 60_990 + 10_000 });
    expect(check.ok && check.notBeforeMs).toBe(nowMs + 60_990 + 60_000);
  });

  test('beyond the horizon (60,001 pulses, ~10 minutes): refused with the numbers', () => {
    const check = checkRange(base({ start: NOW + 70_000, stop: NOW + 71_000 }));
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.refusal.field).toBe('stop_pulseid');
    expect(check.refusal.message).toBe(
      `stop_pulseid ${NOW + 71_000} is 71,000 pulses (11.8 minutes) after the pulse firing now (${NOW}); the broker takes requests for pulses at most 60,001 pulses (10 minutes) ahead: check the pulse ids, or ask closer to the time`,
    );
    expect(checkRange(base({ start: NOW, stop: NOW + 60_001 })).ok).toBe(true);
  });

  test('gone from the only buffer asked: refused, saying what it keeps, its oldest pulse and what to ask for', () => {
    const check = checkRange(base({ start: 1000, stop: 2000 }));
    if (check.ok) throw new Error('accepted');
    expect(check.refusal.field).toBe('start_pulseid');
    // Oldest now: 1,060,000 - 36,000; read at once (the stop + 60 s is long past).
    expect(check.refusal.message).toBe(`pulses 1000..2000 are gone from the data buffer (it keeps 6 minutes; its oldest pulse is now 1024000); the pulse firing now is ${NOW}: ask for pulses after 1024000`);
  });

  test('the wait counts: pulses that expire before the retrieval reads (stop + 60 s) are noted as gone', () => {
    // Read at stop's time + 60 s = now + 59 s: by then the oldest pulse is 1,024,000 + 5,900.
    const check = checkRange(base({ start: NOW - 36_000, stop: NOW - 100 }));
    expect(check.ok && check.notes).toEqual(['pulses 1024000..1029899 are gone from the data buffer (it keeps 6 minutes): its data starts at pulse 1029900']);
  });

  test('gone from every buffer asked: each named', () => {
    const check = checkRange(base({ start: 1000, stop: 2000, buffers: sourceBuffersOf({ channels_list: ['A'], camera_list: ['C:FPICTURE'] }) }));
    expect(!check.ok && check.refusal.message).toMatch(/^pulses 1000\.\.2000 are gone from the data buffer \(it keeps 6 minutes; its oldest pulse is now 1024000\) and the image buffer \(it keeps 6 minutes; its oldest pulse is now 1024000\);/);
  });

  test('gone from one buffer while another keeps it (the archiver): accepted, noted', () => {
    const check = checkRange(base({ start: 1000, stop: 2000, buffers: sourceBuffersOf({ channels_list: ['A'], pv_list: ['P'] }) }));
    expect(check.ok && check.notes).toEqual(['pulses 1000..2000 are gone from the data buffer (it keeps 6 minutes; its oldest pulse is now 1024000): its file will have no data']);
  });

  test('partly gone: accepted, noted with where the data will start', () => {
    const check = checkRange(base({ start: 1_023_000, stop: NOW - 10_000 })); // read at once: stop + 60 s is past
    expect(check.ok && check.notes).toEqual(['pulses 1023000..1023999 are gone from the data buffer (it keeps 6 minutes): its data starts at pulse 1024000']);
  });

  test("the detector buffer's oldest pulse from its listing beats a configured retention", () => {
    const buffers = sourceBuffersOf({ detectors: { JF01T03V01: {} } });
    const listed = checkRange(base({ start: NOW - 5000, stop: NOW - 4001, buffers, retention: { detector: { keepsMs: SIX_MINUTES }, 'detector:JF01T03V01': { oldestPulseId: NOW - 3000 } } }));
    expect(!listed.ok && listed.refusal.message).toMatch(/gone from the detector buffer \(JF01T03V01\) \(its oldest pulse is now 1057000\)/);
    expect(checkRange(base({ start: NOW - 5000, stop: NOW - 4001, buffers, retention: { detector: { keepsMs: SIX_MINUTES } } })).ok).toBe(true);
  });

  test('at a rate, the pulses read decide (the widened edges of the data buffer, the beam pulses of detectors)', () => {
    // Oldest at read = 1,024,000: stop 1,024,000 at rate 10 reads up to 1,024,001.
    expect(checkRange(base({ start: 1_023_000, stop: 1_024_000, rate: 10 })).ok).toBe(true);
    expect(checkRange(base({ start: 1_023_000, stop: 1_023_999, rate: 10 })).ok).toBe(false);
  });

  test('a buffer without a retention keeps everything', () => {
    expect(checkRange(base({ start: 1000, stop: 2000, buffers: sourceBuffersOf({ pv_list: ['P'] }) })).ok).toBe(true);
  });

  test.for([
    [10_000, '10 s'],
    [360_000, '6 minutes'],
    [600_010, '10 minutes'],
    [7_200_000, '2 hours'],
    [3 * 86_400_000, '3 days'],
  ] as const)('duration(%i) = %s', ([ms, text]) => {
    expect(duration(ms)).toBe(text);
  });
});
