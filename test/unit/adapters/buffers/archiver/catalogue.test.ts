import { describe, expect, test } from 'vitest';
import { DEFAULT_CLOCK, FacilityClock } from '../../../../../lib/core/clock';
import { createCatalogue, PV, samplesBetween, valueAt } from '../../../../../local/simulators/archiver/catalogue';
import { withPulseFaults } from '../../../../../local/simulators/archiver/pulse-faults';
import { retainedSamples } from '../../../../../local/simulators/archiver/retention';

const ns = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;
const S = 1_000_000_000n;
const HOUR = 3600n * S;
const clock = new FacilityClock(DEFAULT_CLOCK);
const catalogue = createCatalogue(clock);
const from = ns('2024-01-01T11:50:00Z');
const to = ns('2024-01-01T12:00:00Z');

describe('catalogue', () => {
  test('answers like the appliance: the last sample at or before from, then (from, to], sorted', () => {
    for (const pv of catalogue.names()) {
      const samples = [...catalogue.samplesBetween(pv, from, to)];
      expect(samples[0]!.timeNs <= from, pv).toBe(true);
      expect(samples.slice(1).every((s) => s.timeNs > from && s.timeNs <= to), pv).toBe(true);
      expect(samples.every((s, i) => i === 0 || s.timeNs > samples[i - 1]!.timeNs), pv).toBe(true);
    }
  });

  test('is a pure function of wall time: any sub-range agrees with a wider one', () => {
    const wide = samplesBetween(PV.motorReadback, from - HOUR, to);
    const narrow = samplesBetween(PV.motorReadback, from, to);
    const tail = wide.filter((s) => s.timeNs > from);
    expect(narrow.slice(1)).toEqual(tail);
    expect(narrow[0]).toEqual(wide.filter((s) => s.timeNs <= from).at(-1));
  });

  test.for([
    [PV.pressure, 300],
    [PV.spectrum, 600],
    [PV.intensity, 60_000],
    [PV.shutter, 60],
    [PV.motor1, 20],
    [PV.setpoint, 0],
  ] as const)('%s has %i changes in 10 minutes', ([pv, n]) => {
    expect([...catalogue.samplesBetween(pv, from, to)].length - 1).toBe(n);
  });

  test('the on-change PV changes at irregular moments, never more than 20 s apart', () => {
    const times = samplesBetween(PV.motorReadback, from, to).map((s) => s.timeNs);
    const gaps = new Set(times.slice(1).map((t, i) => t - times[i]!));
    expect(gaps.size).toBeGreaterThan(50);
    expect([...gaps].every((g) => g > 0n && g < 21n * S)).toBe(true);
  });

  test('kinds of values: string toggles, waveform has 16 floats, beam-synchronous PV sits on pulse timestamps', () => {
    const shutter = samplesBetween(PV.shutter, from, to).map((s) => s.value);
    expect(shutter.every((v, i) => i === 0 || v !== shutter[i - 1])).toBe(true);
    expect(new Set(shutter)).toEqual(new Set(['OPEN', 'CLOSED']));
    expect(valueAt(PV.spectrum, to)).toHaveLength(16);
    for (const s of samplesBetween(PV.intensity, from, from + 100_000_000n)) {
      expect(clock.timestampNs(clock.pulseIdAtNs(s.timeNs))).toBe(s.timeNs);
    }
  });

  test('the set-point PV shows only as the value in force, hours old', () => {
    const [only, ...rest] = samplesBetween(PV.setpoint, from, to);
    expect(rest).toEqual([]);
    expect(only!.timeNs).toBe(ns('2024-01-01T07:07:13.500Z'));
  });
});

describe('retention ring', () => {
  const now = ns('2024-01-01T12:00:00Z');
  const retention = HOUR;
  const ring = (pv: string, a: bigint, b: bigint) => [...retainedSamples(catalogue, pv, a, b, now, retention)];

  test('a recent range is answered whole', () => {
    expect(ring(PV.pressure, from, to)).toEqual(samplesBetween(PV.pressure, from, to));
  });

  test('a range wholly older than the cutoff answers nothing, unless the value in force at the cutoff predates it', () => {
    expect(ring(PV.pressure, ns('2024-01-01T10:00:00Z'), ns('2024-01-01T10:10:00Z'))).toEqual([]);
    expect(ring(PV.setpoint, ns('2024-01-01T10:00:00Z'), ns('2024-01-01T10:10:00Z')).map((s) => s.timeNs)).toEqual([
      ns('2024-01-01T07:07:13.500Z'),
    ]);
  });

  test('a range across the cutoff loses its before-sample but keeps the value in force at the cutoff', () => {
    const got = ring(PV.pressure, ns('2024-01-01T10:55:00Z'), ns('2024-01-01T11:05:00Z'));
    expect(got[0]!.timeNs).toBe(ns('2024-01-01T10:59:58.123Z') + 456_789n);
    expect(got.slice(1).every((s) => s.timeNs >= now - retention)).toBe(true);
  });

  test('the future does not exist yet: a future range answers the value in force now', () => {
    const got = ring(PV.pressure, now + HOUR, now + 2n * HOUR);
    expect(got).toEqual([catalogue.sampleAt(PV.pressure, now)]);
  });
});

describe('pulse faults', () => {
  test('drop or repeat the samples falling at the given pulses', () => {
    const samples = samplesBetween(PV.intensity, from, from + 50_000_000n);
    const pulses = samples.map((s) => clock.pulseIdAtNs(s.timeNs));
    const got = [...withPulseFaults(samples, clock, new Set([pulses[1]!]), new Set([pulses[2]!]))];
    expect(got.map((s) => clock.pulseIdAtNs(s.timeNs))).toEqual([pulses[0], pulses[2], pulses[2], ...pulses.slice(3)]);
  });
});
