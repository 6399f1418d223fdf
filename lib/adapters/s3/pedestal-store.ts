import type { S3Client } from '@aws-sdk/client-s3';
import type { PedestalStatus, PedestalStore } from '../../core/detectors/ports';
import { runLabel } from '../../core/paths';
import { JsonObjects } from './json-objects';

/** Pedestal runs' bookkeeping beside the runs': `runs/<beamline>/<pgroup>/run_NNNNNN.pedestal.json`. */
export class S3PedestalStore implements PedestalStore {
  private readonly objects: JsonObjects;

  constructor(bucket: string, s3: S3Client) {
    this.objects = new JsonObjects(bucket, s3);
  }

  static keyOf(beamline: string, pgroup: string, runNumber: number): string {
    return `runs/${beamline}/${pgroup}/${runLabel(runNumber)}.pedestal.json`;
  }

  put(status: PedestalStatus): Promise<void> {
    return this.objects.put(S3PedestalStore.keyOf(status.beamline, status.pgroup, status.run_number), status);
  }

  get(beamline: string, pgroup: string, runNumber: number): Promise<PedestalStatus | undefined> {
    return this.objects.get(S3PedestalStore.keyOf(beamline, pgroup, runNumber));
  }
}
