import type { S3Client } from '@aws-sdk/client-s3';
import type { PvListStore, StoredPvList } from '../../core/detectors/ports';
import { JsonObjects } from './json-objects';

/**
 * The beamlines' default PV lists in the bookkeeping bucket (versioned):
 *   config/<beamline>/pv_list.json                 the list
 *   config/<beamline>/pv_list.<YYYYmmdd_HHMMSS>.json  the list it replaced (the original's timestamped backup)
 */
export class S3PvListStore implements PvListStore {
  private readonly objects: JsonObjects;

  constructor(bucket: string, s3: S3Client) {
    this.objects = new JsonObjects(bucket, s3);
  }

  static keyOf(beamline: string, backupStamp?: string): string {
    return `config/${beamline}/pv_list${backupStamp ? `.${backupStamp}` : ''}.json`;
  }

  get(beamline: string): Promise<StoredPvList | undefined> {
    return this.objects.get(S3PvListStore.keyOf(beamline));
  }

  async put(beamline: string, list: StoredPvList, backupStamp: string): Promise<void> {
    const previous = await this.get(beamline);
    if (previous) await this.objects.put(S3PvListStore.keyOf(beamline, backupStamp), previous);
    await this.objects.put(S3PvListStore.keyOf(beamline), list);
  }
}
