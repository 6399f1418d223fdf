import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMALL_DEMO_FACILITY } from '../../local/demo-facility';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack';

export interface TestStack extends LocalStack {
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }>;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }>;
  raw: string;
  restart(): Promise<TestStack>;
  destroy(): Promise<void>;
}

/** A local stack in temp directories on free ports; `restart()` keeps its state. */
export async function startTestStack(options: LocalStackOptions = {}, dirs?: { root: string }): Promise<TestStack> {
  process.env.SFDAQ_LOG_LEVEL = 'silent';
  const root = dirs?.root ?? (await mkdtemp(join(tmpdir(), 'sfdaq-test-')));
  const stack = await startLocalStack({
    port: 0,
    dataRoot: join(root, 'data'),
    stateDir: join(root, 'state'),
    delays: { dataSeconds: 0, detectorSeconds: 0 },
    retryTimeScale: 0.001,
    logSink: () => undefined,
    asyncRetryDelaysMs: [50, 100],
    // Gain and pedestal files only where a test converts or takes pedestals (they pass calibration: true).
    calibration: false,
    // The demo's small detectors only, unless a test asks for more.
    facility: SMALL_DEMO_FACILITY,
    ...options,
    env: { SFDAQ_LOG_LEVEL: 'silent', ...options.env },
  });
  const call = async (path: string, init: RequestInit) => {
    const res = await fetch(`${stack.url}${path}`, init);
    const text = await res.text();
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new Error(`${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    return { status: res.status, json };
  };
  const test: TestStack = Object.assign(stack, {
    raw: join(root, 'data', 'alvra', 'data', 'p12345', 'raw'),
    post: (path: string, body: unknown, headers: Record<string, string> = {}) =>
      call(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
    get: (path: string, headers: Record<string, string> = {}) => call(path, { headers }),
    restart: async () => {
      await stack.close();
      return startTestStack(options, { root });
    },
    destroy: async () => {
      await stack.close();
      await rm(root, { recursive: true, force: true });
    },
  });
  return test;
}

/** The seed's request (pulse ids from the seed's bookkeeping example are long expired; accept does not care). */
export const seedRequest = (extra: Record<string, unknown> = {}) => ({
  pgroup: 'p12345',
  start_pulseid: 11884948775,
  stop_pulseid: 11884949774,
  channels_list: ['SAR-CVME-TIFALL5:EvtSet', 'SAR-CVME-TIFALL4:EvtSet'],
  ...extra,
});
