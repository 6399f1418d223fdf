/**
 * The data buffer (BS channels) and image buffer (cameras) branch of a run:
 * Data API 3 -> `run_NNNNNN.BSREAD.h5` or `run_NNNNNN.CAMERAS.h5`, plus its log.
 *
 * Choices where the spec is silent:
 * - One retry layer. The pulse map is asked once per attempt (pulseMapTries 1)
 *   and the whole attempt (pulse map, query, request status, file) is retried
 *   by withRetry(endpoints.retry), so every retry, a pulse not yet known (204)
 *   included, is logged and counted. An attempt restarts the file from scratch.
 * - Both buffers map pulse ids to times through the data buffer's pulse map
 *   (one facility clock; the image buffer's times are the same pulses').
 * - Rows are every event the buffer sends for the rate-widened range (see
 *   rate.ts): nothing is filtered, so a 100 Hz channel at r = 10 also holds
 *   the widened edge pulses; judging rows is the check's business.
 * - A BSREAD channel without data gets its five datasets with zero rows as
 *   float64 scalars (no header told its type). A camera without data gets no
 *   group (Data API 3 layout), but is in the result with 0 rows.
 * - The deadline aborts the HTTP calls at once; a retry sleep already begun
 *   (withRetry's, at most retry.maxDelayMs) runs out first.
 *
 * Also exported for the archiver retriever: the result type and the
 * deadline/log helpers shared by both.
 */
import { performance } from 'node:perf_hooks';
import { DataApiClient, type ChannelHeader, type DataApiBatch, type EventRun, type QueryReport } from '../adapters/buffers/data-api';
import { withRetry } from '../adapters/buffers/retry';
// The writers' own modules, not the hdf5 index: this retriever needs the engine, never h5wasm.
import { BsreadFileWriter, type ChannelSpec } from '../adapters/hdf5/bsread-writer';
import { CamerasFileWriter } from '../adapters/hdf5/cameras-writer';
import { BufferProtocolError, BufferUnavailable } from '../core/errors';
import { bsreadGeneral } from './general';
import { writeOutputAtomically } from './output-file';
import { expectedPulseIds, queryRange } from '../core/rate';
import { RunLog } from './run-log';
import type { BufferEndpoints, ProgressSink, RetrieverInput, SourceResult } from './types';

/** What one channel (camera, PV) got in the file. */
export interface ChannelRows {
  rows: number;
  /** Pulse id of the first and last row written (absent with 0 rows). */
  firstPulseId?: number;
  lastPulseId?: number;
  /** The buffer does not know the channel (Data API channel_not_found; archiver "PV not archived"). */
  notFound?: boolean;
}

/**
 * A retriever's result: SourceResult plus, per requested channel/camera/PV
 * (by name, the user's order), the rows written; empty when the branch failed
 * (no file was written). `retries`: transient faults retried.
 */
export interface BufferSourceResult extends SourceResult {
  channels: Record<string, ChannelRows>;
  retries: number;
}

/** The overall deadline of a retriever ran out. */
export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
  constructor(readonly ms: number) {
    super(`retrieval did not finish within ${ms / 1000} s`);
  }
}

/**
 * Run `work` with a signal that aborts after `ms`; a failure once the signal
 * fired is reported as DeadlineExceeded, whatever error the abort caused.
 *
 * @example
 *   await withDeadline(600_000, (signal) => client.pulseTimestampNs(p, signal));
 */
export async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DeadlineExceeded(ms)), ms);
  try {
    return await work(controller.signal);
  } catch (error) {
    throw controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    clearTimeout(timer);
  }
}

/** The message of anything thrown. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A RunLog written in order without making the retrieval wait on each line or
 * fail because of it (a log that cannot be written is reported on stderr).
 *
 * @example
 *   const log = new LogQueue(await RunLog.open(dataRoot, input, 'BSREAD'));
 *   log.say('asked ...'); await log.flushed();
 */
export class LogQueue {
  private chain: Promise<void> = Promise.resolve();
  constructor(readonly log: RunLog) {}

  say(...lines: string[]): void {
    this.chain = this.chain.then(() => this.log.lines(lines)).catch((error: unknown) => {
      console.error(`cannot write ${this.log.path}: ${reasonOf(error)}`);
    });
  }

  flushed(): Promise<void> {
    return this.chain;
  }
}

/** Elapsed seconds since `t0` (performance.now()), for logs. */
export function secondsSince(t0: number): string {
  return `${((performance.now() - t0) / 1000).toFixed(2)} s`;
}

/** One log line per channel: its rows and pulse ids, or why it has none. */
export function describeRows(what: string, name: string, c: ChannelRows, whyEmpty: string): string {
  if (c.rows === 0) return `${what} ${name}: 0 rows (${c.notFound ? 'not found' : whyEmpty})`;
  return `${what} ${name}: ${rowsText(c)}`;
}

/** `3 rows, pulse ids 100..102` or `1 row, pulse id 100`. */
export function rowsText(c: ChannelRows): string {
  return c.rows === 1 ? `1 row, pulse id ${c.firstPulseId}` : `${c.rows} rows, pulse ids ${c.firstPulseId}..${c.lastPulseId}`;
}

/** Counts rows per channel as they are written. */
export class RowTally {
  readonly channels: Record<string, ChannelRows> = {};
  constructor(names: readonly string[]) {
    for (const name of names) this.channels[name] = { rows: 0 };
  }

  add(name: string, pulseId: bigint): void {
    const c = this.channels[name];
    if (!c) return;
    const p = Number(pulseId);
    c.rows += 1;
    c.firstPulseId ??= p;
    c.lastPulseId = p;
  }

  /** `count` rows whose first and last pulse ids are given (a run of events). */
  addRun(name: string, count: number, firstPulseId: bigint, lastPulseId: bigint): void {
    const c = this.channels[name];
    if (!c || count === 0) return;
    c.rows += count;
    c.firstPulseId ??= Number(firstPulseId);
    c.lastPulseId = Number(lastPulseId);
  }

  total(): number {
    return Object.values(this.channels).reduce((sum, c) => sum + c.rows, 0);
  }
}

/** `BACKEND/NAME` -> `NAME`: headers, and so the files, name channels without their backend. */
const plainName = (channel: string): string => channel.slice(channel.indexOf('/') + 1);

/** How one file kind takes the streamed items. */
interface EventSink {
  header(header: ChannelHeader): void;
  /** A run of one channel's events (valid during the call only). */
  events(run: EventRun): void;
  /** Complete the file (channels without data) and close it. */
  close(): void;
  /** Close after a failure, ignoring further errors (the temp file is deleted anyway). */
  abandon(): void;
}

/** Zero-row channels: no header said their type. */
const NO_DATA_SPEC: ChannelSpec = { dtype: 'float64', shape: [] };

class BsreadSink implements EventSink {
  private readonly added = new Map<string, ChannelHeader>();
  /** The channel the buffer is sending: the Data API sends one channel after the other. */
  private streaming: string | undefined;
  constructor(private readonly writer: BsreadFileWriter, private readonly tally: RowTally, private readonly ignored: Set<string>) {}

  header(h: ChannelHeader): void {
    // The previous channel is complete: its partial chunks go to the file, its buffers are reused.
    if (this.streaming !== undefined) this.writer.finishChannel(this.streaming);
    this.streaming = undefined;
    if (!(h.name in this.tally.channels)) return void this.ignored.add(h.name);
    if (h.dtype === undefined) return; // an older server's "no data" header
    const known = this.added.get(h.name);
    if (known) sameLayout(known, h, 'data');
    else {
      this.writer.addChannel(h.name, { dtype: h.dtype, shape: h.shape, byteOrder: h.byteOrder });
      this.added.set(h.name, h);
    }
    this.streaming = h.name;
  }

  events(run: EventRun): void {
    const name = run.header.name;
    if (!this.added.has(name)) return;
    this.writer.appendColumns(name, run, run.header.compression === 'none' ? 'raw' : 'bitshuffle-lz4');
    this.tally.addRun(name, run.count, run.pulseIds[0]!, run.pulseIds[run.count - 1]!);
  }

  close(): void {
    for (const name of Object.keys(this.tally.channels)) if (!this.added.has(name)) this.writer.addChannel(name, NO_DATA_SPEC);
    this.writer.close();
  }

  abandon(): void {
    try {
      this.writer.abandon();
    } catch {
      // already failing
    }
  }
}

class CamerasSink implements EventSink {
  private readonly added = new Map<string, ChannelHeader>();
  constructor(private readonly writer: CamerasFileWriter, private readonly tally: RowTally, private readonly ignored: Set<string>) {}

  header(h: ChannelHeader): void {
    if (!(h.name in this.tally.channels)) return void this.ignored.add(h.name);
    if (h.dtype === undefined) return;
    const known = this.added.get(h.name);
    if (known) return sameLayout(known, h, 'image');
    if (h.dtype === 'string' || h.shape.length !== 2) {
      throw new BufferProtocolError('image', `camera ${h.name} is not an image: ${h.dtype} of shape [${h.shape.join(', ')}]`);
    }
    this.writer.addCamera(h.name, { dtype: h.dtype, shape: [h.shape[0]!, h.shape[1]!], byteOrder: h.byteOrder });
    this.added.set(h.name, h);
  }

  events(run: EventRun): void {
    const name = run.header.name;
    if (!this.added.has(name)) return;
    const compressed = run.header.compression !== 'none';
    for (let i = 0; i < run.count; i++) {
      const value = run.bytes.subarray(run.starts[i]!, run.ends[i]!);
      // As received: a compressed image becomes its HDF5 chunk unchanged; an uncompressed one is compressed once.
      if (compressed) this.writer.appendCompressed(name, run.pulseIds[i]!, run.timestamps[i]!, value);
      else this.writer.appendImage(name, run.pulseIds[i]!, run.timestamps[i]!, value);
    }
    this.tally.addRun(name, run.count, run.pulseIds[0]!, run.pulseIds[run.count - 1]!);
  }

  close(): void {
    this.writer.close();
  }

  abandon(): void {
    try {
      this.writer.close();
    } catch {
      // already failing
    }
  }
}

/** A channel's second header must describe the same layout as its first. */
function sameLayout(a: ChannelHeader, b: ChannelHeader, buffer: string): void {
  if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join() || a.byteOrder !== b.byteOrder) {
    throw new BufferProtocolError(buffer, `channel ${a.name} changed its type within the query (${a.dtype} [${a.shape}] then ${b.dtype} [${b.shape}])`);
  }
}

/** The fixed facts of one branch. */
function branchOf(input: RetrieverInput, endpoints: BufferEndpoints, kind: 'data' | 'image') {
  return kind === 'data'
    ? { source: 'BSREAD', what: 'channel', names: input.request.channels_list, url: endpoints.dataBufferUrl, backend: 'sf-databuffer' as const }
    : { source: 'CAMERAS', what: 'camera', names: input.request.camera_list, url: endpoints.imageBufferUrl, backend: 'sf-imagebuffer' as const };
}

/**
 * Retrieve the run's BS channels (`kind` 'data': channels_list from the data
 * buffer into `input.files.BSREAD`, BSREAD layout) or cameras ('image':
 * camera_list from the image buffer into `input.files.CAMERAS`, Data API 3
 * layout), streaming each event into the file as it arrives. A buffer still
 * unreachable after this attempt's retries throws BufferUnavailable (the
 * workflow retries the source); other failures come back as state 'failed'
 * with the reason, and then no file exists under the final name. Logs to `raw/.daq/run_NNNNNN.<BSREAD|CAMERAS>.log`.
 *
 * @example
 *   const result = await retrieveFromDataApi(input, endpoints, '/sf', 'data');
 *   // { source: 'BSREAD', kind: 'data', file: '/sf/alvra/data/p12345/raw/run_000012.BSREAD.h5', state: 'done',
 *   //   channels: { 'SARFE10-PBPG050:HAMP-INTENSITY-CAL': { rows: 1001, firstPulseId: 18940426916, lastPulseId: 18940427916 } }, retries: 0 }
 */
export async function retrieveFromDataApi(
  input: RetrieverInput,
  endpoints: BufferEndpoints,
  dataRoot: string,
  kind: 'data' | 'image',
  progress?: ProgressSink,
): Promise<BufferSourceResult> {
  const t0 = performance.now();
  const { source, what, names: asked, url, backend } = branchOf(input, endpoints, kind);
  const file = input.files[source] ?? '';
  let retries = 0;
  const failed = (reason: string): BufferSourceResult => ({ source, kind, file, state: 'failed', reason, channels: {}, retries });

  let log: LogQueue;
  try {
    log = new LogQueue(await RunLog.open(dataRoot, input, source));
  } catch (error) {
    return failed(`cannot open the ${source} log: ${reasonOf(error)}`);
  }
  if (!file) {
    log.say(`failed: the run has no ${source} output file`);
    await log.flushed();
    return failed(`the run has no ${source} output file`);
  }

  const names = [...new Set(asked.map(plainName))];
  const { start_pulseid: start, stop_pulseid: stop, rate_multiplicator: r } = input.request;
  const range = queryRange(start, stop, r);
  const expected = expectedPulseIds(start, stop, r);
  log.say(
    `${source} retrieval of run ${input.run_number}: ${names.length} ${what}s, pulses ${start}..${stop} at rate_multiplicator ${r} ` +
      `(${expected.count} expected pulses), querying ${range.start}..${range.stop}`,
    `from ${url} (backend ${backend}; pulse map of ${endpoints.dataBufferUrl}) into ${file}`,
    `${what}s: ${names.join(', ') || '(none)'}`,
  );

  const client = new DataApiClient({
    baseUrl: url,
    backend,
    sendDefaultBackend: kind === 'data',
    retry: endpoints.retry,
    pulseMapTries: 1,
    pulseMapBaseUrl: endpoints.dataBufferUrl,
    pulseMapBackend: 'sf-databuffer',
  });

  const attempt = (signal: AbortSignal) =>
    writeOutputAtomically(dataRoot, input, file, async (temp) => {
      signal.throwIfAborted();
      const tally = new RowTally(names);
      const ignored = new Set<string>();
      const sink: EventSink =
        kind === 'data'
          ? new BsreadSink(await BsreadFileWriter.create(temp, bsreadGeneral(input), bsWriterOptions(input.request, range)), tally, ignored)
          : new CamerasSink(await CamerasFileWriter.create(temp), tally, ignored);
      try {
        // Rows come for every pulse the buffer has in the queried range (at any rate): that is what "all written" means here.
        const counted = progress ? progressCounter(progress, names.length, range.stop - range.start + 1) : undefined;
        const report = names.length > 0 ? await stream(client.retrievePulseBatches(names, BigInt(range.start), BigInt(range.stop), signal), sink, counted) : undefined;
        sink.close();
        for (const name of report?.channelsNotFound ?? []) if (tally.channels[name]) tally.channels[name].notFound = true;
        return { report, tally, ignored };
      } catch (error) {
        sink.abandon();
        throw error;
      }
    });

  try {
    const { report, tally, ignored } = await withDeadline(endpoints.deadlineMs, (signal) =>
      withRetry(
        () => attempt(signal),
        endpoints.retry,
        (error, n, delayMs) => {
          retries++;
          log.say(`attempt ${n} failed: ${error.message}; retrying in ${delayMs} ms (the file restarts from scratch)`);
        },
      ),
    );
    const lines = report
      ? [`query done: request ${report.requestId}${report.warnCount ? `, ${report.warnCount} warnings` : ''}`]
      : ['no query: no channel was asked for'];
    if (report && report.notFoundCount > 0) {
      lines.push(`not found in the ${kind} buffer: ${report.channelsNotFound.join(', ') || `${report.notFoundCount} of the ${what}s (the server did not name them)`}`);
    }
    if (ignored.size > 0) lines.push(`ignored ${what}s the buffer sent but nobody asked for: ${[...ignored].join(', ')}`);
    const whyEmpty = kind === 'image' ? 'no data in the range; no group in the file' : 'no data in the range';
    for (const name of names) lines.push(describeRows(what, name, tally.channels[name]!, whyEmpty));
    lines.push(`done in ${secondsSince(t0)}: ${tally.total()} rows, ${retries} ${retries === 1 ? 'retry' : 'retries'}, ${file}`);
    log.say(...lines);
    await log.flushed();
    return { source, kind, file, state: 'done', channels: tally.channels, retries };
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

/**
 * The BSREAD writer's options for a request: compressed unless `bs_compression` is false; 1-D chunks
 * sized for the pulses queried (the rate-widened range: a 100 Hz channel has a row per pulse of it).
 */
export function bsWriterOptions(request: RetrieverInput['request'], range: { start: number; stop: number }): { compression: boolean; expectedRows: number } {
  return { compression: request.bs_compression !== false, expectedRows: range.stop - range.start + 1 };
}

/**
 * Progress of a Data API source: rows written over all channels, as pulses
 * (rows / channels: the buffer streams one channel after the other), and the
 * value bytes received.
 */
function progressCounter(progress: ProgressSink, channels: number, expectedPulses: number): (rows: number, bytes: number) => void {
  let rows = 0;
  let bytes = 0;
  return (n, b) => {
    rows += n;
    bytes += b;
    progress({ pulses_written: Math.floor(rows / Math.max(1, channels)), pulses_expected: expectedPulses, bytes_written: bytes });
  };
}

/** Feed the query's batches to the sink; the query's report at the end. */
async function stream(query: AsyncGenerator<DataApiBatch, QueryReport>, sink: EventSink, counted?: (rows: number, bytes: number) => void): Promise<QueryReport> {
  let done = false;
  try {
    let next = await query.next();
    for (; !next.done; next = await query.next()) {
      let rows = 0;
      for (const item of next.value.items) {
        if (item.kind === 'header') sink.header(item.header);
        else {
          sink.events(item);
          rows += item.count;
        }
      }
      // The bytes as received (compressed streams included): the body's size.
      counted?.(rows, next.value.bytes);
    }
    done = true;
    return next.value;
  } finally {
    // A sink that threw leaves the query open: close it, which frees the socket.
    if (!done) await query.return(undefined as never).catch(() => undefined);
  }
}
