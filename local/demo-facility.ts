import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/adapters/fs/safe-paths';
import { checkFacilityConfig, type FacilityConfig } from '../lib/core/facility';
import { pgroupRawDir } from '../lib/core/paths';

/**
 * The demo facility of `npm start`: alvra (callers from this machine, or key
 * `alvra-demo-key`) with detector JF01T03V01 (3 modules), bernina (key
 * `bernina-demo-key`) with JF07T01V01 (1 module); pgroups p12345 (alvra) and
 * p23456 (bernina). Written to <stateDir>/facility.json on first start so it
 * can be edited; later starts read it back.
 */
export const DEMO_FACILITY: FacilityConfig = {
  beamlines: {
    alvra: { networks: ['127.0.0.0/8', '::1/128', '129.129.242.0/24'], apiKeys: ['alvra-demo-key'], eventSources: ['ch.psi.sf.alvra.scan'], detectors: { JF01T03V01: {} } },
    bernina: { networks: ['129.129.243.0/24'], apiKeys: ['bernina-demo-key'], eventSources: ['ch.psi.sf.bernina.scan'], detectors: { JF07T01V01: {} } },
  },
};

export const DEMO_PGROUPS: Array<{ beamline: string; pgroup: string }> = [
  { beamline: 'alvra', pgroup: 'p12345' },
  { beamline: 'bernina', pgroup: 'p23456' },
];

export async function ensureDemoFacility(stateDir: string, dataRoot: string, facility?: FacilityConfig): Promise<{ file: string; facility: FacilityConfig }> {
  await mkdir(stateDir, { recursive: true });
  const file = join(stateDir, 'facility.json');
  if (facility) {
    await writeFileAtomic(file, JSON.stringify(facility, null, 2) + '\n');
  } else if (!existsSync(file)) {
    await writeFileAtomic(file, JSON.stringify(DEMO_FACILITY, null, 2) + '\n');
  }
  const loaded = checkFacilityConfig(JSON.parse(await readFile(file, 'utf8')) as FacilityConfig);
  // Pgroups are made by the facility, not the broker: the demo plays the facility here.
  for (const { beamline, pgroup } of DEMO_PGROUPS) {
    if (loaded.beamlines[beamline]) await mkdir(pgroupRawDir(dataRoot, beamline, pgroup), { recursive: true });
  }
  return { file, facility: loaded };
}
