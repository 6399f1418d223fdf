import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { JsonObjects } from './json-objects';
import { runLabel } from '../../core/paths';
import type { SourceCheck } from '../../core/check/types';
import type { RunRecord, RunRecordStore, RunRef } from '../../core/ports';
import type { RunStatus } from '../../core/run-status';

/**
 * Bookkeeping in the object store. Keys list naturally per pgroup:
 *   runs/<beamline>/<pgroup>/run_NNNNNN.json          the run record (as on the pgroup filesystem)
 *   runs/<beamline>/<pgroup>/run_NNNNNN.status.json   the run's status
 *   runs/<beamline>/<pgroup>/run_NNNNNN.check.<SOURCE>.json   a source's full consistency check
 * (zero-padded numbers sort in run order under ListObjectsV2's lexical order).
 */
export class S3RunRecordStore implements RunRecordStore {
  private readonly objects: JsonObjects;

  constructor(private readonly bucket: string, private readonly s3: S3Client = new S3Client({})) {
    this.objects = new JsonObjects(bucket, s3);
  }

  static keyOf(beamline: string, pgroup: string, runNumber: number, kind: 'record' | 'status'): string {
    return `runs/${beamline}/${pgroup}/${runLabel(runNumber)}${kind === 'status' ? '.status' : ''}.json`;
  }

  putRecord(record: RunRecord): Promise<void> {
    return this.objects.put(S3RunRecordStore.keyOf(record.beamline, record.pgroup, record.run_number, 'record'), record);
  }

  getRecord(beamline: string, pgroup: string, runNumber: number): Promise<RunRecord | undefined> {
    return this.objects.get(S3RunRecordStore.keyOf(beamline, pgroup, runNumber, 'record'));
  }

  putStatus(status: RunStatus): Promise<void> {
    return this.objects.put(S3RunRecordStore.keyOf(status.beamline, status.pgroup, status.run_number, 'status'), status);
  }

  getStatus(beamline: string, pgroup: string, runNumber: number): Promise<RunStatus | undefined> {
    return this.objects.get(S3RunRecordStore.keyOf(beamline, pgroup, runNumber, 'status'));
  }

  private static checkKey(run: RunRef, source: string): string {
    return `runs/${run.beamline}/${run.pgroup}/${runLabel(run.run_number)}.check.${source}.json`;
  }

  putCheck(run: RunRef, source: string, check: SourceCheck): Promise<void> {
    return this.objects.put(S3RunRecordStore.checkKey(run, source), check);
  }

  getCheck(run: RunRef, source: string): Promise<SourceCheck | undefined> {
    return this.objects.get(S3RunRecordStore.checkKey(run, source));
  }

  /**
   * List the pgroup's status keys (1,000 per page), keep the latest `limit`
   * by run number (labels past 999999 grow a digit, so not by key), then read
   * those few statuses, 8 at a time.
   */
  async listStatuses(beamline: string, pgroup: string, options: { limit?: number } = {}): Promise<RunStatus[]> {
    const prefix = `runs/${beamline}/${pgroup}/`;
    const runs: number[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const { Key } of page.Contents ?? []) {
        const run = /^run_([0-9]+)\.status\.json$/.exec(Key?.slice(prefix.length) ?? '')?.[1];
        if (run !== undefined) runs.push(Number(run));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    runs.sort((a, b) => a - b);
    const chosen = options.limit !== undefined ? runs.slice(-options.limit) : runs;
    const statuses: Array<RunStatus | undefined> = new Array(chosen.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < chosen.length; i = next++) statuses[i] = await this.getStatus(beamline, pgroup, chosen[i]!);
    };
    await Promise.all(Array.from({ length: Math.min(8, chosen.length) }, worker));
    return statuses.filter((s): s is RunStatus => s !== undefined);
  }
}
