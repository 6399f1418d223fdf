import { FacilityClock } from '../../../lib/core/clock';
import { unitNoise } from './noise';
import { gridSchedule, ms, pulseSchedule, type Schedule, slottedSchedule } from './schedules';

/**
 * The simulated archive: a fixed set of PVs whose every change (time and
 * value) is a pure function of wall time. Nothing is stored; a range is
 * computed on demand, so a 10-minute 100 Hz answer costs no memory up front.
 */

export type SimValue = number | string | number[] | string[];

export interface CatalogueSample {
  timeNs: bigint;
  value: SimValue;
  severity: number;
  status: number;
}

export interface PvDefinition {
  name: string;
  /** The appliance's `meta` besides `name` (EGU, PREC). */
  meta: Record<string, string>;
  /** The record's DESC field (sent with fetchLatestMetadata). */
  description?: string;
  schedule: Schedule;
  /** Value and alarm of the change keyed `key`. */
  sample(key: number): Omit<CatalogueSample, 'timeNs'>;
}

/** Names of the built-in PVs, by kind. */
export const PV = {
  /** Slow float, a new value every 2 s (grid 0.123456789 s past even seconds); rare NaN readings (INVALID). */
  pressure: 'SARFE10-OPSH044:PRESSURE',
  /** On-change float at irregular moments (1 s slots, ~30 % of them, at least every 20 s). */
  motorReadback: 'SLAAR11-LMOT-M451:MOTOR_1.RBV',
  /** Changes every 6 h (01:07:13.5 past 00/06/12/18 h): in a typical range it only shows as the before-sample. */
  setpoint: 'SAROP11-ODMV152:ENERGY-SP',
  /** String PV toggling OPEN/CLOSED once per 10 s slot, at an irregular moment inside it. */
  shutter: 'SARES11-XSAM125:STATUS',
  /** Waveform float[16], a new spectrum every 1 s (0.5 s past each second). */
  spectrum: 'SARFE10-PSSS059:SPECTRUM_Y',
  /** Beam-synchronous float, one sample per pulse (100 Hz), at the pulse's event timestamp. */
  intensity: 'SARFE10-PBPS053:INTENSITY',
  /** The seed's scan motors: a step every 30 s at an irregular moment. */
  motor1: 'motor1_PV',
  motor2: 'motor2_PV',
} as const;

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const ok = (value: SimValue) => ({ value, severity: 0, status: 0 });

/** EPICS alarm codes used here: severity MINOR 1 / INVALID 3, status READ 1 / HIGH 4. */
function pressureSample(k: number): Omit<CatalogueSample, 'timeNs'> {
  if (unitNoise(102, k) < 0.002) return { value: Number.NaN, severity: 3, status: 1 }; // gauge read failure
  const value = round(2e-8 * (1 + 0.45 * Math.sin(k / 50)) * (1 + 0.05 * (unitNoise(101, k) - 0.5)), 12);
  return value > 2.8e-8 ? { value, severity: 1, status: 4 } : ok(value);
}

/** The built-in PVs; the beam-synchronous one follows `clock`'s pulse map. */
export function builtInPvs(clock: FacilityClock): PvDefinition[] {
  return [
    { name: PV.pressure, meta: { EGU: 'mbar', PREC: '3' }, description: 'Front-end vacuum gauge', schedule: gridSchedule(ms(2000), 123_456_789n), sample: pressureSample },
    {
      name: PV.motorReadback,
      meta: { EGU: 'mm', PREC: '4' },
      description: 'Laser delay stage readback',
      schedule: slottedSchedule({ slotNs: ms(1000), chance: 0.3, forceEvery: 20, seed: 11 }),
      sample: (k) => ok(round(-50 + 100 * unitNoise(13, k), 4)),
    },
    {
      name: PV.setpoint,
      meta: { EGU: 'eV', PREC: '1' },
      description: 'Photon energy setpoint',
      schedule: gridSchedule(ms(6 * 3600_000), ms(67 * 60_000 + 13_500)),
      sample: (k) => ok(9000 + 50 * (k % 7)),
    },
    {
      name: PV.shutter,
      meta: {},
      description: 'Sample shutter',
      schedule: slottedSchedule({ slotNs: ms(10_000), chance: 1, forceEvery: 1, seed: 21 }),
      sample: (k) => ok(k % 2 === 0 ? 'OPEN' : 'CLOSED'),
    },
    {
      name: PV.spectrum,
      meta: { EGU: 'counts', PREC: '2' },
      description: 'Single-shot spectrometer (archived at 1 Hz)',
      schedule: gridSchedule(ms(1000), ms(500)),
      sample: (k) => ok(Array.from({ length: 16 }, (_, i) => round(100 * Math.exp(-((i - 7.5) ** 2) / 8) * (1 + 0.1 * unitNoise(31 + i, k)), 2))),
    },
    {
      name: PV.intensity,
      meta: { EGU: 'uJ', PREC: '3' },
      description: 'Pulse energy',
      schedule: pulseSchedule(clock),
      sample: (k) => ok(round(500 + 100 * unitNoise(41, k), 3)),
    },
    {
      name: PV.motor1,
      meta: { EGU: 'mm', PREC: '3' },
      schedule: slottedSchedule({ slotNs: ms(30_000), chance: 1, forceEvery: 1, seed: 51 }),
      sample: (k) => ok(round(11.01 + 0.5 * (k % 10), 3)),
    },
    {
      name: PV.motor2,
      meta: { EGU: 'mm', PREC: '4' },
      schedule: slottedSchedule({ slotNs: ms(30_000), chance: 1, forceEvery: 1, seed: 61 }),
      sample: (k) => ok(round(-3.9975 + 0.2 * (k % 10), 4)),
    },
  ];
}

/**
 * The engine's latest metadata of a PV as getData.json with
 * `fetchLatestMetadata=true` puts it on the first sample (`"fields"`): the
 * record's DESC and the meta fields, every value a string.
 *
 * @example latestMetadata(definition) // { DESC: 'Pressure gauge', EGU: 'mbar', PREC: '3' }
 */
export function latestMetadata(definition: PvDefinition): Record<string, string> {
  return { DESC: definition.description ?? definition.name, ...definition.meta };
}

/**
 * Looks PVs up and answers ranges the way the appliance does (no retention here:
 * the server applies its ring on top).
 *
 * @example
 *   const cat = createCatalogue(clock);
 *   [...cat.samplesBetween(PV.pressure, fromNs, toNs)] // last sample at or before fromNs, then all in (fromNs, toNs]
 */
export class ArchiverCatalogue {
  private readonly pvs: Map<string, PvDefinition>;

  constructor(definitions: PvDefinition[]) {
    this.pvs = new Map(definitions.map((d) => [d.name, d]));
  }

  names(): string[] {
    return [...this.pvs.keys()];
  }

  get(pv: string): PvDefinition | undefined {
    return this.pvs.get(pv);
  }

  /**
   * The appliance's answer for [fromNs, toNs] without retention: first the last
   * sample at or before fromNs (the value in force), then every sample in (fromNs, toNs].
   */
  *samplesBetween(pv: string, fromNs: bigint, toNs: bigint): Generator<CatalogueSample> {
    const d = this.require(pv);
    const first = d.schedule.lastAtOrBefore(fromNs);
    if (first) yield { timeNs: first.timeNs, ...d.sample(first.key) };
    for (const c of d.schedule.changesIn(fromNs, toNs)) yield { timeNs: c.timeNs, ...d.sample(c.key) };
  }

  /** The sample in force at t (the last one at or before it). */
  sampleAt(pv: string, tNs: bigint): CatalogueSample | undefined {
    const d = this.require(pv);
    const c = d.schedule.lastAtOrBefore(tNs);
    return c && { timeNs: c.timeNs, ...d.sample(c.key) };
  }

  private require(pv: string): PvDefinition {
    const d = this.pvs.get(pv);
    if (!d) throw new Error(`PV not in the simulated archive: ${pv}`);
    return d;
  }
}

/** The built-in catalogue for a clock (default: the facility's default epoch). */
export function createCatalogue(clock: FacilityClock = new FacilityClock()): ArchiverCatalogue {
  return new ArchiverCatalogue(builtInPvs(clock));
}

const defaultCatalogue = createCatalogue();

/**
 * The built-in catalogue's answer for a range (default clock), as an array: for tests.
 *
 * @example
 *   samplesBetween(PV.shutter, fromNs, toNs)[0].value // 'OPEN' or 'CLOSED', in force at fromNs
 */
export function samplesBetween(pv: string, fromNs: bigint, toNs: bigint): CatalogueSample[] {
  return [...defaultCatalogue.samplesBetween(pv, fromNs, toNs)];
}

/**
 * The built-in catalogue's value in force at a time (default clock).
 *
 * @example
 *   valueAt(PV.spectrum, t) // number[16]
 */
export function valueAt(pv: string, timeNs: bigint): SimValue | undefined {
  return defaultCatalogue.sampleAt(pv, timeNs)?.value;
}
