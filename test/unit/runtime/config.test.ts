import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../../lib/runtime/config';

const base = {
  SFDAQ_RUN_TABLE: 't', SFDAQ_BUCKET: 'b', SFDAQ_STATE_MACHINE_ARN: 'arn:aws:states:eu-central-1:1:stateMachine:s',
  SFDAQ_FACILITY: JSON.stringify({ beamlines: { alvra: { networks: ['10.0.0.0/8'] } } }),
};

describe('loadConfig: checked once, every problem named by its variable', () => {
  test('defaults give a working config', () => {
    const config = loadConfig(base);
    expect(config.delays).toEqual({ dataSeconds: 60, detectorSeconds: 10 });
    expect(config.maxBodyBytes).toBe(1_048_576);
    expect(config.facility.beamlines.alvra?.networks).toEqual(['10.0.0.0/8']);
  });

  test('a number that is not one is refused, never a NaN limit', () => {
    expect(() => loadConfig({ ...base, SFDAQ_MAX_BODY_BYTES: 'lots' })).toThrow('SFDAQ_MAX_BODY_BYTES must be number (got not a number)');
  });

  test('all problems at once, each with its variable', () => {
    let error: unknown;
    try {
      loadConfig({ ...base, SFDAQ_RUN_TABLE: '', SFDAQ_DATA_DELAY_SECONDS: '-1', SFDAQ_RETRY_ATTEMPTS: '2.5' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/SFDAQ_RUN_TABLE/);
    expect(problems).toMatch(/SFDAQ_DATA_DELAY_SECONDS must be >= 0/);
    expect(problems).toMatch(/SFDAQ_RETRY_ATTEMPTS must be integer/);
  });

  test('a facility with keys in clear is refused, saying how to hash them', () => {
    const facility = JSON.stringify({ beamlines: { alvra: { networks: [], apiKeys: ['secret'] } } });
    expect(() => loadConfig({ ...base, SFDAQ_FACILITY: facility })).toThrow(/SFDAQ_FACILITY: .*apiKeySha256.*sha256sum/);
  });
});

describe('detector settings', () => {
  test('SFDAQ_DEFAULT_PV_LIST: off by default, all, or beamlines; a beamline the facility does not have is refused naming it', () => {
    expect(loadConfig(base).detectors?.defaultPvList).toEqual([]);
    expect(loadConfig({ ...base, SFDAQ_DEFAULT_PV_LIST: 'all' }).detectors?.defaultPvList).toBe('all');
    expect(loadConfig({ ...base, SFDAQ_DEFAULT_PV_LIST: ' alvra ' }).detectors?.defaultPvList).toEqual(['alvra']);
    expect(() => loadConfig({ ...base, SFDAQ_DEFAULT_PV_LIST: 'alvra,maloja' })).toThrow('SFDAQ_DEFAULT_PV_LIST names maloja, not a beamline of the facility (use off, all, or beamline names)');
  });

  test('the pedestal workflow and the detector control come from their variables; a facility detector\'s fields are checked', () => {
    const config = loadConfig({ ...base, SFDAQ_PEDESTAL_STATE_MACHINE_ARN: 'arn:p', SFDAQ_DETECTOR_CONTROL_URL: 'http://127.0.0.1:1' });
    expect(config.detectors).toMatchObject({ pedestalStateMachineArn: 'arn:p', controlUrl: 'http://127.0.0.1:1' });
    const facility = JSON.stringify({ beamlines: { alvra: { networks: [], detectors: { JF01T03V01: { daq: 'twelve' } } } } });
    expect(() => loadConfig({ ...base, SFDAQ_FACILITY: facility })).toThrow(/JF01T03V01.daq must be a DAQ machine number/);
  });
});
