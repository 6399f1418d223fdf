import { link, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readRegularFile, writeFileAtomic, writeTempBeside } from './safe-paths';

/** The scan file as the 2020 broker wrote it (raw/scan_info/<scan_name>.json). */
export interface ScanFile {
  scan_files: string[][];
  scan_parameters: { Id: unknown; name: unknown; offset: unknown; conversion_factor: unknown };
  scan_readbacks: unknown[];
  scan_step_info: unknown[];
  scan_values: unknown[];
  scan_readbacks_raw: unknown[];
  pulseIds: [number, number][];
}

/** One run's step, as recorded in its own file. */
export interface ScanStep {
  run_number: number;
  scan_info: Record<string, unknown>;
  files: string[];
  range: [number, number];
}

/**
 * Create `path` with `content` only if it does not exist, atomically and
 * whole: the content goes to a temp file (fsync'ed), which is then hard-linked
 * to the final name (link fails with EEXIST if the name exists: O_EXCL
 * semantics that hold across processes and NFS clients) and removed.
 * Returns false if the file existed already.
 */
export async function createExclusive(path: string, content: string): Promise<boolean> {
  const tmp = await writeTempBeside(path, content);
  try {
    await link(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** The scan file of a set of steps, in pulse order (then run order), the 2020 broker's fields. */
export function renderScan(steps: ScanStep[]): ScanFile {
  const ordered = [...steps].sort((a, b) => a.range[0] - b.range[0] || a.run_number - b.run_number);
  const first = ordered[0]?.scan_info ?? {};
  return {
    scan_files: ordered.map((s) => s.files),
    scan_parameters: {
      Id: first.motors_pv_name ?? [],
      name: first.motors_name ?? [],
      offset: first.motors_offset ?? [],
      conversion_factor: first.motors_coefficient ?? [],
    },
    scan_readbacks: ordered.map((s) => s.scan_info.motors_readback_value ?? []),
    // Step info: the step's own record as the scan software sent it (choice: the whole scan_info of the request).
    scan_step_info: ordered.map((s) => s.scan_info.step_info ?? s.scan_info),
    scan_values: ordered.map((s) => s.scan_info.motors_value ?? []),
    scan_readbacks_raw: ordered.map((s) => s.scan_info.motors_readback_raw ?? []),
    pulseIds: ordered.map((s) => s.range),
  };
}

const STEP_FILE = /^run_[0-9]+\.json$/;

/**
 * Scan bookkeeping safe across processes and Lambda instances sharing the
 * pgroup filesystem: each run's step is its own file
 * (`raw/.daq/scan_steps/<scan_name>/run_NNNNNN.json`, created exclusively,
 * so a resumed or repeated request never adds a step twice), and the scan
 * file is rendered from all steps and replaced atomically. Two renders can
 * race; each renderer re-reads the step list after its rename and renders
 * again if a step appeared meanwhile, so the last rename always holds every
 * step recorded before it. One append costs one small file plus a render of
 * the step list (no lock, no read-modify-write of a shared file).
 */
export async function recordScanStep(stepsDir: string, scanPath: string, step: ScanStep, label: string): Promise<void> {
  await createExclusive(join(stepsDir, `${label}.json`), JSON.stringify(step));
  let rendered = -1;
  for (let attempt = 0; attempt < 50; attempt++) {
    const names = (await readdir(stepsDir)).filter((n) => STEP_FILE.test(n));
    if (names.length === rendered) return;
    const steps: ScanStep[] = [];
    for (const name of names) {
      const text = await readRegularFile(join(stepsDir, name));
      if (text !== undefined) steps.push(JSON.parse(text) as ScanStep);
    }
    await writeFileAtomic(scanPath, JSON.stringify(renderScan(steps), null, 2) + '\n');
    rendered = names.length;
  }
}
