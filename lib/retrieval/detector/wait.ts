/**
 * Waiting until the detector buffer holds a range of pulses (each part waits
 * for its own range, so a long run's early parts start while the detector is
 * still writing the later ones).
 *
 * The range is probed first; while a running module has not yet written the
 * range's last pulse, poll every `pollMs` until the deadline, then fail naming
 * the modules still behind. A transient fault (BufferUnavailable, e.g. no
 * detector folder: an unmounted buffer looks the same) is retried with
 * `retry`, then thrown so the workflow's Retry runs the part again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DetectorBufferReader, moduleFolderName, type DetectorRangeStatus } from '../../adapters/buffers/detector';
import { withRetry, type RetryPolicy } from '../../adapters/buffers/retry';
import { RangeExpired } from '../../core/errors';
import type { RunLog } from '../run-log';

/** A reason to give up that is already a sentence for the log and the run's status. */
export class SourceFailed extends Error {
  override readonly name = 'SourceFailed';
}

export interface WaitOptions {
  root: string;
  detector: string;
  disabled: number[];
  first: bigint;
  last: bigint;
  deadline: number;
  pollMs: number;
  retry: RetryPolicy;
  now: () => number;
  log: RunLog;
  /** Prefix of log lines (e.g. `part 3: `). */
  prefix?: string;
}

/**
 * Probe until the range is readable; returns the ms waited. RangeExpired and the deadline end it (SourceFailed).
 * @example const waitedMs = await waitForRange({ root, detector, disabled: [], first: 1000n, last: 1999n, deadline, pollMs: 1000, retry, now: Date.now, log });
 */
export async function waitForRange(o: WaitOptions): Promise<number> {
  const reader = new DetectorBufferReader({ root: o.root, detector: o.detector });
  const prefix = o.prefix ?? '';
  const began = o.now();
  let said = false;
  for (;;) {
    let status: DetectorRangeStatus;
    try {
      status = await withRetry(
        () => reader.probe(o.first, o.last, { disabledModules: o.disabled, now: o.now }),
        o.retry,
        (error, attempt, delay) => void o.log.line(`${prefix}retry ${attempt} in ${delay} ms: ${error.message}`).catch(() => undefined),
      );
    } catch (error) {
      if (error instanceof RangeExpired) throw new SourceFailed(`range expired from the detector buffer (pulses ${o.first}..${o.last} are older than every file the buffer keeps)`);
      throw error;
    }
    if (status.state === 'available') {
      if (status.partiallyExpired) await o.log.line(`${prefix}part of the range is older than the buffer keeps: those frames read as missing`);
      return o.now() - began;
    }
    const behind = status.modules.filter((m) => m.oldestFileStart === null || (m.running && !m.passedStop));
    const who = behind.map((m) => `${moduleFolderName(m.index)}${m.newestFileStart === null ? ' (no file yet)' : ` (at file ${m.newestFileStart})`}`).join(', ');
    if (o.now() + o.pollMs > o.deadline) {
      throw new SourceFailed(`the detector buffer has not written pulses up to ${o.last} within ${((o.now() - began) / 1000).toFixed(1)} s (waiting for ${who || 'the detector to start'})`);
    }
    if (!said) await o.log.line(`${prefix}waiting: the buffer has not yet written up to pulse ${o.last} (${who || 'no file yet'})`);
    said = true;
    await sleep(o.pollMs);
  }
}
