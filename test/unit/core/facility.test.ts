import { describe, expect, test } from 'vitest';
import { apiKeyHash, checkFacilityConfig, resolveBeamline, type FacilityConfig } from '../../../lib/core/facility';

const facility: FacilityConfig = {
  beamlines: {
    alvra: { networks: ['129.129.242.0/24', '127.0.0.0/8'], apiKeySha256: [apiKeyHash('a-key')] },
    bernina: { networks: ['129.129.243.0/24', '129.129.242.128/25'], apiKeySha256: [apiKeyHash('b-key')] },
  },
};

describe('the caller\'s beamline', () => {
  test.for([
    ['129.129.242.7', undefined, 'alvra'],
    ['129.129.243.200', undefined, 'bernina'],
    ['129.129.242.200', undefined, 'bernina'], // most specific network wins
    ['::ffff:127.0.0.1', undefined, 'alvra'], // IPv4-mapped IPv6 from a dual-stack socket
    ['10.0.0.1', 'b-key', 'bernina'], // a key works from anywhere
    ['129.129.242.7', 'b-key', 'bernina'], // and wins over the network
  ] as const)('%s with key %s is %s', ([sourceIp, apiKey, beamline]) => {
    expect(resolveBeamline(facility, { sourceIp, apiKey })).toEqual({ ok: true, beamline });
  });

  test('unknown networks, bad keys and garbage addresses are refused with a reason', () => {
    expect(resolveBeamline(facility, { sourceIp: '10.1.2.3' })).toMatchObject({ ok: false, message: expect.stringMatching(/10\.1\.2\.3 is in no beamline's network/) });
    expect(resolveBeamline(facility, { sourceIp: '129.129.242.7', apiKey: 'nope' })).toMatchObject({ ok: false, message: expect.stringMatching(/API key is not known/) });
    expect(resolveBeamline(facility, { sourceIp: 'not-an-ip' })).toMatchObject({ ok: false });
  });

  test('a config with a bad CIDR or beamline name fails at load', () => {
    expect(() => checkFacilityConfig({ beamlines: { alvra: { networks: ['129.129.242.0/33'] } } })).toThrow(/not a CIDR/);
    expect(() => checkFacilityConfig({ beamlines: { '../x': { networks: [] } } })).toThrow(/not a plain lower-case word/);
  });
});
