/**
 * The archiver branch of a run: EPICS Archiver Appliance -> `run_NNNNNN.PVCHANNELS.h5`
 * in the BSREAD layout (one group per PV under /data, a row per archived
 * sample), plus `raw/.daq/run_NNNNNN.PVCHANNELS.log`.
 *
 * Choices where the spec is silent:
 * - Times: the rate-widened pulses start and stop + 1 are mapped through the
 *   data buffer's pulse map (the same times the BSREAD file was queried with,
 *   so PV rows line up with BS rows); the range asked is [ts(start), ts(stop + 1) - 1]
 *   (the appliance's `to` is inclusive). When the pulse map cannot answer
 *   (data buffer down, pulse unknown) the archiver branch does not fail with
 *   it: it falls back to the facility clock (endpoints.clock) and logs so.
 * - Rows: every sample the appliance answered: the one in force at the start
 *   (before the range), those in range, and those after `to` that its
 *   millisecond rounding returned (counted "after" in the log).
 * - Types: numbers -> float64; strings -> UTF-8 strings (numbers of a PV that
 *   also sent strings are written as text); waveforms -> float64[n] or
 *   string[n] with n the longest sample, shorter samples padded with NaN / ''
 *   (logged). A PV with no sample: zero rows, float64 scalar.
 * - Retries: the archiver client retries each PV (endpoints.retry); there is
 *   no second, whole-branch retry layer. The deadline stops waiting at once.
 */
import { performance } from 'node:perf_hooks';
import { DataApiClient } from '../adapters/buffers/data-api';
import { ArchiverClient } from '../adapters/buffers/archiver/client';
import { isHistoryExpired } from '../adapters/buffers/archiver/history';
import { pulseIdForSample } from '../adapters/buffers/archiver/pulse';
import type { PvHistory, PvValue } from '../adapters/buffers/archiver/types';
import { BsreadFileWriter, type ChannelSpec, type RowValue } from '../adapters/hdf5/bsread-writer';
import { FacilityClock, formatDataApiDate } from '../core/clock';
import { BufferProtocolError, BufferUnavailable } from '../core/errors';
import {
  LogQueue,
  reasonOf,
  RowTally,
  rowsText,
  secondsSince,
  withDeadline,
  type BufferSourceResult,
} from './data-api-retriever';
import { bsreadGeneral } from './general';
import { writeOutputAtomically } from './output-file';
import { queryRange, type PulseRange } from '../core/rate';
import { RunLog } from './run-log';
import type { BufferEndpoints, ProgressSink, RetrieverInput } from './types';

const SOURCE = 'PVCHANNELS';

/** How a PV's samples are stored: the dataset layout and each value's conversion. */
interface PvLayout {
  spec: ChannelSpec;
  toRow(value: PvValue): RowValue;
  /** Something worth a log line (padding, mixed types). */
  note?: string;
}

/**
 * The layout of a PV from all its samples (held in memory anyway: the
 * archiver client parses one answer whole).
 *
 * @example
 *   pvLayout([{ value: [1, 2] }, { value: [3] }]).spec // { dtype: 'float64', shape: [2] }, [3] padded to [3, NaN]
 */
export function pvLayout(samples: readonly { value: PvValue }[]): PvLayout {
  if (samples.length === 0) return { spec: { dtype: 'float64', shape: [] }, toRow: (v) => v as RowValue };
  const arrays = samples.some((s) => Array.isArray(s.value));
  const texts = samples.some((s) => (Array.isArray(s.value) ? s.value.some((e) => typeof e === 'string') : typeof s.value === 'string'));
  const mixed = texts && samples.some((s) => (Array.isArray(s.value) ? s.value.some((e) => typeof e === 'number') : typeof s.value === 'number'));
  const mixedNote = mixed ? 'numbers and strings mixed: numbers written as text' : undefined;
  if (!arrays) {
    return texts
      ? { spec: { dtype: 'string', shape: [] }, toRow: (v) => String(v), note: mixedNote }
      : { spec: { dtype: 'float64', shape: [] }, toRow: (v) => v as number };
  }
  const lengths = samples.map((s) => (Array.isArray(s.value) ? s.value.length : 1));
  const n = Math.max(1, ...lengths);
  const padded = lengths.some((l) => l !== n);
  const notes = [mixedNote, padded ? `waveform lengths ${Math.min(...lengths)}..${Math.max(...lengths)}: shorter samples padded to ${n} with ${texts ? "''" : 'NaN'}` : undefined];
  const fill: string | number = texts ? '' : Number.NaN;
  return {
    spec: { dtype: texts ? 'string' : 'float64', shape: [n] },
    toRow: (v) => {
      const items: (string | number)[] = Array.isArray(v) ? [...v] : [v];
      while (items.length < n) items.push(fill);
      return (texts ? items.map(String) : items) as RowValue;
    },
    note: notes.filter(Boolean).join('; ') || undefined,
  };
}

/** [fromNs, toNs] (inclusive) of the pulses, and how they were found. */
async function timeRange(range: PulseRange, endpoints: BufferEndpoints, signal: AbortSignal, log: LogQueue) {
  const map = new DataApiClient({
    baseUrl: endpoints.dataBufferUrl,
    backend: 'sf-databuffer',
    sendDefaultBackend: true,
    retry: endpoints.retry,
    pulseMapTries: endpoints.retry.attempts,
  });
  try {
    const [from, end] = await Promise.all([map.pulseTimestampNs(BigInt(range.start), signal), map.pulseTimestampNs(BigInt(range.stop + 1), signal)]);
    return { fromNs: from, toNs: end - 1n, via: `the pulse map of ${endpoints.dataBufferUrl}` };
  } catch (error) {
    if (!(error instanceof BufferUnavailable || error instanceof BufferProtocolError)) throw error;
    log.say(`pulse map unavailable (${error.message}): times from the facility clock instead`);
    const clock = new FacilityClock(endpoints.clock);
    return { fromNs: clock.timestampNs(BigInt(range.start)), toNs: clock.timestampNs(BigInt(range.stop + 1)) - 1n, via: 'the facility clock' };
  }
}

/** `p`, or signal.reason as soon as the signal fires (p keeps running). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (error: unknown) => (signal.removeEventListener('abort', onAbort), reject(error as Error)),
    );
  });
}

/** The log line of one PV. */
function describePv(h: PvHistory, tally: RowTally, note: string | undefined): string {
  if (!h.found) return `PV ${h.pv}: PV not archived, 0 rows`;
  if (isHistoryExpired(h)) return `PV ${h.pv}: no sample at all (its history expired from the archiver), 0 rows`;
  const { before, inRange, after, dropped } = h.counts;
  const rows = rowsText(tally.channels[h.pv]!);
  return `PV ${h.pv}: ${before} / ${inRange} / ${after} samples (before / in range / after)${dropped ? `, ${dropped} dropped (not after the previous)` : ''}; ${rows}${note ? `; ${note}` : ''}`;
}

/**
 * Retrieve `request.pv_list` from the archiver into `input.files.PVCHANNELS`.
 * An archiver still unreachable after this attempt's retries throws
 * BufferUnavailable (the workflow retries the source); other failures
 * (RangeExpired, the deadline) come back as state 'failed' with the reason,
 * and then no file exists under the final name.
 *
 * @example
 *   const result = await retrieveFromArchiver(input, endpoints, '/sf');
 *   result.channels['SARFE10-OPSH044:PRESSURE'] // { rows: 31, firstPulseId: ..., lastPulseId: ... }
 */
export async function retrieveFromArchiver(input: RetrieverInput, endpoints: BufferEndpoints, dataRoot: string, progress?: ProgressSink): Promise<BufferSourceResult> {
  const t0 = performance.now();
  const file = input.files[SOURCE] ?? '';
  let retries = 0;
  const failed = (reason: string): BufferSourceResult => ({ source: SOURCE, kind: 'archiver', file, state: 'failed', reason, channels: {}, retries });

  let log: LogQueue;
  try {
    log = new LogQueue(await RunLog.open(dataRoot, input, SOURCE));
  } catch (error) {
    return failed(`cannot open the ${SOURCE} log: ${reasonOf(error)}`);
  }
  if (!file) {
    log.say(`failed: the run has no ${SOURCE} output file`);
    await log.flushed();
    return failed(`the run has no ${SOURCE} output file`);
  }

  const pvs = input.request.pv_list;
  const { start_pulseid: start, stop_pulseid: stop, rate_multiplicator: r } = input.request;
  const range = queryRange(start, stop, r);
  const clock = new FacilityClock(endpoints.clock);
  log.say(
    `${SOURCE} retrieval of run ${input.run_number}: ${pvs.length} PVs, pulses ${start}..${stop} at rate_multiplicator ${r}, querying ${range.start}..${range.stop}`,
    `from ${endpoints.archiverUrl} into ${file}`,
    `PVs: ${pvs.join(', ') || '(none)'}`,
  );
  const archiver = new ArchiverClient({
    baseUrl: endpoints.archiverUrl,
    retry: endpoints.retry,
    requestTimeoutMs: Math.min(60_000, endpoints.deadlineMs),
    onRetry: (pv, error, attempt) => {
      retries++;
      log.say(`PV ${pv}: attempt ${attempt} failed: ${error.message}; retrying`);
    },
  });

  try {
    const tally = await withDeadline(endpoints.deadlineMs, async (signal) => {
      const { fromNs, toNs, via } = await timeRange(range, endpoints, signal, log);
      log.say(`times ${formatDataApiDate(fromNs)} .. ${formatDataApiDate(toNs)} (inclusive) from ${via}`);
      return writeOutputAtomically(dataRoot, input, file, async (temp) => {
        const tally = new RowTally(pvs);
        // Compressed as the BSREAD file (bs_compression); the chunks are sized per PV from its samples.
        const writer = await BsreadFileWriter.create(temp, bsreadGeneral(input), { compression: input.request.bs_compression !== false });
        const histories = archiver.getMany(pvs, fromNs, toNs);
        let pvsDone = 0;
        try {
          for (let next = await abortable(histories.next(), signal); !next.done; next = await abortable(histories.next(), signal)) {
            const h = next.value;
            const layout = pvLayout(h.samples);
            writer.addChannel(h.pv, layout.spec, { expectedRows: h.samples.length });
            for (const s of h.samples) {
              const pulseId = pulseIdForSample(clock, s.timestampNs);
              writer.append(h.pv, [{ pulseId, timestampNs: s.timestampNs, value: layout.toRow(s.value) }]);
              tally.add(h.pv, pulseId);
            }
            writer.finishChannel(h.pv);
            if (!h.found) tally.channels[h.pv]!.notFound = true;
            log.say(describePv(h, tally, layout.note));
            // PVs are archived on change, so "pulses" here are samples; the items are the PVs.
            pvsDone++;
            progress?.({ pulses_written: tally.total(), pulses_expected: 0, bytes_written: 0, items_done: pvsDone, items_total: pvs.length });
          }
          writer.close();
          return tally;
        } catch (error) {
          void histories.return(undefined).catch(() => undefined); // ends the in-flight fetches once the current one settles
          try {
            writer.abandon();
          } catch {
            // already failing; the temp file is deleted
          }
          throw error;
        }
      });
    });
    log.say(`done in ${secondsSince(t0)}: ${tally.total()} rows, ${retries} ${retries === 1 ? 'retry' : 'retries'}, ${file}`);
    await log.flushed();
    return { source: SOURCE, kind: 'archiver', file, state: 'done', channels: tally.channels, retries };
  } catch (error) {
    const reason = reasonOf(error);
    if (error instanceof BufferUnavailable) {
      // Transient and still failing after this attempt's own retries: the workflow's Retry (with backoff
      // over minutes) runs the source again, so a buffer restart does not fail it for good.
      log.say(`attempt failed after ${secondsSince(t0)} (${retries} ${retries === 1 ? 'retry' : 'retries'}): ${reason}; no file written; the workflow will retry`);
      await log.flushed();
      throw error;
    }
    log.say(`failed after ${secondsSince(t0)} (${retries} ${retries === 1 ? 'retry' : 'retries'}): ${reason}; no file written`);
    await log.flushed();
    return failed(reason);
  }
}
