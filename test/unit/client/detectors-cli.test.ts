import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { runCli } from '../../helpers/cli';
import { EXIT } from '../../../cli/exit-codes';
import { BrokerClient, followPedestal, type PedestalStatus } from '../../../lib/client';

/**
 * The detector commands (pedestal, detectors, pvlist, power-on) in process
 * against a small fake broker: what they send, what they print, their exit codes.
 */
interface Seen {
  method: string;
  url: string;
  body: string;
}
let server: Server;
let broker: string;
let dir: string;
const seen: Seen[] = [];
let answers: Record<string, (req: Seen) => [number, unknown]> = {};

beforeAll(async () => {
  server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const entry = { method: req.method!, url: req.url!, body };
    seen.push(entry);
    const path = req.url!.split('?')[0]!;
    const [status, json] = answers[`${req.method} ${path}`]?.(entry) ?? [404, { status: 'failed', message: `unknown path ${path}` }];
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  broker = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'sfdaq-detectors-'));
  await writeFile(join(dir, 'pvs.txt'), '# PVs\nSARFE10-OPSH044:PRESSURE\n\nmotor1_PV\nSARFE10-OPSH044:PRESSURE\n');
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const PEDESTAL: PedestalStatus = {
  beamline: 'alvra', pgroup: 'p12345', run_number: 7, stamp: '20250601_120000', state: 'computing', start_pulseid: 1000, stop_pulseid: 3999,
  rate_multiplicator: 1, pedestalmode: false, request_time: '2025-06-01T10:00:00.000Z', updated: '2025-06-01T10:00:50.000Z',
  detectors: [{ detector: 'JF01T03V01', state: 'pending', raw_file: '/sf/alvra/data/p12345/raw/JF_pedestals/run_000007.JF01T03V01.h5' }],
};
const DONE: PedestalStatus = {
  ...PEDESTAL, state: 'done', finished: '2025-06-01T10:01:00.000Z',
  detectors: [{
    ...PEDESTAL.detectors[0]!, state: 'done', calibration_file: '/sf/jungfrau/data/pedestal/JF01T03V01/20250601_120000.h5',
    frames: { analyzed: 3000, good: 3000, used_g0: 1000, used_g1: 1000, used_g2: 1000, wrong_gain: 0 }, good_pixels: 1572000, pixels: 1572864,
  }],
};

beforeEach(() => {
  seen.length = 0;
  let polls = 0;
  answers = {
    'POST /take_pedestal': () => [200, { status: 'ok', message: 'request to take pedestal sent, wait at least 40 seconds', run_number: 7, stamp: '20250601_120000', start_pulseid: 1000, stop_pulseid: 3999, files: [] }],
    'GET /runs/p12345/7': () => [200, { status: 'ok', message: 'done', run: { beamline: 'alvra', pgroup: 'p12345', run_number: 7, state: 'done', updated: '2025-06-01T10:00:50.000Z', sources: [] } }],
    'GET /pedestals/p12345/7': () => [200, { status: 'ok', message: 'x', pedestal: polls++ < 1 ? PEDESTAL : DONE }],
    'GET /get_allowed_detectors': () => [200, { status: 'ok', message: 'm', detectors: ['JF01T03V01', 'JF06T08V04', 'JF13T01V01'], descriptions: ['1p5M', '4M', 'JF13T01V01'], visualisation_address: ['sf-daq-12:5001', 'sf-daq-13:5006', null] }],
    'GET /get_running_detectors': () => [200, { status: 'ok', message: 'm', detectors: ['JF01T03V01'], running_detectors: ['JF01T03V01'], missing_detectors: ['JF13T01V01'], limping_detectors: { JF06T08V04: { running_modules: [0, 1, 2, 3, 4, 5], missing_modules: [6, 7] } } }],
    'GET /get_pvlist': () => [200, { status: 'ok', message: 'successfully retrieved list of PVs of alvra', pv_list: ['A:1', 'B:2'] }],
    'POST /set_pvlist': (req) => [200, { status: 'ok', message: 'successfully set list of PVs of alvra (2)', pv_list: [...new Set(JSON.parse(req.body).pv_list as string[])] }],
    'POST /power_on_detector': (req) => [200, { status: 'ok', message: `request to power on detector ${JSON.parse(req.body).detector_name} sent, wait a few minutes` }],
  };
});

const cli = (argv: string[]) => runCli(argv, { env: { SFDAQ_BROKER: broker } });

const sent = (url: string) => seen.filter((s) => s.url === url).map((s) => JSON.parse(s.body || '{}'));

describe('sfdaq pedestal', () => {
  test('-d DET: sends {pgroup, detectors}, prints the message, the run and the stamp; exit 0', async () => {
    const { code, out } = await cli(['pedestal', '-p', 'p12345', '-d', 'JF01T03V01']);
    expect(code).toBe(EXIT.ok);
    expect(sent('/take_pedestal')).toEqual([{ pgroup: 'p12345', detectors: ['JF01T03V01'] }]);
    expect(out).toBe('request to take pedestal sent, wait at least 40 seconds: run 7, pedestal 20250601_120000 (pulses 1000..3999)\n');
  });

  test('several detectors, a rate, the firmware mode; -dDET spelled together', async () => {
    expect((await cli(['pedestal', '-p', 'p12345', '-dJF01T03V01,JF06T08V04', '-r', '2', '--pedestalmode'])).code).toBe(EXIT.ok);
    expect(sent('/take_pedestal')).toEqual([{ pgroup: 'p12345', detectors: ['JF01T03V01', 'JF06T08V04'], rate_multiplicator: 2, pedestalmode: true }]);
  });

  test('--wait follows the run, then the pedestal, and prints where it is installed; exit 0', async () => {
    const { code, out } = await cli(['pedestal', '-p', 'p12345', '-d', 'JF01T03V01', '--wait', '--interval', '0.01']);
    expect(code).toBe(EXIT.ok);
    expect(out.split('\n')).toEqual([
      'request to take pedestal sent, wait at least 40 seconds: run 7, pedestal 20250601_120000 (pulses 1000..3999)',
      'run 7 of p12345 (alvra): done',
      '  updated 2025-06-01T10:00:50.000Z',
      'pedestal 20250601_120000 (run 7 of p12345): done',
      '  JF01T03V01  done  1572000 of 1572864 pixels good, frames used G0/G1/G2 1000/1000/1000 of 3000',
      '      /sf/jungfrau/data/pedestal/JF01T03V01/20250601_120000.h5',
      '',
    ]);
    expect(seen.filter((s) => s.url === '/pedestals/p12345/7')).toHaveLength(2);
  });

  test('--wait: a failed pedestal exits 5 with its reason', async () => {
    answers['GET /pedestals/p12345/7'] = () => [200, { status: 'ok', message: 'failed', pedestal: { ...PEDESTAL, state: 'failed', reason: 'JF01T03V01: no good pixel', detectors: [{ ...PEDESTAL.detectors[0], state: 'failed', reason: 'no good pixel' }] } }];
    const { code, out } = await cli(['pedestal', '-p', 'p12345', '-d', 'JF01T03V01', '--wait', '--interval', '0.01']);
    expect(code).toBe(EXIT.failed);
    expect(out).toMatch(/pedestal 20250601_120000 \(run 7 of p12345\): failed\n {2}JF01T03V01 {2}failed\n {6}no good pixel\n {2}reason: JF01T03V01: no good pixel\n$/);
  });

  test('a refusal exits 1 with the broker\'s message', async () => {
    answers['POST /take_pedestal'] = () => [200, { status: 'failed', message: 'detector JF09T01V01 is not known at beamline alvra (known: JF01T03V01)', field: 'detectors' }];
    const { code, err } = await cli(['pedestal', '-p', 'p12345', '-d', 'JF09T01V01']);
    expect(code).toBe(EXIT.refused);
    expect(err).toBe('sfdaq: the broker refused: detector JF09T01V01 is not known at beamline alvra (known: JF01T03V01)\n');
  });

  test('usage: no -d, a name that is not JFxxTyyVzz: exit 2, nothing sent; the help names -d as the detector', async () => {
    expect((await cli(['pedestal', '-p', 'p12345'])).err).toMatch(/pedestal needs --detector DET/);
    const bad = await cli(['pedestal', '-p', 'p12345', '-d', 'JF1']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.err).toMatch(/-d JF1 is not a detector name of the form JFxxTyyVzz/);
    expect(seen).toEqual([]);
    expect((await cli(['pedestal', '--help'])).out).toMatch(/-d, --detector DET +detector name\(s\), comma-separated/);
  });

  test('-d keeps meaning --directory in the other commands', async () => {
    answers['POST /retrieve_from_buffers'] = () => [200, { status: 'ok', message: '8', run_number: 8, files: [] }];
    await writeFile(join(dir, 'bs.txt'), 'SAR-CVME-TIFALL5:EvtSet\n');
    expect((await cli(['retrieve', '-p', 'p12345', '--start', '1', '--stop', '2', '-c', join(dir, 'bs.txt'), '-d', 'scan/a'])).code).toBe(EXIT.ok);
    expect(sent('/retrieve_from_buffers')[0]).toMatchObject({ directory_name: 'scan/a' });
  });
});

describe('sfdaq detectors, pvlist, power-on', () => {
  test('detectors: a table of name, state (running, limping with the modules not running, missing), description, live view', async () => {
    const { code, out } = await cli(['detectors']);
    expect(code).toBe(EXIT.ok);
    expect(out.split('\n')).toEqual([
      'DETECTOR    STATE                              DESCRIPTION  LIVE VIEW',
      'JF01T03V01  running                            1p5M         sf-daq-12:5001',
      'JF06T08V04  limping (modules 6,7 not running)  4M           sf-daq-13:5006',
      'JF13T01V01  missing                            JF13T01V01',
      '',
    ]);
    const json = await cli(['detectors', '--json']);
    expect(json.out.trim().split('\n').map((l) => JSON.parse(l).running_detectors ?? JSON.parse(l).detectors)).toEqual([['JF01T03V01', 'JF06T08V04', 'JF13T01V01'], ['JF01T03V01']]);
  });

  test('pvlist prints one PV a line (a PV file as is); --set sends the file\'s PVs and prints the list as stored', async () => {
    const get = await cli(['pvlist']);
    expect([get.code, get.out]).toEqual([EXIT.ok, 'A:1\nB:2\n']);
    const set = await cli(['pvlist', '--set', join(dir, 'pvs.txt')]);
    expect(set.code).toBe(EXIT.ok);
    expect(sent('/set_pvlist')).toEqual([{ pv_list: ['SARFE10-OPSH044:PRESSURE', 'motor1_PV', 'SARFE10-OPSH044:PRESSURE'] }]);
    expect(set.out).toBe('SARFE10-OPSH044:PRESSURE\nmotor1_PV\n');
    expect(set.err).toBe('successfully set list of PVs of alvra (2)\n');
  });

  test('pvlist --set with a file that cannot be read: exit 2, nothing sent', async () => {
    const { code, err } = await cli(['pvlist', '--set', join(dir, 'none.txt')]);
    expect(code).toBe(EXIT.usage);
    expect(err).toMatch(/cannot read the PV file .*none.txt: it does not exist/);
    expect(seen).toEqual([]);
  });

  test('power-on -d DET sends {detector_name} and prints the message; one detector only', async () => {
    const { code, out } = await cli(['power-on', '-d', 'JF01T03V01']);
    expect([code, out]).toEqual([EXIT.ok, 'request to power on detector JF01T03V01 sent, wait a few minutes\n']);
    expect(sent('/power_on_detector')).toEqual([{ detector_name: 'JF01T03V01' }]);
    expect((await cli(['power-on', '-d', 'JF01T03V01,JF06T08V04'])).code).toBe(EXIT.usage);
  });
});

describe('the client library', () => {
  test('followPedestal polls until done or failed; the methods call the endpoints', async () => {
    const client = new BrokerClient({ broker });
    const states: string[] = [];
    const done = await followPedestal(client, 'p12345', 7, { intervalMs: 5, onUpdate: (p) => states.push(p.state) });
    expect([states, done.state]).toEqual([['computing', 'done'], 'done']);
    expect((await client.allowedDetectors()).detectors).toHaveLength(3);
    expect((await client.runningDetectors()).missing_detectors).toEqual(['JF13T01V01']);
    expect((await client.getPvList()).pv_list).toEqual(['A:1', 'B:2']);
    expect(() => client.takePedestal({ pgroup: 'p12345', detectors: [] })).toThrow(/at least one detector/);
    expect(() => client.pedestalStatus('p12345', 0)).toThrow(/positive integer/);
  });
});
