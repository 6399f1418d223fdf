import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/adapters/fs/safe-paths';
import { apiKeyHash, checkFacilityConfig, type FacilityConfig } from '../lib/core/facility';
import { pgroupRawDir } from '../lib/core/paths';

/**
 * The demo facility of `npm start`: alvra (callers from this machine, or key
 * `alvra-demo-key`) with detectors JF01T03V01 (3 modules) and JF06T08V04 (4M,
 * 8 modules), bernina (key `bernina-demo-key`) with JF07T01V01 (1 module) and
 * JF07T32V01 (16M, 32 modules: 32 MiB a frame, split across workers); the
 * simulated buffer is sparse (row 0 of each module), dense only in the
 * benchmarks; pgroups p12345 (alvra) and
 * p23456 (bernina). Written to <stateDir>/facility.json on first start so it
 * can be edited; later starts read it back. Keys are stored as SHA-256 hashes,
 * as in a real deployment; a facility.json of an earlier version holding keys
 * in clear (`apiKeys`) is rewritten with their hashes.
 */
export const DEMO_FACILITY: FacilityConfig = {
  beamlines: {
    alvra: { networks: ['127.0.0.0/8', '::1/128', '129.129.242.0/24'], apiKeySha256: [apiKeyHash('alvra-demo-key')], eventSources: ['ch.psi.sf.alvra.scan'], detectors: { JF01T03V01: {}, JF06T08V04: {} } },
    bernina: { networks: ['129.129.243.0/24'], apiKeySha256: [apiKeyHash('bernina-demo-key')], eventSources: ['ch.psi.sf.bernina.scan'], detectors: { JF07T01V01: {}, JF07T32V01: {} } },
  },
};

/**
 * The demo facility without its two big detectors (JF06T08V04, JF07T32V01):
 * what test stacks run by default. 44 more simulated modules cost a stack
 * seconds of start and clean-up (sparse buffer files of ~1 GB apparent size
 * each) that only the scale-out tests need; those pass DEMO_FACILITY.
 */
export const SMALL_DEMO_FACILITY: FacilityConfig = {
  beamlines: Object.fromEntries(Object.entries(DEMO_FACILITY.beamlines).map(([name, beamline]) => [
    name,
    { ...beamline, detectors: Object.fromEntries(Object.entries(beamline.detectors ?? {}).filter(([det]) => !['JF06T08V04', 'JF07T32V01'].includes(det))) },
  ])),
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
  const parsed = JSON.parse(await readFile(file, 'utf8')) as FacilityConfig;
  if (upgradeClearKeys(parsed)) await writeFileAtomic(file, JSON.stringify(parsed, null, 2) + '\n');
  const loaded = checkFacilityConfig(parsed);
  // Pgroups are made by the facility, not the broker: the demo plays the facility here.
  for (const { beamline, pgroup } of DEMO_PGROUPS) {
    if (loaded.beamlines[beamline]) await mkdir(pgroupRawDir(dataRoot, beamline, pgroup), { recursive: true });
  }
  return { file, facility: loaded };
}

/** An earlier demo's facility.json kept API keys in clear: store their hashes instead. Returns whether it changed. */
function upgradeClearKeys(facility: FacilityConfig): boolean {
  let changed = false;
  for (const beamline of Object.values(facility.beamlines ?? {})) {
    const clear = (beamline as { apiKeys?: unknown }).apiKeys;
    if (!Array.isArray(clear)) continue;
    beamline.apiKeySha256 = [...(beamline.apiKeySha256 ?? []), ...clear.map((key) => apiKeyHash(String(key)))];
    delete (beamline as { apiKeys?: unknown }).apiKeys;
    changed = true;
  }
  return changed;
}
