import { readFile } from 'node:fs/promises';
import type { RetrieveRequest } from './types';

/**
 * The input files of the original `daq_client.py`, read the same way, so
 * files scientists already keep next to their scans work unchanged:
 *   channels file   one name per line; blank lines and lines starting with `#` skipped;
 *                   names ending in `:FPICTURE` are cameras (camera_list), the rest BS channels
 *   PV file         the same line format, every name a PV (pv_list)
 *   detectors file  JSON object: detector name -> options, e.g. {"JF01T03V01": {}}
 *   scan step file  JSON object, sent as scan_info (e.g. the seed's scan_step.json)
 */

/** A file the user named that cannot be used; the message names the file and why. */
export class InputFileError extends Error {
  override readonly name = 'InputFileError';
  constructor(readonly file: string, message: string) {
    super(message);
  }
}

/**
 * Names from a channel or PV file: trimmed, blank and `#` lines dropped, order kept.
 * @example parseNameList('# BS\nSAR-CVME-TIFALL5:EvtSet\n\n  SARES11-SPEC125-M1:FPICTURE \n') // ['SAR-CVME-TIFALL5:EvtSet', 'SARES11-SPEC125-M1:FPICTURE']
 */
export function parseNameList(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Split a channel file's names the way daq_client.py does: `:FPICTURE` names are cameras.
 * @example splitChannels(['A:B', 'CAM:FPICTURE']) // { channels: ['A:B'], cameras: ['CAM:FPICTURE'] }
 */
export function splitChannels(names: string[]): { channels: string[]; cameras: string[] } {
  return {
    channels: names.filter((n) => !n.endsWith(':FPICTURE')),
    cameras: names.filter((n) => n.endsWith(':FPICTURE')),
  };
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new InputFileError(file, `cannot read the ${what} ${file}: ${why}`);
  }
}

/**
 * The names of a channel or PV file (one a line, `#` comments), read before anything is sent.
 * @example await readNameFile('pvs.txt') // ['SARFE10-OPSH044:PRESSURE']
 */
export async function readNameFile(file: string, what = 'PV file'): Promise<string[]> {
  return parseNameList(await readText(file, what));
}

async function readJsonObject(file: string, what: string): Promise<Record<string, unknown>> {
  const text = await readText(file, what);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputFileError(file, `the ${what} ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputFileError(file, `the ${what} ${file} must hold a JSON object ({...}), not ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

export interface RequestFiles {
  channelsFile?: string;
  pvFile?: string;
  detectorsFile?: string;
  scanStepFile?: string;
}

export interface RequestBase {
  pgroup: string;
  start_pulseid: number;
  stop_pulseid: number;
  rate_multiplicator?: number;
  directory_name?: string;
}

/**
 * A retrieve request from the daq_client.py inputs: lists only when non-empty,
 * detectors and scan_info only when a file is given (as the original sends them).
 *
 * @example
 *   await requestFromFiles({ pgroup: 'p12345', start_pulseid: 1000, stop_pulseid: 2000, rate_multiplicator: 1 },
 *                          { channelsFile: 'channel_list', detectorsFile: 'jf_jf01.json' });
 */
export async function requestFromFiles(base: RequestBase, files: RequestFiles): Promise<RetrieveRequest> {
  const request: Record<string, unknown> = { ...base };
  if (files.channelsFile !== undefined) {
    const { channels, cameras } = splitChannels(parseNameList(await readText(files.channelsFile, 'channels file')));
    if (channels.length > 0) request.channels_list = channels;
    if (cameras.length > 0) request.camera_list = cameras;
  }
  if (files.pvFile !== undefined) {
    const pvs = parseNameList(await readText(files.pvFile, 'PV file'));
    if (pvs.length > 0) request.pv_list = pvs;
  }
  if (files.detectorsFile !== undefined) request.detectors = await readJsonObject(files.detectorsFile, 'detectors file');
  if (files.scanStepFile !== undefined) request.scan_info = await readJsonObject(files.scanStepFile, 'scan step file');
  return request as RetrieveRequest;
}

/** True if the request names at least one source (the broker refuses one that names none). */
export function hasSources(request: RetrieveRequest): boolean {
  const r = request as Record<string, unknown>;
  return ['channels_list', 'camera_list', 'pv_list'].some((k) => Array.isArray(r[k]) && (r[k] as unknown[]).length > 0)
    || (typeof r.detectors === 'object' && r.detectors !== null && Object.keys(r.detectors).length > 0);
}
