/**
 * A pgroup on disk with one run written by the broker's own writers and
 * checked by the real check, an in-memory status store, and the deps the
 * monitor's logic takes: the details and quick-look tests read real files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BsreadFileWriter, CamerasFileWriter, DetectorFileWriter } from '../../../lib/adapters/hdf5';
import { LocalPgroupFilesystem } from '../../../lib/adapters/fs/pgroup-fs';
import { apiKeyHash, type FacilityConfig } from '../../../lib/core/facility';
import type { ProgressStore, RunCounter, RunRecord, RunRecordStore, RunRef, WorkflowInput } from '../../../lib/core/ports';
import type { SourceCheck } from '../../../lib/core/check/types';
import type { RunDetailsDeps } from '../../../lib/core/run-details';
import type { RunRequest } from '../../../lib/core/run-request';
import type { RunStatus, SourceResult } from '../../../lib/core/run-status';
import { PgroupReader } from '../../../lib/quicklook/pgroup-reader';
import { checkRun } from '../../../lib/retrieval/check-files';

export const DET = 'JF01T03V01';
export const START = 18_940_426_900;
export const STOP = START + 19; // 20 pulses
export const ALVRA = { sourceIp: '129.129.242.7' };
export const BERNINA = { sourceIp: '127.0.0.1', apiKey: 'bernina-key' };
export const FACILITY: FacilityConfig = {
  beamlines: {
    alvra: { networks: ['129.129.242.0/24'], apiKeySha256: [apiKeyHash('alvra-key')], detectors: { [DET]: {} } },
    bernina: { networks: ['129.129.243.0/24'], apiKeySha256: [apiKeyHash('bernina-key')] },
  },
};

/** Run statuses and records in memory (the S3 adapter's contract). */
export class MemoryRunStore implements RunRecordStore {
  readonly statuses = new Map<string, RunStatus>();
  private readonly records = new Map<string, RunRecord>();
  private key = (b: string, p: string, n: number) => `${b}/${p}/${n}`;
  async putRecord(record: RunRecord) { this.records.set(this.key(record.beamline, record.pgroup, record.run_number), record); }
  async getRecord(b: string, p: string, n: number) { return this.records.get(this.key(b, p, n)); }
  async putStatus(status: RunStatus) { this.statuses.set(this.key(status.beamline, status.pgroup, status.run_number), status); }
  async getStatus(b: string, p: string, n: number) { return this.statuses.get(this.key(b, p, n)); }
  readonly checks = new Map<string, SourceCheck>();
  async putCheck(run: RunRef, source: string, check: SourceCheck) { this.checks.set(`${this.key(run.beamline, run.pgroup, run.run_number)}/${source}`, check); }
  async getCheck(run: RunRef, source: string) { return this.checks.get(`${this.key(run.beamline, run.pgroup, run.run_number)}/${source}`); }
  async listStatuses(b: string, p: string, options: { limit?: number } = {}) {
    const all = [...this.statuses.values()].filter((s) => s.beamline === b && s.pgroup === p).sort((x, y) => x.run_number - y.run_number);
    return options.limit ? all.slice(-options.limit) : all;
  }
}

/** Progress reports in memory (the DynamoDB adapter's contract). */
export class MemoryProgressStore implements ProgressStore {
  readonly reports = new Map<string, Record<string, import('../../../lib/core/run-status').SourceProgress>>();
  private key = (run: RunRef) => `${run.beamline}/${run.pgroup}/${run.run_number}`;
  async report(run: RunRef, source: string, progress: import('../../../lib/core/run-status').SourceProgress) { this.reports.set(this.key(run), { ...this.reports.get(this.key(run)), [source]: progress }); }
  async read(run: RunRef) { return this.reports.get(this.key(run)) ?? {}; }
  async clear(run: RunRef) { this.reports.delete(this.key(run)); }
}

const counter: RunCounter = { next: async () => 1, current: async (beamline) => (beamline === 'alvra' ? 1 : 0), close: async () => undefined, isClosed: async () => false };

export interface Pgroup {
  dataRoot: string;
  raw: string;
  store: MemoryRunStore;
  deps: RunDetailsDeps;
  cleanup(): void;
}

export function makePgroup(): Pgroup {
  const dataRoot = mkdtempSync(path.join(tmpdir(), 'sfdaq-monitor-'));
  const raw = path.join(dataRoot, 'alvra', 'data', 'p12345', 'raw');
  mkdirSync(path.join(raw, '.daq'), { recursive: true });
  mkdirSync(path.join(dataRoot, 'bernina', 'data', 'p12345', 'raw'), { recursive: true }); // bernina has a pgroup of that name too
  const store = new MemoryRunStore();
  const deps: RunDetailsDeps = {
    facility: FACILITY,
    fs: new LocalPgroupFilesystem(dataRoot),
    counter,
    store,
    progress: new MemoryProgressStore(),
    files: new PgroupReader(dataRoot),
    now: () => new Date(),
  };
  return { dataRoot, raw, store, deps, cleanup: () => rmSync(dataRoot, { recursive: true, force: true }) };
}

export const ids = (from: number, to: number, skip: (p: number) => boolean = () => false): bigint[] => {
  const out: bigint[] = [];
  for (let p = from; p <= to; p++) if (!skip(p)) out.push(BigInt(p));
  return out;
};

const GENERAL = { created: '2020-05-27 18:06:39.772622', instrument: 'alvra', process: 'test', user: 'p12345' };

/**
 * Run `run` of p12345 as the broker leaves it: record, files, logs, a checked
 * status. SAR:B lacks pulses START+3, START+4 and START+10; the rest is complete.
 */
export async function writeRun(pg: Pgroup, run: number, options: { longChannel?: number; modules?: number } = {}): Promise<{ input: WorkflowInput; status: RunStatus }> {
  const label = `run_${String(run).padStart(6, '0')}`;
  const dir = path.join(pg.raw, 'scan1');
  mkdirSync(dir, { recursive: true });
  const request: RunRequest = {
    pgroup: 'p12345', start_pulseid: START, stop_pulseid: STOP, rate_multiplicator: 1, directory_name: 'scan1',
    channels_list: ['SAR:A', 'SAR:B', 'SAR:TEXT'], camera_list: ['CAM:FPICTURE'], pv_list: ['PV:X'], detectors: { [DET]: {} },
  } as RunRequest;
  const record = { ...request, beamline: 'alvra', run_number: run, request_time: '2026-11-30 10:00:00.000000' };
  writeFileSync(path.join(pg.raw, '.daq', `${label}.json`), JSON.stringify(record));
  const files = Object.fromEntries(['BSREAD', 'CAMERAS', 'PVCHANNELS', DET].map((s) => [s, path.join(dir, `${label}.${s}.h5`)]));
  const input: WorkflowInput = { beamline: 'alvra', pgroup: 'p12345', run_number: run, request, output_directory: dir, files, request_time_ms: Date.parse('2026-11-30T10:00:00Z') };

  const bs = await BsreadFileWriter.create(files.BSREAD!, GENERAL);
  bs.addChannel('SAR:A', { dtype: 'float64', shape: [] });
  bs.append('SAR:A', ids(START, STOP).map((p) => ({ pulseId: p, timestampNs: p * 10_000_000n, value: Number(p - BigInt(START)) })));
  bs.addChannel('SAR:B', { dtype: 'uint16', shape: [4] });
  bs.append('SAR:B', ids(START, STOP, (p) => p === START + 3 || p === START + 4 || p === START + 10).map((p) => ({ pulseId: p, timestampNs: p * 10_000_000n, value: [1, 2, 3, Number(p % 10n)] })));
  bs.addChannel('SAR:TEXT', { dtype: 'string', shape: [] });
  bs.append('SAR:TEXT', ids(START, STOP).map((p) => ({ pulseId: p, timestampNs: p * 10_000_000n, value: 'hello' })));
  if (options.longChannel) {
    request.channels_list.push('SAR:LONG');
    bs.addChannel('SAR:LONG', { dtype: 'float64', shape: [] });
    bs.append('SAR:LONG', ids(START, START + options.longChannel - 1).map((p) => ({ pulseId: p, timestampNs: p, value: Math.sin(Number(p) / 20) })));
  }
  bs.close();

  const cams = await CamerasFileWriter.create(files.CAMERAS!);
  cams.addCamera('CAM:FPICTURE', { dtype: 'uint16', shape: [64, 96] });
  for (const p of ids(START, STOP)) {
    const pixels = new Uint16Array(64 * 96).map((_, i) => (i % 96) * 10 + Number(p % 5n));
    cams.appendImage('CAM:FPICTURE', p, p * 10_000_000n, new Uint8Array(pixels.buffer));
  }
  cams.close();

  const pv = await BsreadFileWriter.create(files.PVCHANNELS!, GENERAL);
  pv.addChannel('PV:X', { dtype: 'float64', shape: [] });
  pv.append('PV:X', [{ pulseId: BigInt(START - 500), timestampNs: 1n, value: 3e-7 }, { pulseId: BigInt(START + 3), timestampNs: 2n, value: 4e-7 }]);
  pv.close();

  const modules = options.modules ?? 3;
  const det = await DetectorFileWriter.create(files[DET]!, { detector: DET, modules, frames: 20 });
  ids(START, STOP).forEach((p, i) => {
    const pixels = det.frameBuffer();
    pixels.fill(0);
    const view = new Uint16Array(pixels.buffer, pixels.byteOffset, pixels.length / 2);
    view[i * 1024 + 100] = 0xc000 | 5000; // a hit (gain bits set), moving down the rows
    det.writeFrame(i, { pixels, pulseId: p, frameIndex: p, daqRec: 0, isGoodFrame: true });
  });
  det.close();

  const results: SourceResult[] = [
    { source: 'BSREAD', kind: 'data', file: files.BSREAD!, state: 'done' },
    { source: 'CAMERAS', kind: 'image', file: files.CAMERAS!, state: 'done' },
    { source: 'PVCHANNELS', kind: 'archiver', file: files.PVCHANNELS!, state: 'done' },
    { source: DET, kind: 'detector', file: files[DET]!, state: 'done' },
  ];
  const checked = await checkRun(input, results, pg.dataRoot);
  const status: RunStatus = { beamline: 'alvra', pgroup: 'p12345', run_number: run, state: 'done_with_problems', updated: '2026-11-30T10:00:12.500Z', sources: checked };
  await pg.store.putStatus(status);
  return { input, status };
}
