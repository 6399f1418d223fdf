/**
 * Where things live in a pgroup's tree (the seed's 2020 layout):
 *   <dataRoot>/<beamline>/data/<pgroup>/raw/                 pgroup's raw directory (made by the facility)
 *   raw/.daq/run_NNNNNN.json                                 bookkeeping
 *   raw/.daq/run_NNNNNN.<SUFFIX>.log                         retrieval logs
 *   raw/.daq/CLOSED                                          pgroup closed for writing
 *   raw/<directory_name>/run_NNNNNN.<SUFFIX>.h5              outputs
 *   raw/scan_info/<scan_name>.json                           scan bookkeeping (rendered from raw/.daq/scan_steps/)
 * Pure string work; the filesystem adapter resolves them safely.
 */
import { RequestRefused } from './errors';

export const BOOKKEEPING_DIR = '.daq';
export const CLOSED_MARKER = 'CLOSED';
export const SCAN_INFO_DIR = 'scan_info';
/** raw/.daq/scan_steps/<scan_name>/run_NNNNNN.json: one file per scan step, the scan file is rendered from them. */
export const SCAN_STEPS_DIR = 'scan_steps';

export function runLabel(runNumber: number): string {
  return `run_${String(runNumber).padStart(6, '0')}`;
}

export function pgroupRawDir(dataRoot: string, beamline: string, pgroup: string): string {
  return `${dataRoot}/${beamline}/data/${pgroup}/raw`;
}

/**
 * Split a user's `directory_name` into safe path parts below raw/, or refuse.
 * Refused: absolute paths, `..`, `.` parts that hide tricks, NUL and control
 * characters, backslashes, and names the bookkeeping owns (`.daq`, `scan_info`).
 * Symlinks are checked against the real filesystem by the fs adapter.
 */
export function directoryParts(directoryName: string | undefined): string[] {
  if (directoryName === undefined || directoryName === '') return [];
  const field = 'directory_name';
  if (directoryName.startsWith('/')) throw new RequestRefused(field, `directory_name must be relative to the pgroup's raw directory, not an absolute path`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(directoryName)) throw new RequestRefused(field, 'directory_name contains control characters (e.g. NUL)');
  if (directoryName.includes('\\')) throw new RequestRefused(field, 'directory_name contains a backslash; use / between directories');
  const parts = directoryName.split('/').filter((p) => p !== '' && p !== '.');
  for (const part of parts) {
    if (part === '..') throw new RequestRefused(field, `directory_name may not contain "..": outputs stay inside the pgroup's raw directory`);
    // Filesystems limit names in bytes, not characters (128 x "é" is 256 bytes).
    if (Buffer.byteLength(part) > 255) throw new RequestRefused(field, 'directory_name has a path part longer than 255 bytes');
  }
  if (parts[0] === BOOKKEEPING_DIR || parts[0] === SCAN_INFO_DIR) {
    throw new RequestRefused(field, `directory_name may not write into raw/${parts[0]}, which holds the broker's bookkeeping`);
  }
  if (parts.length > 32) throw new RequestRefused(field, 'directory_name is nested too deeply (at most 32 levels)');
  return parts;
}

/** `scan_info.scan_name` becomes a file name: one plain path part. */
export function scanFileName(scanName: string): string {
  const field = 'scan_info.scan_name';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f/\\]/.test(scanName) || scanName === '.' || scanName === '..' || scanName.startsWith('.')) {
    throw new RequestRefused(field, 'scan_info.scan_name must be a plain file name (no /, \\, control characters or leading dot)');
  }
  return `${scanName}.json`;
}

/** Output file suffixes (2020 names; tools of that era read exactly these). */
export const SUFFIX = { data: 'BSREAD', image: 'CAMERAS', archiver: 'PVCHANNELS' } as const;
