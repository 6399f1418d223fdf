import { describe, expect, test } from 'vitest';
import { CachedCatalogue, nameMatcher, searchNames, type NameCatalogue } from '../../../../lib/core/names';

const memory = (kind: 'bs' | 'camera' | 'pv', backend: string, names: string[]) => new CachedCatalogue({ kind, buffer: kind, backend, load: async () => names });
const catalogues = {
  bs: memory('bs', 'sf-databuffer', ['SAR-CVME-TIFALL5:EvtSet', 'SAR-CVME-TIFALL4:EvtSet', 'SARFE10-PBPG050:HAMP-INTENSITY-CAL']),
  camera: memory('camera', 'sf-imagebuffer', ['SATES21-CAMS154-M1:FPICTURE', 'SARES11-SPEC125-M1:FPICTURE']),
  pv: memory('pv', 'archiver', ['SARFE10-OPSH044:PRESSURE', 'motor1_PV', 'motor2_PV']),
};

describe('GET /channels?search=: the core', () => {
  test('a substring, case-insensitive, over BS channels and cameras by default; sorted by name', async () => {
    const result = await searchNames({ pattern: 'sar' }, catalogues);
    expect(result.channels).toEqual([
      { name: 'SAR-CVME-TIFALL4:EvtSet', kind: 'bs', backend: 'sf-databuffer' },
      { name: 'SAR-CVME-TIFALL5:EvtSet', kind: 'bs', backend: 'sf-databuffer' },
      { name: 'SARES11-SPEC125-M1:FPICTURE', kind: 'camera', backend: 'sf-imagebuffer' },
      { name: 'SARFE10-PBPG050:HAMP-INTENSITY-CAL', kind: 'bs', backend: 'sf-databuffer' },
    ]);
    expect(result).toMatchObject({ total: 4, truncated: false, unavailable: [], message: '4 names match "sar"' });
  });

  test('a GLOB over the whole name; PVs when asked; a limit', async () => {
    expect((await searchNames({ pattern: 'motor?_PV', kinds: ['pv'] }, catalogues)).channels.map((c) => c.name)).toEqual(['motor1_PV', 'motor2_PV']);
    const cut = await searchNames({ pattern: '*', kinds: ['bs', 'camera', 'pv'], limit: 2 }, catalogues);
    expect(cut).toMatchObject({ total: 8, truncated: true, message: '8 names match "*" (the first 2 shown: make the pattern longer, or raise the limit)' });
  });

  test('a catalogue that does not answer is listed as not searched', async () => {
    const silent: NameCatalogue = { kind: 'pv', buffer: 'archiver', backend: 'archiver', names: async () => ({ ok: false, why: 'cannot reach the archiver (ECONNREFUSED)' }) };
    const result = await searchNames({ pattern: 'motor', kinds: ['pv'] }, { ...catalogues, pv: silent });
    expect(result).toMatchObject({ channels: [], unavailable: [{ kind: 'pv', backend: 'archiver', buffer: 'archiver', why: 'cannot reach the archiver (ECONNREFUSED)' }] });
    expect(result.message).toBe('0 names match "motor"; not searched: archiver (cannot reach the archiver (ECONNREFUSED))');
  });

  test.for([
    ['SAR*:EvtSet', 'sar-cvme-tifall5:evtset', true],
    ['SAR*', 'xsar', false],
    ['*a*a*a*a*a*a*b', 'a'.repeat(200), false], // no blow-up
    ['?otor1_pv', 'motor1_pv', true],
    ['tifall', 'sar-cvme-tifall5:evtset', true],
  ] as const)('pattern %s on %s: %s', ([pattern, name, expected]) => {
    expect(nameMatcher(pattern)(name)).toBe(expected);
  });
});
