/**
 * What the detector endpoints and pedestal runs need from the outside world,
 * as ports (adapters in lib/adapters): the calibration files, the detector
 * buffer's LATEST markers, the detector control system, the beamline's PV
 * list, the pedestal runs' bookkeeping and their workflow.
 */
import type { RunRef } from '../ports';

/** The facility's calibration files of a detector (gain maps, pedestals), read-only at accept. */
export interface CalibrationLookup {
  /** Whether `<root>/jungfrau/config/gainMaps/<DET>/gains.h5` is a file. */
  hasGainFile(detector: string): Promise<boolean>;
  /** The names in `<root>/jungfrau/data/pedestal/<DET>/` (empty when the directory does not exist). */
  pedestalNames(detector: string): Promise<string[]>;
}

/** The detector buffer's liveness markers: per module the age of `<buffer>/<DET>/M<mm>/LATEST`. */
export interface ModuleMarkers {
  /** Seconds since each module's LATEST was last written, undefined where it does not exist. */
  latestAges(detector: string, modules: number): Promise<Array<number | undefined>>;
}

/** A pedestal run's frames, as the detector takes them: the pulses during which the gains are forced. */
export interface PedestalSchedule {
  start_pulseid: number;
  stop_pulseid: number;
  /** Frames per forced gain stage and how often the three stages repeat. */
  frames_per_stage: number;
  loops: number;
}

/**
 * The detector control system (at the facility: the Jungfrau control
 * software the DAQ machines run; locally: the detector buffer simulator).
 */
export interface DetectorControl {
  /** Which control this is, for messages ("simulator", ...). */
  readonly kind: string;
  /** Make the detectors take a pedestal run (dark frames, gains forced G0, G1, G2 in turn): when. */
  takePedestal(request: { detectors: string[]; rateMultiplicator: number; pedestalmode: boolean }): Promise<Record<string, PedestalSchedule>>;
  /** Power a detector on (it writes frames again after a while). */
  powerOn(detector: string): Promise<void>;
}

/** The beamline's default PV list as stored (the original's `sf.<beamline>.epics_buffer.json`). */
export interface StoredPvList {
  pv_list: string[];
  pulse_id_pv: string;
  /** ISO time of the last set_pvlist. */
  updated: string;
}

export interface PvListStore {
  get(beamline: string): Promise<StoredPvList | undefined>;
  /** Store the list, keeping the previous one as a backup named by `backupStamp`. */
  put(beamline: string, list: StoredPvList, backupStamp: string): Promise<void>;
}

/** Where a pedestal run stands after its retrieval (lib/core/pedestal-run.ts). */
export type PedestalState = 'retrieving' | 'computing' | 'done' | 'failed';

/** One detector's pedestal, once computed: where the file is and what went into it. */
export interface DetectorPedestal {
  detector: string;
  state: 'pending' | 'done' | 'failed';
  /** The raw file of the pedestal run (JF_pedestals/run_NNNNNN.<DET>.h5). */
  raw_file?: string;
  /** `<raw>.res.h5` beside it, and the copy conversion uses (`/sf/jungfrau/data/pedestal/<DET>/<stamp>.h5`). */
  result_file?: string;
  calibration_file?: string;
  frames?: { analyzed: number; good: number; used_g0: number; used_g1: number; used_g2: number; wrong_gain: number };
  good_pixels?: number;
  pixels?: number;
  reason?: string;
}

/** A pedestal run's bookkeeping (the object store), read by GET /pedestals/{pgroup}/{run_number}. */
export interface PedestalStatus {
  beamline: string;
  pgroup: string;
  run_number: number;
  /** YYYYmmdd_HHMMSS, facility time: names `JF_pedestals/<stamp>.json` and the calibration copies. */
  stamp: string;
  state: PedestalState;
  detectors: DetectorPedestal[];
  start_pulseid: number;
  stop_pulseid: number;
  rate_multiplicator: number;
  pedestalmode: boolean;
  request_time: string;
  updated: string;
  finished?: string;
  reason?: string;
}

export interface PedestalStore {
  put(status: PedestalStatus): Promise<void>;
  get(beamline: string, pgroup: string, runNumber: number): Promise<PedestalStatus | undefined>;
}

/** What the pedestal workflow carries: the run and the pedestal's stamp, nothing else. */
export interface PedestalRef extends RunRef {
  stamp: string;
}

export interface PedestalWorkflowStarter {
  /** Start the pedestal run's workflow (named after the run: a repeated start cannot run twice). */
  start(ref: PedestalRef & { not_before: string; detectors: string[] }): Promise<{ executionArn: string }>;
}
