import { describe, expect, test } from 'vitest';
import { RequestRefused } from '../../../lib/core/errors';
import { normaliseRequest } from '../../../lib/core/run-request';
import { validateRetrieveBody } from '../../../lib/schemas/validate';

const base = { pgroup: 'p12345', start_pulseid: 1000, stop_pulseid: 2000, channels_list: ['A:B'] };

function refusal(body: unknown): RequestRefused {
  try {
    normaliseRequest(validateRetrieveBody(body));
  } catch (error) {
    expect(error).toBeInstanceOf(RequestRefused);
    return error as RequestRefused;
  }
  throw new Error(`expected a refusal for ${JSON.stringify(body)}`);
}

describe('retrieve request: schema and pure rules', () => {
  test.for([
    ['empty body', {}, undefined, /request parameters are empty/],
    ['array body', [1], undefined, /must be a JSON object/],
    ['no pgroup', { start_pulseid: 1, stop_pulseid: 2, channels_list: ['a'] }, 'pgroup', /no pgroup in request parameters/],
    ['bad pgroup', { ...base, pgroup: '../p1' }, 'pgroup', /pgroup must be of the form p12345/],
    ['no start', { pgroup: 'p12345', stop_pulseid: 2, channels_list: ['a'] }, 'start_pulseid', /no start or stop pulseid.*start_pulseid is missing/],
    ['no stop', { pgroup: 'p12345', start_pulseid: 2, channels_list: ['a'] }, 'stop_pulseid', /no start or stop pulseid.*stop_pulseid is missing/],
    ['start not a number', { ...base, start_pulseid: 'abc' }, 'start_pulseid', /bad start or stop pulseid/],
    ['negative stop', { ...base, stop_pulseid: -5 }, 'stop_pulseid', /bad start or stop pulseid/],
    ['fractional start', { ...base, start_pulseid: 10.5 }, 'start_pulseid', /bad start or stop pulseid/],
    ['stop before start', { ...base, start_pulseid: 2000, stop_pulseid: 1000 }, 'stop_pulseid', /stop_pulseid 1000 is before start_pulseid 2000/],
    ['range too large', { ...base, start_pulseid: 0, stop_pulseid: 60001 }, 'stop_pulseid', /requested number of pulses 60002 too large \(max. 60001\)/],
    ['bad rate', { ...base, rate_multiplicator: 3 }, 'rate_multiplicator', /rate_multiplicator is not allowed one/],
    ['nothing to retrieve', { pgroup: 'p12345', start_pulseid: 1, stop_pulseid: 2 }, 'channels_list', /did not contain any channels/],
    ['all lists empty', { ...base, channels_list: [], pv_list: [], camera_list: [], detectors: {} }, 'channels_list', /did not contain any channels/],
    ['camera without :FPICTURE', { ...base, camera_list: ['SAROP-CAM'] }, 'camera_list.0', /camera names must end in :FPICTURE/],
    ['channels not a list', { ...base, channels_list: 'A:B' }, 'channels_list', /channels_list must be of type array/],
    ['empty channel name', { ...base, channels_list: [''] }, 'channels_list.0', /is empty/],
    ['detectors not an object', { ...base, detectors: ['JF01T03V01'] }, 'detectors', /detectors is not dictionary/],
    ['bad detector name', { ...base, detectors: { 'JF1': {} } }, 'detectors', /not of the form JFxxTyyVzz/],
    ['unsupported detector option', { ...base, detectors: { JF01T03V01: { adc_to_energie: true } } }, 'detectors.JF01T03V01.adc_to_energie', /option "adc_to_energie" is not supported \(supported: adc_to_energy, factor,/],
    ['roi not rectangles', { ...base, detectors: { JF01T03V01: { roi: [1, 2] } } }, 'detectors.JF01T03V01.roi', /must be a dictionary of named rectangles/],
    ['detector options not a dictionary', { ...base, detectors: { JF01T03V01: 5 } }, 'detectors.JF01T03V01', /must be a dictionary of options/],
    ['compression not bool', { ...base, detectors: { JF01T03V01: { compression: 'yes' } } }, 'detectors.JF01T03V01.compression', /"yes" is not valid: it must be true or false/],
    ['selected pulse outside', { ...base, detectors: { JF01T03V01: { selected_pulse_ids: [5] } } }, 'detectors.JF01T03V01.selected_pulse_ids', /pulse id 5 is outside/],
    ['directory_name not a string', { ...base, directory_name: 5 }, 'directory_name', /must be of type string/],
    ['too many channels', { ...base, channels_list: Array.from({ length: 10_001 }, (_, i) => `C${i}`) }, 'channels_list', /too many entries \(at most 10000\)/],
    ['channel name too long', { ...base, channels_list: ['x'.repeat(300)] }, 'channels_list.0', /too long/],
  ] as const)('%s is refused naming the field', ([, body, field, message]) => {
    const error = refusal(body);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  test('string pulse ids are accepted as the 2020 server did, and lists are de-duplicated in order', () => {
    const request = normaliseRequest(validateRetrieveBody({ ...base, start_pulseid: '1000', channels_list: ['B', 'A', 'B'], pv_list: ['X', 'X'] }));
    expect(request.start_pulseid).toBe(1000);
    expect(request.channels_list).toEqual(['B', 'A']);
    expect(request.pv_list).toEqual(['X']);
    expect(request.rate_multiplicator).toBe(1);
  });

  test('a range of exactly 60,001 pulses is accepted', () => {
    expect(normaliseRequest(validateRetrieveBody({ ...base, start_pulseid: 0, stop_pulseid: 60_000 })).stop_pulseid).toBe(60_000);
  });

  test.for([1, 2, 4, 8, 10, 20, 40, 50, 100])('rate_multiplicator %i is allowed', (rate) => {
    expect(normaliseRequest(validateRetrieveBody({ ...base, rate_multiplicator: rate })).rate_multiplicator).toBe(rate);
  });
});
