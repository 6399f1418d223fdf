import '../lib/runtime/polyfills';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { DEFAULT_CLOCK, FacilityClock, type FacilityClockConfig } from '../lib/core/clock';
import type { FacilityConfig } from '../lib/core/facility';
import { deps, recoverRuns, resetDeps } from '../lib/runtime/deps';
import { ensureDemoFacility } from './demo-facility';
import { ensureRunTable, startDynamoDb, type RunningEmulator } from './emulators/dynamodb';
import { startS3 } from './emulators/s3';
import { LocalStepFunctions } from './emulators/stepfunctions';
import { eventRules, localEventBus } from './events';
import { startHttpApi } from './http-api';
import { httpRoutes, loadHandler, loadServerlessYml, loadStateMachine } from './serverless-config';
import { detectorRootIn, detectorsOf, startSimulatedBuffers, type SimulatedBuffers } from './simulators/facility-buffers';

export interface LocalStackOptions {
  /** HTTP API port (default 10002; 0 = a free port). */
  port?: number;
  /** Interface to bind (default 127.0.0.1: callers from this machine are alvra in the demo). */
  host?: string;
  /** Stands in for /sf (default ./data). */
  dataRoot?: string;
  /** Emulator state: DynamoDB, S3, executions, detector buffer, facility.json (default ./.local-state). */
  stateDir?: string;
  /** Emulator ports (default 0 = free ports). */
  ports?: { dynamodb?: number; s3?: number; sfn?: number; dataBuffer?: number; imageBuffer?: number; archiver?: number };
  /** Facility config to write (default: keep <stateDir>/facility.json, or the demo facility). */
  facility?: FacilityConfig;
  clock?: FacilityClockConfig;
  /** Run the four buffer simulators (default true); false: use the SFDAQ_*_URL endpoints from env. */
  simulators?: boolean;
  /** Seconds to wait after the request before reading (default: demo 5 s data / 2 s detector). */
  delays?: { dataSeconds: number; detectorSeconds: number };
  /** Retry interval override for the workflow's Retry states, ms (local: short). */
  retryIntervalMs?: number;
}

export interface LocalStack {
  url: string;
  dataRoot: string;
  stateDir: string;
  endpoints: Record<string, string>;
  sfn: LocalStepFunctions;
  buffers?: SimulatedBuffers;
  clock: FacilityClock;
  close(): Promise<void>;
}

export const TABLE = 'sfdaq-runs';
export const BUCKET = 'sfdaq-bookkeeping';
export const STATE_MACHINE_ARN = 'arn:aws:states:eu-central-1:000000000000:stateMachine:sfdaq-retrieve-local';

/**
 * The whole system on this machine: DynamoDB (dynalite) and S3 (s3rver)
 * emulators speaking the real wire APIs, a local Step Functions service
 * running the ASL of serverless.yml, the four buffer simulators, and the HTTP
 * API in front of the very handlers Lambda runs. The handlers find everything
 * through the same environment variables they read in Lambda (one stack per
 * process, since the environment is process-wide).
 *
 * @example
 *   const stack = await startLocalStack({ port: 0, dataRoot: tmp, stateDir: tmp2 });
 *   await fetch(`${stack.url}/retrieve_from_buffers`, { method: 'POST', ... });
 *   await stack.close();
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const dataRoot = resolve(options.dataRoot ?? 'data');
  const stateDir = resolve(options.stateDir ?? '.local-state');
  const clockConfig = options.clock ?? DEFAULT_CLOCK;
  await mkdir(dataRoot, { recursive: true });
  const { file: facilityFile, facility } = await ensureDemoFacility(stateDir, dataRoot, options.facility);

  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const dynamo = await startDynamoDb({ port: options.ports?.dynamodb ?? 0, path: join(stateDir, 'dynamodb'), host });
    closers.push(dynamo.close);
    await ensureRunTable(dynamo.endpoint, TABLE);
    const s3 = await startS3({ port: options.ports?.s3 ?? 0, directory: join(stateDir, 's3'), bucket: BUCKET, host });
    closers.push(s3.close);

    let buffers: SimulatedBuffers | undefined;
    if (options.simulators !== false) {
      buffers = await startSimulatedBuffers({
        host,
        ports: { data: options.ports?.dataBuffer ?? 0, image: options.ports?.imageBuffer ?? 0, archiver: options.ports?.archiver ?? 0 },
        clock: clockConfig,
        detectorRoot: detectorRootIn(stateDir),
        detectors: detectorsOf(facility),
      });
      closers.push(buffers.close);
    }

    const delays = options.delays ?? { dataSeconds: 5, detectorSeconds: 2 };
    Object.assign(process.env, {
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SFDAQ_S3_FORCE_PATH_STYLE: 'true',
      SFDAQ_RUN_TABLE: TABLE,
      SFDAQ_BUCKET: BUCKET,
      SFDAQ_STATE_MACHINE_ARN: STATE_MACHINE_ARN,
      SFDAQ_DATA_ROOT: dataRoot,
      SFDAQ_FACILITY_FILE: facilityFile,
      SFDAQ_DATA_DELAY_SECONDS: String(delays.dataSeconds),
      SFDAQ_DETECTOR_DELAY_SECONDS: String(delays.detectorSeconds),
      SFDAQ_CLOCK_EPOCH_PULSE_ID: String(clockConfig.epochPulseId),
      SFDAQ_CLOCK_EPOCH_TIME: new Date(clockConfig.epochTimeMs).toISOString(),
      ...(buffers
        ? {
            SFDAQ_DATA_BUFFER_URL: buffers.dataBufferUrl,
            SFDAQ_IMAGE_BUFFER_URL: buffers.imageBufferUrl,
            SFDAQ_ARCHIVER_URL: buffers.archiverUrl,
            SFDAQ_DETECTOR_BUFFER_ROOT: buffers.detectorBufferRoot,
          }
        : {}),
    });
    delete process.env.SFDAQ_FACILITY;
    resetDeps();

    const serverless = loadServerlessYml();
    const { definition, taskFunctions } = loadStateMachine(serverless, 'retrieve');
    const taskHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [state, fn] of Object.entries(taskFunctions)) {
      const handler = await loadHandler(serverless.functions[fn]!.handler);
      taskHandlers[state] = (input) => handler(input, { functionName: fn });
    }
    const sfn = new LocalStepFunctions(join(stateDir, 'executions'));
    sfn.register({
      arn: STATE_MACHINE_ARN,
      definition: definition as unknown as StateMachineDefinition,
      taskHandlers,
      retryIntervalOverrides: Object.fromEntries(Object.keys(taskFunctions).map((s) => [s, options.retryIntervalMs ?? 500])),
    });
    const sfnServer = await sfn.listen(options.ports?.sfn ?? 0, host);
    closers.push(sfnServer.close);
    process.env.AWS_ENDPOINT_URL_SFN = sfnServer.endpoint;

    const clock = new FacilityClock(clockConfig);
    const routes = await Promise.all(
      httpRoutes(serverless).map(async (route) => ({
        ...route,
        fn: (await loadHandler(route.handler)) as (e: APIGatewayProxyEventV2, c: unknown) => Promise<APIGatewayProxyStructuredResultV2>,
      })),
    );
    // The local EventBridge: POST /local/events delivers to serverless.yml's eventBridge functions (local/events.ts).
    const events = localEventBus(await eventRules(serverless), () => deps().facility);
    // A local-only helper so a newcomer can build a request for pulses that exist right now.
    const extra = (req: IncomingMessage, res: ServerResponse) => {
      if (events(req, res)) return true;
      if (req.url !== '/local/current_pulse_id') return false;
      const pulseId = clock.currentPulseId();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pulse_id: Number(pulseId), time: new Date(clock.timeMs(pulseId)).toISOString() }));
      return true;
    };
    const api = await startHttpApi({ port: options.port ?? 10002, host, routes, extra });
    closers.push(api.close);

    // Runs accepted before a stop resume now (their executions are still RUNNING on disk).
    await sfn.resume();
    // Runs recorded but never handed to the workflow (stopped in between) are started now (lib/core/recover.ts).
    await recoverRuns();

    return {
      url: api.url,
      dataRoot,
      stateDir,
      sfn,
      clock,
      ...(buffers ? { buffers } : {}),
      endpoints: {
        api: api.url,
        dynamodb: dynamo.endpoint,
        s3: s3.endpoint,
        stepfunctions: sfnServer.endpoint,
        ...(buffers ? { dataBuffer: buffers.dataBufferUrl, imageBuffer: buffers.imageBufferUrl, archiver: buffers.archiverUrl, detectorBuffer: buffers.detectorBufferRoot } : {}),
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

export type { RunningEmulator };
