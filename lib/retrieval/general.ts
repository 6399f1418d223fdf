import pkg from '../../package.json' with { type: 'json' };
import type { BsreadGeneral } from '../adapters/hdf5';

/** What `/general/process` names: this program and its version (package.json). */
const PROCESS = `sfdaq-broker ${pkg.version}`;

/**
 * The `/general/{created,instrument,process,user}` strings of a BSREAD or
 * PVCHANNELS file, as the 2020 files carried them: when the file was made
 * (ISO 8601, UTC), the beamline, the writing program, the pgroup.
 *
 * @example
 *   bsreadGeneral({ beamline: 'alvra', pgroup: 'p12345' }, new Date('2020-05-27T16:06:39.772Z'))
 *   // { created: '2020-05-27T16:06:39.772Z', instrument: 'alvra', process: 'sfdaq-broker 0.1.0', user: 'p12345' }
 */
export function bsreadGeneral(run: { beamline: string; pgroup: string }, created: Date = new Date()): BsreadGeneral {
  return { created: created.toISOString(), instrument: run.beamline, process: PROCESS, user: run.pgroup };
}
