import '../lib/runtime/polyfills';
import { join } from 'node:path';
import { startLocalStack, type LocalStack } from './stack';
import { StackStartError } from './stack-lock';
import { ConfigError } from '../lib/runtime/config';

/**
 * `npm start`: the whole system on this machine. Configuration by environment:
 * PORT (10002), HOST (127.0.0.1), SFDAQ_DATA_ROOT (./data), SFDAQ_STATE_DIR
 * (./.local-state, or <SFDAQ_DATA_ROOT>/.local-state when only the data root is given), SFDAQ_DYNAMODB_PORT / SFDAQ_S3_PORT / SFDAQ_SFN_PORT /
 * SFDAQ_DATA_BUFFER_PORT / SFDAQ_IMAGE_BUFFER_PORT / SFDAQ_ARCHIVER_PORT (free ports by default),
 * SFDAQ_DATA_DELAY_SECONDS (5) and SFDAQ_DETECTOR_DELAY_SECONDS (2).
 */
const env = process.env;
const STACK_VARIABLES = /^SFDAQ_(DATA_ROOT|STATE_DIR|[A-Z_]+_PORT|DATA_DELAY_SECONDS|DETECTOR_DELAY_SECONDS)$/;
const port = (name: string) => (env[name] ? Number(env[name]) : undefined);

let stack: LocalStack;
try {
  stack = await startLocalStack({
  port: port('PORT') ?? 10002,
  host: env.HOST ?? '127.0.0.1',
  dataRoot: env.SFDAQ_DATA_ROOT ?? 'data',
  // Counters, executions and S3 objects belong with the pgroup tree they number: a new data root
  // must not inherit another root's run numbers or resume its runs into the new tree.
  stateDir: env.SFDAQ_STATE_DIR ?? (env.SFDAQ_DATA_ROOT ? join(env.SFDAQ_DATA_ROOT, '.local-state') : '.local-state'),
  ports: {
    dynamodb: port('SFDAQ_DYNAMODB_PORT'), s3: port('SFDAQ_S3_PORT'), sfn: port('SFDAQ_SFN_PORT'),
    dataBuffer: port('SFDAQ_DATA_BUFFER_PORT'), imageBuffer: port('SFDAQ_IMAGE_BUFFER_PORT'), archiver: port('SFDAQ_ARCHIVER_PORT'),
  },
  delays: { dataSeconds: Number(env.SFDAQ_DATA_DELAY_SECONDS ?? 5), detectorSeconds: Number(env.SFDAQ_DETECTOR_DELAY_SECONDS ?? 2) },
  // The functions' own settings (SFDAQ_RETRY_ATTEMPTS, SFDAQ_MAX_BODY_BYTES, ...) reach them as a
  // deployment's environment would; the stack's own variables (above) do not.
  env: {
    // The simulated buffers keep 6 minutes: ranges older than that are refused at the door.
    SFDAQ_DATA_BUFFER_RETENTION_SECONDS: '360',
    SFDAQ_IMAGE_BUFFER_RETENTION_SECONDS: '360',
    SFDAQ_ARCHIVER_RETENTION_SECONDS: '360',
    ...Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('SFDAQ_') && e[1] !== undefined && !STACK_VARIABLES.test(e[0]))),
  },
  });
} catch (error) {
  // A start that cannot work says why in one line; anything else is a bug and keeps its trace.
  if (error instanceof StackStartError || error instanceof ConfigError) {
    console.error(`npm start: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

const { executions, recovered } = stack.resumed;

console.log(`sfdaq-broker local stack is up
  broker         ${stack.url}   (POST /retrieve_from_buffers, GET /get_current_run_number, ...)
  current pulse  ${stack.url}/local/current_pulse_id
  data root      ${stack.dataRoot}   (stands in for /sf)
  state          ${stack.stateDir}
${Object.entries(stack.endpoints).map(([k, v]) => `  ${k.padEnd(14)} ${v}`).join('\n')}
${executions.length ? `resumed ${executions.length} run${executions.length === 1 ? '' : 's'} left unfinished: ${executions.join(', ')}\n` : ''}${recovered.length ? `recovered ${recovered.length} run${recovered.length === 1 ? '' : 's'} accepted but never started: ${recovered.join(', ')}\n` : ''}Ctrl-C stops it; accepted runs resume at the next start.`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log('stopping...');
    void stack.close().then(() => process.exit(0));
  });
}
