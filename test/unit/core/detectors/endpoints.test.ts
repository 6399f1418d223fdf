import { describe, expect, test } from 'vitest';
import { allowedDetectors, runningDetectors } from '../../../../lib/core/detectors/endpoints';
import type { PvListStore, StoredPvList } from '../../../../lib/core/detectors/ports';
import { withDefaultPvList } from '../../../../lib/core/detectors/pv-list';
import { apiKeyHash, type FacilityConfig } from '../../../../lib/core/facility';

const facility: FacilityConfig = {
  beamlines: {
    alvra: { networks: ['10.1.0.0/16'], detectors: { JF01T03V01: { description: '1p5M', daq: 12 }, JF06T08V04: {}, JF13T01V01: {} } },
    furka: { networks: ['10.2.0.0/16'], apiKeySha256: [apiKeyHash('furka-key')] },
  },
};
const alvra = { sourceIp: '10.1.0.7' };

describe('get_allowed_detectors', () => {
  test('descriptions default to the name; the live view is sf-daq-<daq>:<5000 + detector number>, null without a DAQ machine', () => {
    expect(allowedDetectors(facility, alvra)).toEqual({
      beamline: 'alvra', detectors: ['JF01T03V01', 'JF06T08V04', 'JF13T01V01'], descriptions: ['1p5M', 'JF06T08V04', 'JF13T01V01'], visualisation_address: ['sf-daq-12:5001', null, null],
    });
  });

  test('a beamline without detectors is refused, as the original', () => {
    expect(() => allowedDetectors(facility, { sourceIp: '10.2.0.1' })).toThrow('beamline furka has no detectors (the facility config lists none)');
  });
});

describe('get_running_detectors: a module runs if its LATEST marker is younger than 30 s', () => {
  test('running, limping, missing; a missing marker is a module not running', async () => {
    const ages: Record<string, Array<number | undefined>> = {
      JF01T03V01: [0.5, 12, 29.9],
      JF06T08V04: [1, 1, 30, 1, 1, 1, undefined, 1],
      JF13T01V01: [undefined],
    };
    const seen: Array<[string, number]> = [];
    const markers = { latestAges: async (d: string, m: number) => (seen.push([d, m]), ages[d]!) };
    expect(await runningDetectors(facility, alvra, markers)).toEqual({
      beamline: 'alvra',
      running_detectors: ['JF01T03V01'],
      missing_detectors: ['JF13T01V01'],
      limping_detectors: { JF06T08V04: { running_modules: [0, 1, 3, 4, 5, 7], missing_modules: [2, 6] } },
    });
    expect(seen).toEqual([['JF01T03V01', 3], ['JF06T08V04', 8], ['JF13T01V01', 1]]);
  });
});

describe("the beamline's default PV list at accept", () => {
  const stored: StoredPvList = { pv_list: ['A:1', 'B:2'], pulse_id_pv: 'P', updated: '2025-06-01T00:00:00Z' };
  const store: PvListStore = { get: async (b) => (b === 'alvra' ? stored : undefined), put: async () => undefined };
  const body = { pgroup: 'p12345', start_pulseid: 1, stop_pulseid: 2, channels_list: ['X:Y'] };

  test('added to a request without pv_list where the deployment says so, with a note', async () => {
    const { body: withList, notes } = await withDefaultPvList(body, 'alvra', { store, appliesTo: () => true });
    expect(withList).toEqual({ ...body, pv_list: ['A:1', 'B:2'] });
    expect(notes).toEqual(["pv_list: none sent, the beamline's default list (set_pvlist, 2 PVs) retrieved; its names were not checked against the archiver"]);
  });

  test('never over a pv_list sent (even an empty one), never where the deployment does not say so, nothing when none is stored', async () => {
    expect((await withDefaultPvList({ ...body, pv_list: [] }, 'alvra', { store, appliesTo: () => true })).body).toEqual({ ...body, pv_list: [] });
    expect((await withDefaultPvList(body, 'alvra', { store, appliesTo: () => false })).body).toBe(body);
    expect((await withDefaultPvList(body, 'bernina', { store, appliesTo: () => true })).body).toBe(body);
    expect((await withDefaultPvList(body, 'alvra', undefined)).notes).toEqual([]);
  });
});
