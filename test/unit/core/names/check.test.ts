import { describe, expect, test } from 'vitest';
import { CachedCatalogue, checkNames, type NameCatalogue, type NameKind } from '../../../../lib/core/names';

const BUFFER: Record<NameKind, [string, string]> = { bs: ['data buffer', 'sf-databuffer'], camera: ['image buffer', 'sf-imagebuffer'], pv: ['archiver', 'archiver'] };
const memory = (kind: NameKind, names: string[]) => new CachedCatalogue({ kind, buffer: BUFFER[kind][0], backend: BUFFER[kind][1], load: async () => names });
const silent = (kind: NameKind): NameCatalogue => ({ kind, buffer: BUFFER[kind][0], backend: BUFFER[kind][1], names: async () => ({ ok: false, why: 'no answer within 300 ms' }) });

const catalogues = () => ({
  bs: memory('bs', ['SAR-CVME-TIFALL5:EvtSet', 'SAR-CVME-TIFALL4:EvtSet', 'SARFE10-PBPG050:HAMP-INTENSITY-CAL']),
  camera: memory('camera', ['SATES21-CAMS154-M1:FPICTURE', 'SARES11-SPEC125-M1:FPICTURE']),
  pv: memory('pv', ['SARFE10-OPSH044:PRESSURE', 'motor1_PV']),
});

describe('checking the names of a request', () => {
  test('known names pass, with no note', async () => {
    const check = await checkNames({ channels_list: ['SAR-CVME-TIFALL5:EvtSet'], camera_list: ['SATES21-CAMS154-M1:FPICTURE'], pv_list: ['motor1_PV'] }, catalogues());
    expect(check).toEqual({ unknown: [], notes: [] });
  });

  test('one unknown name: refused naming its field, with what it probably meant', async () => {
    const check = await checkNames({ channels_list: ['SAR-CVME-TIFALL5:EvtSet', 'SAR-CVME-TIFALL7:EvtSet'] }, catalogues());
    expect(check.refusal?.field).toBe('channels_list[1]');
    expect(check.refusal?.message).toBe(
      'channels_list[1] "SAR-CVME-TIFALL7:EvtSet" is not a channel of the data buffer; did you mean "SAR-CVME-TIFALL4:EvtSet", "SAR-CVME-TIFALL5:EvtSet"? ' +
        'To retrieve unknown names anyway (they will have no data), send "allow_unknown_channels": true.',
    );
  });

  test('a name in the wrong list is named as what it is', async () => {
    const check = await checkNames({ channels_list: ['SARFE10-OPSH044:PRESSURE'], pv_list: ['SAR-CVME-TIFALL5:EvtSet'] }, catalogues());
    expect(check.refusal?.message).toMatch(/^2 names are not known to the buffers: channels_list\[0\] "SARFE10-OPSH044:PRESSURE" is an EPICS PV, not a BS channel: list it in pv_list; pv_list\[0\] "SAR-CVME-TIFALL5:EvtSet" is a BS channel, not an EPICS PV: list it in channels_list\./);
  });

  test('many unknown names: the first few described, the rest counted; fields index the body as sent (duplicates once)', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `NOPE:${i}`);
    const check = await checkNames({ channels_list: ['NOPE:0', ...names], camera_list: ['NOPE-CAM:FPICTURE'] }, catalogues(), { listed: 2 });
    expect(check.unknown.map((u) => u.field)).toEqual(['channels_list[0]', ...names.slice(1).map((_, i) => `channels_list[${i + 2}]`), 'camera_list[0]']);
    expect(check.refusal?.message).toMatch(/^9 names are not known to the buffers: channels_list\[0\] "NOPE:0" is not a channel of the data buffer \(no similar name\); channels_list\[2\] .*; and 7 more \(channels_list\[3\], .*, camera_list\[0\]\)\./);
  });

  test('allow_unknown_channels: no refusal; the run log names them', async () => {
    const check = await checkNames({ channels_list: ['SAR-CVME-TIFALL7:EvtSet'], pv_list: ['NOPE:PV'], allow_unknown_channels: true }, catalogues());
    expect(check.refusal).toBeUndefined();
    expect(check.notes).toEqual([
      '1 name unknown to the data buffer, retrieved anyway (allow_unknown_channels): SAR-CVME-TIFALL7:EvtSet',
      '1 name unknown to the archiver, retrieved anyway (allow_unknown_channels): NOPE:PV',
    ]);
  });

  test('a catalogue that did not answer: its list is not checked, and the note says why', async () => {
    const check = await checkNames({ channels_list: ['SAR-CVME-TIFALL5:EvtSet'], pv_list: ['ANY:THING'] }, { ...catalogues(), pv: silent('pv') });
    expect(check).toEqual({ unknown: [], notes: ['names not checked against the archiver: no answer within 300 ms'] });
  });

  test('within the budget: a slow catalogue costs at most the budget', async () => {
    const slow = new CachedCatalogue({ kind: 'pv', buffer: 'archiver', backend: 'archiver', load: () => new Promise(() => undefined) });
    const t = Date.now();
    const check = await checkNames({ pv_list: ['X'] }, { pv: slow }, { budgetMs: 100 });
    expect(Date.now() - t).toBeLessThan(1_000);
    expect(check.notes).toEqual(['names not checked against the archiver: no answer within 100 ms']);
  });

  test('lists without a catalogue are not checked', async () => {
    expect(await checkNames({ channels_list: ['ANY'] }, {})).toEqual({ unknown: [], notes: [] });
  });
});

describe('wiring', () => {
  test('the request body as the accept path holds it goes in as is', async () => {
    const body: import('../../../../lib/schemas/retrieve-request').RetrieveRequestBody = { pgroup: 'p12345', start_pulseid: 1, stop_pulseid: 2, channels_list: ['NOPE'], allow_unknown_channels: true };
    const check = await checkNames(body, catalogues());
    expect(check.refusal).toBeUndefined();
    expect(check.unknown.map((u) => u.name)).toEqual(['NOPE']);
  });
});
