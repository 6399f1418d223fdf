import type { FacilityClock } from './clock';
import { detectorVolume, volumeProblem, type DetectorWorkConfig } from './detector-work';
import { RequestRefused } from './errors';
import { checkNames, type NameCatalogues } from './names';
import { checkRange, sourceBuffersOf, type BufferRetention } from './range-check';
import type { RunRequest } from './run-request';

/**
 * What the door checks need: the buffers' name catalogues, the facility
 * clock, what each buffer keeps, and the usual delays. Built once per broker
 * (lib/runtime/app.ts).
 */
export interface DoorDeps {
  /** Catalogues of names per kind; empty when name checks are off. */
  catalogues: NameCatalogues;
  clock: Pick<FacilityClock, 'timeMs' | 'pulseIdAt'>;
  nameBudgetMs: number;
  retentionSeconds: { data?: number; image?: number; archiver?: number };
  horizonPulses: number;
  delays: { dataSeconds: number; detectorSeconds: number };
  /** The oldest pulse a detector's buffer holds now (its folder listing), undefined when unknown. */
  detectorOldestPulse: (detector: string) => Promise<number | undefined>;
  now: () => Date;
  /** How much detector data one run may ask for (the deployment's work items x their size); absent: not checked. */
  detectorWork?: DetectorWorkConfig;
}

/**
 * Refuse a run whose detectors ask for more than the deployment can write
 * within the workflow's limits (work items x item size, or
 * SFDAQ_MAX_DETECTOR_BYTES), naming the size and the limit: such a run could
 * only fail hours later. Options that cannot work are refused here too.
 *
 * @example checkDetectorVolume(request, { itemBytes: 8 * 2 ** 30, maxItems: 500, maxBytes: 4e12 }) // throws RequestRefused('detectors', ...)
 */
export function checkDetectorVolume(request: RunRequest, config: DetectorWorkConfig): void {
  if (Object.keys(request.detectors).length === 0) return;
  const problem = volumeProblem(detectorVolume(request, config), config);
  if (problem) throw new RequestRefused('detectors', problem);
}

/**
 * A scientist's mistakes caught before a run number is spent: a range gone
 * from every buffer asked, or too far in the future; channels, cameras and PVs
 * the buffers do not know ("did you mean ..."), unless the request says
 * `allow_unknown_channels: true`. Throws the refusal; returns notes for the
 * run's logs (names not checked because a catalogue was slow or down, unknown
 * names retrieved anyway, buffers that lost part of the range).
 *
 * The range check and the names run together: the request waits for the
 * slower, at most the names' budget when a catalogue is slow.
 *
 * @example const notes = await checkAtTheDoor(body, request, door); // [] for an ordinary request
 */
export async function checkAtTheDoor(body: Record<string, unknown>, request: RunRequest, door: DoorDeps): Promise<string[]> {
  // First: pure arithmetic, and a refusal here makes the buffers' answers moot.
  if (door.detectorWork) checkDetectorVolume(request, door.detectorWork);
  const detectors = Object.keys(request.detectors);
  const nowMs = door.now().getTime();
  const [oldest, names] = await Promise.all([
    Promise.all(detectors.map(async (d) => [d, await door.detectorOldestPulse(d).catch(() => undefined)] as const)),
    checkNames(body, door.catalogues, { budgetMs: door.nameBudgetMs }),
  ]);
  const retention: Record<string, BufferRetention | undefined> = {};
  for (const kind of ['data', 'image', 'archiver'] as const) {
    const seconds = door.retentionSeconds[kind];
    if (seconds !== undefined) retention[kind] = { keepsMs: seconds * 1000 };
  }
  for (const [detector, pulse] of oldest) if (pulse !== undefined) retention[`detector:${detector}`] = { oldestPulseId: pulse };
  const data = door.delays.dataSeconds * 1000;
  const range = checkRange({
    start: request.start_pulseid,
    stop: request.stop_pulseid,
    rate: request.rate_multiplicator,
    buffers: sourceBuffersOf(request),
    retention,
    delaysMs: { data, image: data, archiver: data, detector: door.delays.detectorSeconds * 1000 },
    clock: door.clock,
    nowMs,
    horizonPulses: door.horizonPulses,
  });
  if (!range.ok) throw range.refusal;
  if (names.refusal) throw names.refusal;
  return [...range.notes, ...names.notes];
}
