/**
 * Detectors the simulator knows by name, with what the demo and benchmarks
 * say about them. Any JFxxTyyVzz name can be simulated (its module count
 * comes from the name); these are the ones the facility tables and tests use.
 */
export interface SimulatedDetector {
  modules: number;
  description: string;
}

export const SIMULATED_DETECTORS: Readonly<Record<string, SimulatedDetector>> = {
  JF01T03V01: { modules: 3, description: 'Jungfrau 1.5M, 3 modules stacked (Alvra)' },
  JF07T01V01: { modules: 1, description: 'Jungfrau 0.5M, 1 module (Bernina)' },
  JF06T08V04: { modules: 8, description: 'Jungfrau 4M, 8 modules, geometry turned by 90 degrees (Alvra)' },
  JF07T32V01: { modules: 32, description: 'Jungfrau 16M, 32 modules (Bernina)' },
};
