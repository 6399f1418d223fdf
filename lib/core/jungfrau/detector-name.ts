/**
 * Jungfrau names `JF<id>T<modules>V<version>`, two digits each (sf_daq_broker utils/detname.py).
 * A copy of the buffer layout's rule, because the core imports nothing of the adapters.
 */
export interface JungfrauName {
  id: number;
  modules: number;
  version: number;
}

const NAME = /^JF(\d{2})T(\d{2})V(\d{2})$/;

/**
 * @example parseJungfrauName('JF06T08V04') // { id: 6, modules: 8, version: 4 }
 * @example parseJungfrauName('JF6T8') // undefined
 */
export function parseJungfrauName(name: string): JungfrauName | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const modules = Number(m[2]);
  if (modules < 1) return undefined;
  return { id: Number(m[1]), modules, version: Number(m[3]) };
}

/** The name without its version, the geometry table's second key. @example withoutVersion('JF07T32V01') // 'JF07T32' */
export const withoutVersion = (name: string): string => name.replace(/V\d{2}$/, '');
