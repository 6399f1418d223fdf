import { RangeExpired } from '../../../core/errors';
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from '../retry';
import { fetchAnswer } from './fetch-answer';
import { isHistoryExpired, notArchived, toHistory } from './history';
import { parseGetDataAnswer } from './parse';
import type { PvHistory } from './types';
import { getDataUrl } from './url';

export interface ArchiverClientOptions {
  /** Appliance root, e.g. `http://archiver:17665` (the client appends `/retrieval/data/getData.json`). */
  baseUrl: string;
  /** Retry of transient faults (5xx, lost connection, timeout), per PV. */
  retry?: RetryPolicy;
  /** Limit for one request, answer body included, ms. */
  requestTimeoutMs?: number;
  /** PVs fetched at once by getMany; also bounds how many answers sit in memory. */
  concurrency?: number;
  /** Told about every retry, so the retrieval log can count them. */
  onRetry?: (pv: string, error: Error, attempt: number) => void;
}

/**
 * Client of the EPICS Archiver Appliance retrieval API (getData.json).
 *
 * One PV answer is read and parsed whole in memory (a 100 Hz PV over 60,001
 * pulses is ~5 MB of JSON); getMany keeps at most `concurrency` + 1 answers
 * alive at once.
 *
 * Appliance behaviour relied on, read in epicsarchiverap's source and docs:
 * URL form and encoding, ISO times (fetch_data_guide.md); the first sample is
 * the last one at or before `from` (PlainPBStoragePlugin adds the previous
 * partition's last event, MergeDedupConsumer sends the last one <= start and
 * drops events not after the previous); `to` is inclusive
 * (FileBackedPBEventStream stops at events after the end); unknown PV = 404
 * "Unable to find typeinfo for pv X" via sendError, i.e. Tomcat's HTML page
 * (DataRetrievalServlet, RetrievalError); body shape and the bare `[ ]` when
 * no stream had data (JSONResponse); NaN printed bare (ScalarValue).
 *
 * @example
 *   const archiver = new ArchiverClient({ baseUrl: 'http://archiver:17665' });
 *   const toNs = clock.timestampNs(stop + 1n) - 1n; // the run's [ts(start), ts(stop + 1)) as an inclusive range
 *   const pressure = await archiver.getData('SARFE10-OPSH044:PRESSURE', clock.timestampNs(start), toNs);
 *   for await (const h of archiver.getMany(pvList, clock.timestampNs(start), toNs)) writer.addPv(h);
 */
export class ArchiverClient {
  private readonly baseUrl: string;
  private readonly retry: RetryPolicy;
  private readonly requestTimeoutMs: number;
  private readonly concurrency: number;
  private readonly onRetry: ArchiverClientOptions['onRetry'];

  constructor(options: ArchiverClientOptions) {
    this.baseUrl = options.baseUrl;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.onRetry = options.onRetry;
  }

  /**
   * One PV over [fromNs, toNs] (both inclusive). Unknown PV: `found: false`.
   * Throws RangeExpired when the PV is archived but answered no sample at all,
   * BufferUnavailable when transient faults outlast the retries, and
   * BufferProtocolError for an answer that breaks the protocol.
   *
   * @example
   *   const h = await archiver.getData('SARES11-XSAM125:STATUS', fromNs, toNs);
   *   h.samples[0]?.value; // 'OPEN': the value in force at fromNs
   */
  async getData(pv: string, fromNs: bigint, toNs: bigint): Promise<PvHistory> {
    const history = await this.fetchHistory(pv, fromNs, toNs);
    if (isHistoryExpired(history)) throw new RangeExpired('archiver');
    return history;
  }

  /**
   * Several PVs, at most `concurrency` in flight, yielded in the order asked.
   *
   * RangeExpired rule: an archived PV always has a value in force at `from`
   * unless its history expired, so when at least one PV is archived and every
   * archived PV answered no sample at all, the whole range has left the
   * archiver: RangeExpired is thrown before anything is yielded (the empty
   * answers are held back, they are tiny). Otherwise every PV is yielded, and
   * the caller reports single expired PVs with `isHistoryExpired`.
   *
   * @example
   *   for await (const h of archiver.getMany(['motor1_PV', 'motor2_PV'], fromNs, toNs)) {
   *     log(`${h.pv}: ${h.counts.before} / ${h.counts.inRange} / ${h.counts.after}`);
   *   }
   */
  async *getMany(pvs: readonly string[], fromNs: bigint, toNs: bigint): AsyncGenerator<PvHistory> {
    const stop = new AbortController();
    const inFlight: Promise<PvHistory>[] = [];
    let next = 0;
    const launch = () => {
      const pv = pvs[next++] as string;
      const answer = this.fetchHistory(pv, fromNs, toNs, stop.signal);
      answer.catch(() => undefined); // awaited in order below; this only silences early rejections
      inFlight.push(answer);
    };
    try {
      while (inFlight.length < this.concurrency && next < pvs.length) launch();
      const heldBack: PvHistory[] = [];
      let anyFound = false;
      let anySample = false;
      while (inFlight.length > 0) {
        const history = await (inFlight.shift() as Promise<PvHistory>);
        if (next < pvs.length) launch();
        anyFound ||= history.found;
        if (anySample) {
          yield history;
        } else if (history.samples.length > 0) {
          anySample = true;
          yield* heldBack.splice(0);
          yield history;
        } else {
          heldBack.push(history);
        }
      }
      if (!anySample && anyFound) throw new RangeExpired('archiver');
      yield* heldBack;
    } finally {
      stop.abort(new Error('getMany ended'));
    }
  }

  /** One PV with retries; never throws RangeExpired (getData and getMany decide). */
  private fetchHistory(pv: string, fromNs: bigint, toNs: bigint, signal?: AbortSignal): Promise<PvHistory> {
    const url = getDataUrl(this.baseUrl, pv, fromNs, toNs);
    return withRetry(
      async () => {
        signal?.throwIfAborted();
        const answer = await fetchAnswer(url, pv, this.requestTimeoutMs, signal);
        return answer === undefined ? notArchived(pv) : toHistory(pv, parseGetDataAnswer(answer), fromNs, toNs);
      },
      this.retry,
      (error, attempt) => this.onRetry?.(pv, error, attempt),
    );
  }
}
