import { BrokerProtocolError, BrokerRefused, BrokerUnavailable, InputFileError, RunWithoutRetrieval } from '../lib/client';
import { channelsCommand } from './commands/channels';
import { detectorsCommand, powerOnCommand, pvListCommand } from './commands/detectors';
import { pedestalCommand } from './commands/pedestal';
import { advanceRunCommand, closeCommand, currentRunCommand } from './commands/pgroup';
import { retrieveCommand } from './commands/retrieve';
import { runCommand } from './commands/run';
import { runsCommand } from './commands/runs';
import { statusCommand } from './commands/status';
import { makeContext, type Context } from './context';
import { EXIT, type ExitCode } from './exit-codes';
import { processIo, UsageError, type Io } from './io';
import { helpText, parseCommandLine, SOURCES, type CommandSpec } from './options';

type Command = CommandSpec & { action: (ctx: Context) => Promise<ExitCode> };

const COMMANDS: Command[] = [
  {
    name: 'retrieve', summary: 'ask for pulses already taken (daq_client.py)', action: retrieveCommand,
    usage: 'sfdaq retrieve -p p12345 --start N --stop M [-c channels.txt] [-e pvs.txt] [-f detectors.json] [-r 1] [-s scan_step.json] [-d dir] [--wait]',
    options: ['pgroup', 'start', 'stop', ...SOURCES, 'wait', 'interval', 'wait-timeout'], required: ['pgroup', 'start', 'stop'],
  },
  {
    name: 'run', summary: 'take N pulses from now with a progress bar, then ask for them (BrokerClient.run)', action: runCommand,
    usage: 'sfdaq run -p p12345 --pulses 1000 [-c channels.txt] [-e pvs.txt] [-f detectors.json] [-r 1] [-s scan_step.json] [-d dir] [--wait]',
    options: ['pgroup', 'pulses', ...SOURCES, 'clock', 'on-interrupt', 'wait', 'interval', 'wait-timeout'], required: ['pgroup', 'pulses'],
  },
  {
    name: 'status', summary: "a run's state, its sources and the check's verdict (--wait: follow it)", action: statusCommand,
    usage: 'sfdaq status -p p12345 -n RUN [--wait]', options: ['pgroup', 'run', 'wait', 'interval', 'wait-timeout'], required: ['pgroup', 'run'],
  },
  { name: 'runs', summary: "the pgroup's runs as a table", action: runsCommand, usage: 'sfdaq runs -p p12345 [--limit N]', options: ['pgroup', 'limit'], required: ['pgroup'] },
  { name: 'current-run', summary: "print the pgroup's last run number", action: currentRunCommand, usage: 'sfdaq current-run -p p12345', options: ['pgroup'], required: ['pgroup'] },
  { name: 'advance-run', summary: 'take the next run number without retrieving; print it', action: advanceRunCommand, usage: 'sfdaq advance-run -p p12345', options: ['pgroup'], required: ['pgroup'] },
  { name: 'close', summary: 'close the pgroup for writing, for good', action: closeCommand, usage: 'sfdaq close -p p12345 [--yes]', options: ['pgroup', 'yes'], required: ['pgroup'] },
  {
    name: 'channels', summary: 'BS channels and cameras the buffers know matching PATTERN (* and ? or a part of the name)', action: channelsCommand(['bs', 'camera']),
    usage: "sfdaq channels PATTERN [--limit N]    e.g. sfdaq channels 'SARFE10-PBPG050:*' >> channels.txt", options: ['limit'], required: [], argument: 'PATTERN',
  },
  {
    name: 'pvs', summary: 'EPICS PVs the archiver archives matching PATTERN', action: channelsCommand(['pv']),
    usage: "sfdaq pvs PATTERN [--limit N]         e.g. sfdaq pvs '*:PRESSURE' >> pvs.txt", options: ['limit'], required: [], argument: 'PATTERN',
  },
  {
    name: 'pedestal', summary: 'the detectors take a pedestal run; it is retrieved into raw/JF_pedestals/ and the pedestal computed (--wait: until installed)', action: pedestalCommand,
    usage: 'sfdaq pedestal -p p12345 -d JF01T03V01[,JF...] [-r 1] [--pedestalmode] [--wait]',
    options: ['pgroup', 'detector', 'rate', 'pedestalmode', 'wait', 'interval', 'wait-timeout'], required: ['pgroup', 'detector'], shorts: { d: 'detector' },
  },
  { name: 'detectors', summary: "your beamline's detectors: running or not, description, live view", action: detectorsCommand, usage: 'sfdaq detectors', options: [], required: [] },
  {
    name: 'pvlist', summary: "your beamline's default PV list, one a line (--set FILE: replace it)", action: pvListCommand,
    usage: 'sfdaq pvlist [--set pvs.txt]    e.g. sfdaq pvlist > pvs.txt', options: ['set'], required: [],
  },
  {
    name: 'power-on', summary: 'power a detector of your beamline on (simulated detectors only)', action: powerOnCommand,
    usage: 'sfdaq power-on -d JF01T03V01', options: ['detector'], required: ['detector'], shorts: { d: 'detector' },
  },
];

/**
 * The sfdaq command line: parse, run one command, map every error to a
 * message on stderr and an exit code (cli/exit-codes.ts). Never throws.
 *
 * @example process.exitCode = await main(['current-run', '-p', 'p12345']);
 */
export async function main(argv: string[], io: Io = processIo()): Promise<ExitCode> {
  let json = false;
  let commandName: string | undefined;
  const fail = (code: ExitCode, message: string, extra: Record<string, unknown> = {}): ExitCode => {
    io.stderr.write(`sfdaq: ${message}\n`);
    if (json) io.stdout.write(`${JSON.stringify({ status: 'failed', message, exit_code: code, ...extra })}\n`);
    return code;
  };
  try {
    const { command, values, args } = parseCommandLine(argv, COMMANDS);
    json = values.json === true;
    commandName = command?.name;
    if (!command || values.help) {
      io.stdout.write(`${helpText(COMMANDS, command)}\n`);
      return command || values.help ? EXIT.ok : EXIT.usage;
    }
    return await (command as Command).action(makeContext(io, values, args));
  } catch (error) {
    if (error instanceof UsageError) {
      const command = error.command ?? commandName;
      return fail(EXIT.usage, `${error.message}\n(see 'sfdaq ${command ? `${command} ` : ''}--help')`);
    }
    if (error instanceof InputFileError) return fail(EXIT.usage, error.message, { file: error.file });
    if (error instanceof RunWithoutRetrieval) return fail(EXIT.refused, error.message, { field: 'run_number', run_number: error.runNumber });
    if (error instanceof BrokerRefused) {
      const extra = { ...(error.field ? { field: error.field } : {}), ...(error.runNumber !== undefined ? { run_number: error.runNumber } : {}) };
      return fail(EXIT.refused, `the broker refused: ${error.message}`, extra);
    }
    if (error instanceof BrokerUnavailable || error instanceof BrokerProtocolError) return fail(EXIT.unavailable, error.message);
    return fail(EXIT.internal, `internal error (please report): ${(error as Error).stack ?? String(error)}`);
  }
}
