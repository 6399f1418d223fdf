import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Run the real `sfdaq` binary as users do (a child process), asynchronously:
 * the local stack answers from the test's own process, so a synchronous
 * spawn would deadlock it.
 */
export const SFDAQ = fileURLToPath(new URL('../../bin/sfdaq.js', import.meta.url));
export const hasScript = spawnSync('script', ['--version']).status === 0;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  /** Called with the child once it runs (to send a signal, write stdin). */
  onStart?: (child: ReturnType<typeof spawn>, output: () => string) => void;
  timeoutMs?: number;
}

function collect(child: ReturnType<typeof spawn>, timeoutMs: number, onStart?: CliOptions['onStart']): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  onStart?.(child, () => stdout + stderr);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sfdaq did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `sfdaq ...args` with pipes for stdin/stdout/stderr (no terminal). */
export function sfdaq(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [SFDAQ, ...args], { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  return collect(child, options.timeoutMs ?? 30_000, options.onStart);
}

/**
 * `sfdaq ...args` under a pseudo-terminal (util-linux `script`), as a
 * scientist's terminal runs it: stdin, stdout and stderr are a TTY; what the
 * test writes to the child's stdin is typed on that terminal (so "\x03" is
 * Ctrl-C). Everything the terminal shows comes back in `stdout`.
 */
export function sfdaqInTerminal(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const quoted = [process.execPath, SFDAQ, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // exec: the shell steps aside so Ctrl-C reaches sfdaq itself; -e: script exits with sfdaq's code.
  const child = spawn('script', ['-qec', `exec ${quoted}`, '/dev/null'], { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  return collect(child, options.timeoutMs ?? 30_000, options.onStart);
}

/** Resolve once `output()` matches, polling (for "wait until the bar shows, then press Ctrl-C"). */
export async function waitForOutput(output: () => string, pattern: RegExp, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(output())) {
    if (Date.now() > deadline) throw new Error(`output never matched ${pattern}: ${JSON.stringify(output().slice(-500))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
