import { PassThrough } from 'node:stream';
import { main } from '../../cli/main';
import type { Io } from '../../cli/io';

export interface CliOptions {
  env?: Record<string, string>;
  stdin?: Io['stdin'];
  /** Told of the command's Ctrl-C handler (a test then calls it to "press" Ctrl-C). */
  onInterrupt?: (handler: () => void) => void;
}

/**
 * The sfdaq command run in this process with captured streams, still running: `out()` and `err()` say
 * what it wrote so far (the e2e CLI tests run the real binary instead).
 *
 * @example const cli = startCli(['status', '-p', 'p12345', '-n', '1', '--wait'], { env: { SFDAQ_BROKER: url } });
 */
export function startCli(argv: string[], options: CliOptions = {}): { done: Promise<number>; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const io: Io = {
    stdout, stderr, stdin: options.stdin ?? new PassThrough(), env: options.env ?? {},
    onInterrupt: (handler) => {
      options.onInterrupt?.(handler);
      return () => undefined;
    },
  };
  return { done: main(argv, io), out: () => out, err: () => err };
}

/** `startCli` to its end: the exit code and everything written. */
export async function runCli(argv: string[], options: CliOptions = {}): Promise<{ code: number; out: string; err: string }> {
  const cli = startCli(argv, options);
  const code = await cli.done;
  return { code, out: cli.out(), err: cli.err() };
}
