import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io';

/**
 * Every option sfdaq knows, with its help line. The daq_client.py spellings
 * (--start_pulseid, --channels_file, ...) are accepted as aliases so old
 * shell history keeps working.
 */
const OPTIONS = {
  // global
  broker: { type: 'string', short: 'b', help: 'broker address (default $SFDAQ_BROKER, else http://localhost:10002)', arg: 'URL' },
  'api-key': { type: 'string', help: 'API key of your beamline (default $SFDAQ_API_KEY); needed only off the beamline network', arg: 'KEY' },
  timeout: { type: 'string', help: 'seconds to wait for each answer of the broker (default 10)', arg: 'S' },
  json: { type: 'boolean', help: "print the broker's JSON answer instead of text" },
  'no-progress': { type: 'boolean', help: 'no progress bar even in a terminal' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
  // the request
  pgroup: { type: 'string', short: 'p', help: 'pgroup, e.g. p12345', arg: 'PGROUP' },
  start: { type: 'string', help: 'first pulse id', arg: 'N' },
  stop: { type: 'string', help: 'last pulse id (inclusive)', arg: 'M' },
  channels: { type: 'string', short: 'c', help: 'channels file: one name per line, # comments; :FPICTURE names are cameras', arg: 'FILE' },
  epics: { type: 'string', short: 'e', help: 'PV file: one EPICS PV per line, # comments', arg: 'FILE' },
  detectors: { type: 'string', short: 'f', help: 'detectors JSON: {"JF01T03V01": {}, ...}', arg: 'FILE' },
  rate: { type: 'string', short: 'r', help: 'rate multiplicator: 1 (100 Hz, default), 2, 4, 8, 10, 20, 40, 50, 100', arg: 'R' },
  'scan-step': { type: 'string', short: 's', help: 'scan step JSON, sent as scan_info', arg: 'FILE' },
  directory: { type: 'string', short: 'd', help: "output directory below the pgroup's raw/", arg: 'DIR' },
  // run
  pulses: { type: 'string', help: 'number of pulses to take (at the rate: stop = start + pulses*rate - 1)', arg: 'N' },
  clock: { type: 'string', help: 'pulse clock: a URL answering {"pulse_id"} (default $SFDAQ_CLOCK_URL, else the broker\'s /local/current_pulse_id), or "model"', arg: 'URL' },
  'on-interrupt': { type: 'string', help: 'on Ctrl-C: ask (default in a terminal), save, or discard (default otherwise)', arg: 'WHAT' },
  // status, runs
  run: { type: 'string', short: 'n', help: 'run number', arg: 'RUN' },
  wait: { type: 'boolean', short: 'w', help: 'follow the run until it is finished, with a progress bar' },
  interval: { type: 'string', help: 'seconds between status polls with --wait (default 1)', arg: 'S' },
  'wait-timeout': { type: 'string', help: 'give up waiting after this many seconds (exit 6)', arg: 'S' },
  limit: { type: 'string', help: 'at most N: the latest runs, or names found (default 100, at most 1000)', arg: 'N' },
  yes: { type: 'boolean', short: 'y', help: 'do not ask for confirmation' },
  // detectors
  detector: { type: 'string', help: 'detector name(s), comma-separated, e.g. JF01T03V01 (-d in pedestal and power-on)', arg: 'DET' },
  pedestalmode: { type: 'boolean', help: "the firmware's pedestal mode (50 frames per gain, 200 loops) instead of 1000 frames per gain" },
  set: { type: 'string', help: "replace the beamline's default PV list with the PVs of FILE (one a line, # comments)", arg: 'FILE' },
  // daq_client.py spellings
  start_pulseid: { type: 'string', help: '', arg: 'N' },
  stop_pulseid: { type: 'string', help: '', arg: 'M' },
  channels_file: { type: 'string', help: '', arg: 'FILE' },
  epics_file: { type: 'string', help: '', arg: 'FILE' },
  file_detectors: { type: 'string', help: '', arg: 'FILE' },
  rate_multiplicator: { type: 'string', help: '', arg: 'R' },
  scan_step_file: { type: 'string', help: '', arg: 'FILE' },
  output_directory: { type: 'string', help: '', arg: 'DIR' },
} as const;

export type OptionName = keyof typeof OPTIONS;

const ALIASES: Partial<Record<OptionName, OptionName>> = {
  start_pulseid: 'start', stop_pulseid: 'stop', channels_file: 'channels', epics_file: 'epics', file_detectors: 'detectors',
  rate_multiplicator: 'rate', scan_step_file: 'scan-step', output_directory: 'directory',
};

export const GLOBAL: OptionName[] = ['broker', 'api-key', 'timeout', 'json', 'no-progress', 'help'];
export const SOURCES: OptionName[] = ['channels', 'epics', 'detectors', 'rate', 'scan-step', 'directory'];

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: OptionName[];
  required: OptionName[];
  /** A positional argument the command takes (e.g. PATTERN), required when named. */
  argument?: string;
  /** Short flags that mean another option in this command, e.g. `{ d: 'detector' }` (`-d` is --directory elsewhere). */
  shorts?: Record<string, OptionName>;
}

// parseArgs takes only type and short; the help lines stay here.
const PARSE_OPTIONS: ParseArgsConfig['options'] = Object.fromEntries(
  Object.entries(OPTIONS).map(([key, o]) => [key, { type: o.type, ...('short' in o ? { short: o.short } : {}) }]),
);

export type Values = Partial<Record<OptionName, string | boolean>>;

/**
 * Parse argv: the command (first positional) and its options, aliases folded
 * into their modern names. Unknown options, options the command does not
 * take, and missing required ones are UsageErrors that say what to do.
 */
export function parseCommandLine(argv: string[], commands: CommandSpec[]): { command: CommandSpec | undefined; values: Values; args: string[] } {
  const parse = (args: string[]) => {
    try {
      return parseArgs({ args, options: PARSE_OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, '').replace(/^Unknown option/, 'unknown option'));
    }
  };
  let parsed = parse(argv);
  // A command's own short flags (`sfdaq pedestal -d DET`): rewritten to their long names, then parsed again.
  const shorts = commands.find((c) => c.name === parsed.positionals[0])?.shorts;
  if (shorts) parsed = parse(withShorts(argv, shorts));
  const [name, ...extra] = parsed.positionals;
  const command = commands.find((c) => c.name === name);
  if (name !== undefined && !command) throw new UsageError(`unknown command ${JSON.stringify(name)} (commands: ${commands.map((c) => c.name).join(', ')})`);
  const values: Values = {};
  const spelled: Partial<Record<OptionName, OptionName>> = {};
  for (const [key, value] of Object.entries(parsed.values) as Array<[OptionName, string | boolean]>) {
    const modern = ALIASES[key] ?? key;
    if (values[modern] !== undefined && values[modern] !== value) throw new UsageError(`--${spelled[modern]} and --${key} say different things`, name);
    values[modern] = value;
    spelled[modern] = key;
  }
  if (!command) return { command: undefined, values, args: [] };
  const takes = command.argument ? 1 : 0;
  if (extra.length > takes) throw new UsageError(`unexpected argument ${JSON.stringify(extra[takes])}`, command.name);
  if (values.help) return { command, values, args: extra };
  if (command.argument && extra.length === 0) throw new UsageError(`${command.name} needs ${command.argument}`, command.name);
  for (const key of Object.keys(values) as OptionName[]) {
    if (!GLOBAL.includes(key) && !command.options.includes(key)) throw new UsageError(`${command.name} does not take --${key}`, command.name);
  }
  for (const key of command.required) {
    const option = OPTIONS[key];
    if (values[key] === undefined) throw new UsageError(`${command.name} needs --${key}${'arg' in option ? ` ${option.arg}` : ''}`, command.name);
  }
  return { command, values, args: extra };
}

/** `-d X` / `-dX` -> `--detector X` / `--detector=X` for the flags in `shorts` (up to a `--`). */
function withShorts(argv: string[], shorts: Record<string, OptionName>): string[] {
  const end = argv.indexOf('--');
  return argv.map((arg, i) => {
    if (end >= 0 && i > end) return arg;
    const m = /^-([A-Za-z])(.*)$/.exec(arg);
    const long = m ? shorts[m[1]!] : undefined;
    if (!m || !long) return arg;
    return m[2] === '' ? `--${long}` : `--${long}=${m[2]!.replace(/^=/, '')}`;
  });
}

/** Help for one command, or the overview. */
export function helpText(commands: CommandSpec[], command?: CommandSpec): string {
  const line = (key: OptionName) => {
    const o = OPTIONS[key];
    const own = Object.entries(command?.shorts ?? {}).find(([, long]) => long === key)?.[0];
    const short = own ? `-${own}, ` : 'short' in o ? `-${o.short}, ` : '    ';
    const flag = `${short}--${key}${'arg' in o ? ` ${o.arg}` : ''}`;
    return `  ${flag.padEnd(26)} ${o.help}`;
  };
  if (!command) {
    return [
      'sfdaq: talk to the data-retrieval broker (the successor of daq_client.py and BrokerClient)',
      '',
      'usage: sfdaq <command> [options]',
      '',
      'commands:',
      ...commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`),
      '',
      'options of every command:',
      ...GLOBAL.map(line),
      '',
      "'sfdaq <command> --help' for a command's options. Exit codes: 0 ok, 1 refused, 2 usage,",
      '3 broker unreachable, 4 run done with problems, 5 run failed, 6 not finished, 7 not confirmed,',
      '130 interrupted.',
    ].join('\n');
  }
  return [
    `sfdaq ${command.name}: ${command.summary}`,
    '',
    `usage: ${command.usage}`,
    '',
    'options:',
    ...command.options.map(line),
    ...GLOBAL.map(line),
  ].join('\n');
}

/** A non-negative integer option, or a UsageError naming it. */
export function integerOption(values: Values, key: OptionName, limits: { min?: number; max?: number } = {}): number | undefined {
  const raw = values[key];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^[0-9]+$/.test(raw)) throw new UsageError(`--${key} must be a whole number, not ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new UsageError(`--${key} ${raw} is too large`);
  if (limits.min !== undefined && value < limits.min) throw new UsageError(`--${key} must be at least ${limits.min}`);
  if (limits.max !== undefined && value > limits.max) throw new UsageError(`--${key} must be at most ${limits.max}`);
  return value;
}

/** A positive number of seconds, or a UsageError naming it. */
export function secondsOption(values: Values, key: OptionName): number | undefined {
  const raw = values[key];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(value) || value <= 0) throw new UsageError(`--${key} must be a positive number of seconds, not ${JSON.stringify(raw)}`);
  return value;
}

export function stringOption(values: Values, key: OptionName): string | undefined {
  const raw = values[key];
  return typeof raw === 'string' ? raw : undefined;
}

/** The pgroup option, checked for its form before anything is sent. */
export function pgroupOption(values: Values): string {
  const pgroup = stringOption(values, 'pgroup') ?? '';
  if (!/^p[0-9]{5}$/.test(pgroup)) throw new UsageError(`--pgroup must be of the form p12345, not ${JSON.stringify(pgroup)}`);
  return pgroup;
}
