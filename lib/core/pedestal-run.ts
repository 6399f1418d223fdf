/**
 * Pedestal runs (jungfrau.md §6): POST /take_pedestal makes the detectors
 * take dark frames with their gains forced G0, G1, G2 in turn (through the
 * detector control port), then the broker retrieves those frames as an
 * ordinary run into the pgroup's `raw/JF_pedestals/` (numbered, recorded,
 * through the retrieval workflow), and a second workflow, the pedestal
 * workflow (statemachine/pedestal.asl.json, tasks in
 * lib/core/detectors/pedestal-tasks.ts), waits for that run, computes each
 * detector's pedestal from the raw frames and copies it where conversion
 * looks for pedestals (`/sf/jungfrau/data/pedestal/<DET>/<stamp>.h5`).
 *
 * The request is saved as `JF_pedestals/<stamp>.json`, stamp = the request
 * time YYYYmmdd_HHMMSS in facility time, as the facility names it.
 */
import { acceptRetrieve, beamlineOf, formatRequestTime, type AcceptDeps } from './accept';
import type { FacilityClock } from './clock';
import type { DetectorControl, PedestalStatus, PedestalStore, PedestalWorkflowStarter } from './detectors/ports';
import { PgroupClosed, RequestRefused } from './errors';
import type { Caller } from './facility';
import { pedestalStamp } from './jungfrau/calibration-files';
import { closestOf } from './names/distance';
import type { TakePedestalBody } from '../schemas/detector-endpoints';
import { MAX_PULSES_PER_REQUEST } from '../schemas/retrieve-request';

/** The directory below `raw/` every pedestal run goes to (the facility forces it). */
export const PEDESTAL_DIRECTORY = 'JF_pedestals';

/** Frames of the facility's pedestal runs (jungfrau.md §6): 1000 per gain once, or the firmware's 50 per gain 200 times. */
export const MANUAL_PEDESTAL_FRAMES = 3 * 1000;
export const FIRMWARE_PEDESTAL_FRAMES = 3 * 50 * 200;

/** Writes `raw/JF_pedestals/<stamp>.json` (creating the directory); refuses a stamp already used. */
export interface PedestalRequestFiles {
  writeRequest(beamline: string, pgroup: string, stamp: string, content: Record<string, unknown>): Promise<string>;
}

export interface PedestalDeps extends AcceptDeps {
  control: DetectorControl;
  pedestals: PedestalStore;
  pedestalWorkflow: PedestalWorkflowStarter;
  pedestalFiles: PedestalRequestFiles;
  clock: Pick<FacilityClock, 'timeMs'>;
  /** Seconds the detector buffer needs after a pulse (SFDAQ_DETECTOR_DELAY_SECONDS). */
  detectorDelaySeconds: number;
}

export interface PedestalAccepted {
  beamline: string;
  runNumber: number;
  stamp: string;
  files: string[];
  startPulseId: number;
  stopPulseId: number;
  /** Seconds to wait at least (the dark frames' duration + 10 s, as the facility says). */
  waitSeconds: number;
}

/** The detectors of a take_pedestal body: a list, or the keys of a dictionary (older clients). */
export function pedestalDetectors(body: Pick<TakePedestalBody, 'detectors'>): string[] {
  return Array.isArray(body.detectors) ? [...(body.detectors as string[])] : Object.keys(body.detectors);
}

/**
 * POST /take_pedestal: check, trigger the dark frames, accept their
 * retrieval as a run into JF_pedestals/, save the request, start the pedestal
 * workflow. A refusal comes before the detectors are touched.
 *
 * @example
 *   const { runNumber, waitSeconds } = await takePedestal({ pgroup: 'p12345', detectors: ['JF01T03V01'] }, caller, deps);
 */
export async function takePedestal(body: TakePedestalBody, caller: Caller, deps: PedestalDeps): Promise<PedestalAccepted> {
  const beamline = beamlineOf(deps.facility, caller);
  const known = Object.keys(deps.facility.beamlines[beamline]?.detectors ?? {});
  if (known.length === 0) throw new RequestRefused('detectors', `beamline ${beamline} has no detectors`);
  const detectors = pedestalDetectors(body);
  for (const detector of detectors) {
    if (!known.includes(detector)) {
      const close = closestOf(detector, known, { limit: 3, max: 1 });
      throw new RequestRefused('detectors', `detector ${detector} is not known at beamline ${beamline} (known: ${known.join(', ')})${close.length ? `; did you mean ${close.join(', ')}?` : ''}`);
    }
  }
  const { pgroup } = body;
  const rate = body.rate_multiplicator ?? 1;
  const pedestalmode = body.pedestalmode ?? false;
  // Refused before the detectors are touched: a dark run longer than one run can retrieve.
  const pulses = (pedestalmode ? FIRMWARE_PEDESTAL_FRAMES : MANUAL_PEDESTAL_FRAMES) * rate;
  if (pulses > MAX_PULSES_PER_REQUEST) {
    throw new RequestRefused('rate_multiplicator', `a pedestal run${pedestalmode ? ' in pedestalmode' : ''} at rate_multiplicator ${rate} lasts ${pulses} pulses, more than one run retrieves (${MAX_PULSES_PER_REQUEST}): choose a rate_multiplicator of at most ${Math.floor(MAX_PULSES_PER_REQUEST / (pulses / rate))}${pedestalmode ? ', or leave pedestalmode out' : ''}`);
  }
  await deps.fs.checkPgroupWritable(beamline, pgroup);
  if (await deps.fs.isClosed(beamline, pgroup)) throw new PgroupClosed(pgroup, `pgroup ${pgroup} of ${beamline}`);
  await deps.fs.outputDirectory(beamline, pgroup, [PEDESTAL_DIRECTORY]);

  const requestTime = deps.now();
  const stamp = pedestalStamp(requestTime);
  // The detectors now take their dark frames: the pulses to retrieve come from the control.
  const schedules = await deps.control.takePedestal({ detectors, rateMultiplicator: rate, pedestalmode });
  const missing = detectors.find((d) => schedules[d] === undefined);
  if (missing) throw new Error(`the detector control did not schedule a pedestal for ${missing}`);
  const start = Math.min(...detectors.map((d) => schedules[d]!.start_pulseid));
  const stop = Math.max(...detectors.map((d) => schedules[d]!.stop_pulseid));

  const runBody = {
    pgroup,
    start_pulseid: start,
    stop_pulseid: stop,
    rate_multiplicator: rate,
    directory_name: PEDESTAL_DIRECTORY,
    detectors: Object.fromEntries(detectors.map((d) => [d, {}])),
    // Dark frames only: never the beamline's default PV list.
    pv_list: [],
    pedestal: { stamp, pedestalmode },
  };
  const accepted = await acceptRetrieve(runBody, caller, deps);
  const runNumber = accepted.runNumber;

  const { detectors: _sent, ...rest } = body;
  await deps.pedestalFiles.writeRequest(beamline, pgroup, stamp, {
    ...rest,
    detectors,
    rate_multiplicator: rate,
    pedestalmode,
    directory_name: PEDESTAL_DIRECTORY,
    beamline,
    run_number: runNumber,
    request_time: formatRequestTime(requestTime),
    schedules,
  });
  const status: PedestalStatus = {
    beamline,
    pgroup,
    run_number: runNumber,
    stamp,
    state: 'retrieving',
    detectors: detectors.map((detector) => ({ detector, state: 'pending', raw_file: accepted.files[detector]! })),
    start_pulseid: start,
    stop_pulseid: stop,
    rate_multiplicator: rate,
    pedestalmode,
    request_time: requestTime.toISOString(),
    updated: requestTime.toISOString(),
  };
  await deps.pedestals.put(status);
  const endMs = Math.max(requestTime.getTime(), deps.clock.timeMs(BigInt(stop)));
  // The pedestal workflow first waits until the retrieval can have started (it then follows the run).
  const notBefore = new Date(endMs + deps.detectorDelaySeconds * 1000);
  try {
    await deps.pedestalWorkflow.start({ beamline, pgroup, run_number: runNumber, stamp, not_before: notBefore.toISOString(), detectors });
  } catch (error) {
    const now = deps.now().toISOString();
    await deps.pedestals.put({ ...status, state: 'failed', reason: `the pedestal computation could not be started: ${(error as Error).message}`, updated: now, finished: now }).catch(() => undefined);
    throw error;
  }
  const waitSeconds = Math.round((stop - start + 1) / 100 + 10);
  return { beamline, runNumber, stamp, files: Object.values(accepted.files), startPulseId: start, stopPulseId: stop, waitSeconds };
}

/**
 * GET /pedestals/{pgroup}/{run_number}: a pedestal run's state, for the
 * caller's own beamline: retrieving -> computing -> done | failed, per
 * detector its files and statistics.
 */
export async function pedestalStatus(pgroup: string, runNumber: number, caller: Caller, deps: Pick<PedestalDeps, 'facility' | 'fs' | 'pedestals'>): Promise<PedestalStatus> {
  const beamline = beamlineOf(deps.facility, caller);
  await deps.fs.checkPgroupExists(beamline, pgroup);
  const status = await deps.pedestals.get(beamline, pgroup, runNumber);
  if (!status) throw new RequestRefused('run_number', `run ${runNumber} of pgroup ${pgroup} is not a pedestal run (take one with POST /take_pedestal)`);
  return status;
}
