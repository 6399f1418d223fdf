/**
 * SwissFEL-like channel names for name-check tests and measurements: the
 * facility's `<section><system><number>-<device><index>:<signal>` form, made
 * by a seeded generator (the same names every run).
 *
 * @example swissfelNames(100_000)[0] // e.g. 'SARFE10-PBPG050:HAMP-INTENSITY-CAL'
 */
const SECTIONS = ['SAR', 'SAT', 'SIN', 'S10', 'S20', 'S30', 'SLA'];
const SYSTEMS = ['FE', 'ES', 'OP', 'UN', 'CB', 'MA', 'DI', 'BD', 'EG', 'LH', 'AR'];
const DEVICES = ['PBPG', 'PBPS', 'DBPM', 'CVME', 'LMOT', 'XSAM', 'DICT', 'SPEC', 'CAMS', 'DSCR', 'MQUA', 'MBND', 'RLLE', 'RACC', 'DBLM', 'DWSC'];
const SIGNALS = [
  'X1', 'Y1', 'Q1', 'X2', 'Y2', 'INTENSITY', 'HAMP-INTENSITY-CAL', 'EvtSet', 'ENC_1_BS', 'B1_CHARGE', 'B2_CHARGE', 'SPECTRUM_Y',
  'SPECTRUM_X', 'PRESSURE', 'XPOS', 'YPOS', 'INTENSITY-CAL', 'CURRENT', 'VOLTAGE', 'PHASE', 'AMPLITUDE', 'TEMP', 'STATUS', 'RBV',
  'SET-VAL', 'READ-VAL', 'BEAM-OK', 'ENERGY', 'FWHM', 'COM', 'SUM', 'LOSS', 'GAIN', 'OFFSET', 'Q1-VALID', 'X1-VALID', 'Y1-VALID',
];

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function swissfelNames(count: number, seed = 42): string[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const names = new Set<string>();
  while (names.size < count) {
    const device = `${pick(SECTIONS)}${pick(SYSTEMS)}${10 + Math.floor(random() * 90)}-${pick(DEVICES)}${String(Math.floor(random() * 100) * 10).padStart(3, '0')}`;
    // A device has several signals, as real ones do.
    for (let i = 0, n = 1 + Math.floor(random() * 12); i < n && names.size < count; i++) names.add(`${device}:${pick(SIGNALS)}`);
  }
  return [...names];
}
