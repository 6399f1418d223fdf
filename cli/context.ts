import { BrokerClient } from '../lib/client';
import { UsageError, type Io } from './io';
import { secondsOption, stringOption, type Values } from './options';

export const DEFAULT_BROKER = 'http://localhost:10002';

/** What every command gets: its options, the broker client, and where to write. */
export interface Context {
  io: Io;
  values: Values;
  /** The command's positional argument(s), e.g. the PATTERN of `sfdaq channels`. */
  args: string[];
  client: BrokerClient;
  /** --json: print the broker's answers as JSON lines on stdout. */
  json: boolean;
  /** Draw progress bars (stderr is a terminal and --no-progress is not given). */
  progress: boolean;
  /** A result line on stdout. */
  print(text: string): void;
  /** A human note on stderr (progress, hints). */
  note(text: string): void;
}

export function makeContext(io: Io, values: Values, args: string[] = []): Context {
  const broker = stringOption(values, 'broker') ?? io.env.SFDAQ_BROKER ?? DEFAULT_BROKER;
  const apiKey = stringOption(values, 'api-key') ?? io.env.SFDAQ_API_KEY;
  const timeout = secondsOption(values, 'timeout');
  let client: BrokerClient;
  try {
    client = new BrokerClient({ broker, ...(apiKey ? { apiKey } : {}), ...(timeout ? { timeoutMs: timeout * 1000 } : {}) });
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (from ${stringOption(values, 'broker') ? '--broker' : 'SFDAQ_BROKER'})`);
  }
  return {
    io,
    values,
    args,
    client,
    json: values.json === true,
    progress: io.stderr.isTTY === true && values['no-progress'] !== true,
    print: (text) => io.stdout.write(`${text}\n`),
    note: (text) => io.stderr.write(`${text}\n`),
  };
}
