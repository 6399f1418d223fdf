import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hasSources, InputFileError, parseNameList, requestFromFiles, splitChannels } from '../../../lib/client';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sfdaq-files-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("daq_client.py's file formats", () => {
  test('name lists: trimmed, blank and # lines skipped, order kept, CRLF tolerated', () => {
    expect(parseNameList('# BS channels\r\nB:2\r\n\r\n   A:1  \n  # indented comment\nC:FPICTURE\n')).toEqual(['B:2', 'A:1', 'C:FPICTURE']);
    expect(parseNameList('')).toEqual([]);
  });

  test(':FPICTURE names are cameras, the rest BS channels', () => {
    expect(splitChannels(['A:1', 'CAM:FPICTURE', 'B:FPICTURE2'])).toEqual({ channels: ['A:1', 'B:FPICTURE2'], cameras: ['CAM:FPICTURE'] });
  });

  test('the request carries only what the files name, as daq_client.py sends it', async () => {
    await writeFile(join(dir, 'ch.txt'), 'A:1\nCAM:FPICTURE\n');
    await writeFile(join(dir, 'only-bs.txt'), 'A:1\n');
    await writeFile(join(dir, 'pv.txt'), '# none\n');
    await writeFile(join(dir, 'det.json'), '{"JF01T03V01": {"disabled_modules": [1]}}');
    await writeFile(join(dir, 'step.json'), '{"scan_name": "s1"}');
    const base = { pgroup: 'p12345', start_pulseid: 1, stop_pulseid: 2, rate_multiplicator: 1 };
    expect(await requestFromFiles(base, { channelsFile: join(dir, 'ch.txt'), pvFile: join(dir, 'pv.txt'), detectorsFile: join(dir, 'det.json'), scanStepFile: join(dir, 'step.json') })).toEqual({
      ...base, channels_list: ['A:1'], camera_list: ['CAM:FPICTURE'], detectors: { JF01T03V01: { disabled_modules: [1] } }, scan_info: { scan_name: 's1' },
    });
    expect(await requestFromFiles(base, { channelsFile: join(dir, 'only-bs.txt') })).toEqual({ ...base, channels_list: ['A:1'] });
    expect(hasSources(await requestFromFiles(base, { pvFile: join(dir, 'pv.txt') }))).toBe(false);
  });

  test.for([
    ['a missing file', { channelsFile: '/nonexistent/x.txt' }, /cannot read the channels file \/nonexistent\/x.txt: it does not exist/],
    ['a directory', { pvFile: '/' }, /cannot read the PV file \/: it is a directory/],
    ['JSON that is not an object', { detectorsFile: '__DIR__/list.json' }, /must hold a JSON object \(\{\.\.\.\}\), not an array/],
    ['broken JSON', { scanStepFile: '__DIR__/broken.json' }, /scan step file .* is not valid JSON/],
  ] as const)('%s is an InputFileError naming the file and why', async ([, files, message]) => {
    await writeFile(join(dir, 'list.json'), '["JF01T03V01"]');
    await writeFile(join(dir, 'broken.json'), '{');
    const resolved = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.replace('__DIR__', dir)]));
    const error = await requestFromFiles({ pgroup: 'p12345', start_pulseid: 1, stop_pulseid: 2 }, resolved).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputFileError);
    expect((error as Error).message).toMatch(message);
  });
});
