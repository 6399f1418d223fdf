import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SMALL_DEMO_FACILITY } from '../../../local/demo-facility';

export interface ChildStack {
  child: ChildProcess;
  url: string;
  endpoints: Record<string, string>;
  /** Everything the process printed (for failure messages). */
  output(): string;
  /** SIGKILL, as a power cut or OOM kill would stop it; resolves when it is gone. */
  kill(): Promise<void>;
}

const PROJECT = new URL('../../..', import.meta.url).pathname;

/**
 * `npm start` as a child process (what the README tells a newcomer to run),
 * in `root`'s data/ and state/ directories, so it can be killed for real.
 */
export async function startChildStack(root: string, env: Record<string, string> = {}, options: { preload?: string[]; timeoutMs?: number } = {}): Promise<ChildStack> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  // The demo facility without its big detectors (npm start keeps an existing facility.json).
  const facilityFile = join(env.SFDAQ_STATE_DIR ?? join(root, 'state'), 'facility.json');
  if (!existsSync(facilityFile)) {
    await mkdir(dirname(facilityFile), { recursive: true });
    await writeFile(facilityFile, JSON.stringify(SMALL_DEMO_FACILITY, null, 2) + '\n');
  }
  const preload = (options.preload ?? []).flatMap((file) => ['--import', file]);
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', ...preload, 'local/start.ts'], {
    cwd: PROJECT,
    env: {
      ...process.env,
      PORT: '0',
      SFDAQ_DATA_ROOT: join(root, 'data'),
      SFDAQ_STATE_DIR: join(root, 'state'),
      SFDAQ_DATA_DELAY_SECONDS: '0',
      SFDAQ_DETECTOR_DELAY_SECONDS: '0',
      SFDAQ_LOG_LEVEL: 'silent',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + timeoutMs;
  while (!/stack is up/.test(out) || !/detectorBuffer/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`local stack did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const endpoints: Record<string, string> = {};
  for (const m of out.matchAll(/^\s+(\w+)\s+(http\S+|\/\S+)/gm)) endpoints[m[1]!] = m[2]!;
  return {
    child,
    url: /^\s+broker\s+(\S+)/m.exec(out)![1]!,
    endpoints,
    output: () => out,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
