import '../lib/runtime/polyfills';
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { DEFAULT_CLOCK, FacilityClock, type FacilityClockConfig } from '../lib/core/clock';
import type { FacilityConfig } from '../lib/core/facility';
import { buildApp, type App } from '../lib/runtime/app';
import { loadConfig, type BrokerConfig } from '../lib/runtime/config';
import { ensureDemoFacility } from './demo-facility';
import { ensureRunTable, startDynamoDb, type RunningEmulator } from './emulators/dynamodb';
import { startS3 } from './emulators/s3';
import { LocalStepFunctions } from './emulators/stepfunctions';
import { eventRules, localEventBus } from './events';
import { startHttpApi } from './http-api';
import { bundleFunctions, lambdaFunctions, LocalLambdaService, stringsOf, type LogSink } from './lambda';
import { functionSettings, httpRoutes, loadServerlessYml, loadStateMachine } from './serverless-config';
import { resolveParams, scheduleRules } from './serverless-params';
import { checkPortFree, lockStateDir } from './stack-lock';
import { detectorRootIn, detectorsOf, startSimulatedBuffers, type SimulatedBuffers } from './simulators/facility-buffers';
import { publishCalibration, startDetectorControl, type DetectorControlServer } from './simulators/detector';

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
  ports?: { dynamodb?: number; s3?: number; sfn?: number; lambda?: number; dataBuffer?: number; imageBuffer?: number; archiver?: number };
  /** Facility config to write (default: keep <stateDir>/facility.json, or the demo facility). */
  facility?: FacilityConfig;
  clock?: FacilityClockConfig;
  /** Run the four buffer simulators (default true); false: the functions use `env`'s SFDAQ_*_URL endpoints. */
  simulators?: boolean;
  /** Seconds to wait after the request before reading (default: demo 5 s data / 2 s detector). */
  delays?: { dataSeconds: number; detectorSeconds: number };
  /** Multiplies the workflow's Retry intervals (default 1; tests: e.g. 0.01 so a 10 s backoff takes 100 ms). */
  retryTimeScale?: number;
  /** Extra environment of every function (e.g. SFDAQ_RETRY_ATTEMPTS): configuration as a deployment would set it. */
  env?: Record<string, string>;
  /** Execution environments per function at most (default: twice the cores). */
  maxInstancesPerFunction?: number;
  /** Waits before the 2 retries of an asynchronous invocation, ms (default: AWS's 60 s and 120 s). */
  asyncRetryDelaysMs?: number[];
  /** API Gateway's integration timeout, ms (default 30,000). */
  integrationTimeoutMs?: number;
  /** The functions' log lines (default: to this process's stderr, prefixed; tests: silent). */
  logSink?: LogSink;
  /** Frames per gain stage of the simulated detectors' pedestal runs (default 100; the facility's 1000 write 3 GB a module). */
  pedestalFramesPerStage?: number;
  /**
   * Publish the simulated detectors' gain and pedestal files under the data root, as the facility keeps
   * them (default true; ~100 MB for the demo's detectors, so test stacks that never convert skip it).
   */
  calibration?: boolean;
}

export interface LocalStack {
  url: string;
  dataRoot: string;
  stateDir: string;
  endpoints: Record<string, string>;
  /** The environment every function instance sees (the deployment's configuration, locally). */
  env: Record<string, string>;
  /** The functions' configuration, and a broker built from it in this process (for tests and tools). */
  config: BrokerConfig;
  app(): App;
  sfn: LocalStepFunctions;
  lambda: LocalLambdaService;
  buffers?: SimulatedBuffers;
  clock: FacilityClock;
  /** The dead-letter queue of asynchronous invocations (one JSON line per failed event). */
  dlqFile: string;
  /** Runs the previous process left unfinished and this start resumed or recovered. */
  resumed: { executions: string[]; recovered: string[] };
  close(): Promise<void>;
}

export const TABLE = 'sfdaq-runs';
export const BUCKET = 'sfdaq-bookkeeping';
export const STATE_MACHINE_ARN = 'arn:aws:states:eu-central-1:000000000000:stateMachine:sfdaq-retrieve-local';
export const PEDESTAL_STATE_MACHINE_ARN = 'arn:aws:states:eu-central-1:000000000000:stateMachine:sfdaq-pedestal-local';

/** A log sink that prints function output prefixed with the function name. */
const printLines: LogSink = (functionName, stream, line) => (stream === 'stderr' ? process.stderr : process.stdout).write(`[${functionName}] ${line}\n`);

/**
 * The whole system on this machine, run as AWS runs it: DynamoDB (dynalite)
 * and S3 (s3rver) emulators speaking the real wire APIs; the functions of
 * serverless.yml bundled by esbuild as deployed and run by the local Lambda
 * service, a process per execution environment with Lambda's limits; a
 * strict Step Functions service running the ASL of serverless.yml; API
 * Gateway (HTTP API) that only routes; EventBridge (asynchronous delivery,
 * retries, dead-letter queue) and the schedules of serverless.yml; the four
 * buffer simulators. Each function instance gets its configuration through
 * its own environment, as on Lambda: nothing of this process's environment
 * leaks in, so two stacks can run in one process.
 *
 * @example
 *   const stack = await startLocalStack({ port: 0, dataRoot: tmp, stateDir: tmp2 });
 *   await fetch(`${stack.url}/retrieve_from_buffers`, { method: 'POST', ... });
 *   await stack.close();
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 10002;
  const dataRoot = resolve(options.dataRoot ?? 'data');
  const stateDir = resolve(options.stateDir ?? '.local-state');
  const clockConfig = options.clock ?? DEFAULT_CLOCK;
  await checkPortFree(port, host);
  const closers: Array<() => Promise<void>> = [await lockStateDir(stateDir)];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    await mkdir(dataRoot, { recursive: true });
    const { facility } = await ensureDemoFacility(stateDir, dataRoot, options.facility);

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

    // --- Simulated detectors (jungfrau-endpoints): their calibration files where the facility keeps them
    // (under the data root, which stands for /sf), and their detector control (take_pedestal, power_on_detector).
    let detectorControl: DetectorControlServer | undefined;
    if (buffers) {
      if (options.calibration !== false) {
        for (const detector of detectorsOf(facility)) await publishCalibration({ root: dataRoot, detector, bufferRoot: buffers.detectorBufferRoot, gainDtype: 'float32' });
      }
      detectorControl = await startDetectorControl({ simulator: buffers.detector, detectors: detectorsOf(facility), host, framesPerStage: options.pedestalFramesPerStage ?? 100 });
      closers.push(detectorControl.close);
    }
    // --- end simulated detectors

    // Step Functions listens first: its endpoint is part of every function's environment.
    const sfn = new LocalStepFunctions(join(stateDir, 'executions'));
    const sfnServer = await sfn.listen(options.ports?.sfn ?? 0, host);

    const delays = options.delays ?? { dataSeconds: 5, detectorSeconds: 2 };
    const env: Record<string, string> = {
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SFN: sfnServer.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SFDAQ_S3_FORCE_PATH_STYLE: 'true',
      SFDAQ_RUN_TABLE: TABLE,
      SFDAQ_BUCKET: BUCKET,
      SFDAQ_STATE_MACHINE_ARN: STATE_MACHINE_ARN,
      SFDAQ_PEDESTAL_STATE_MACHINE_ARN: PEDESTAL_STATE_MACHINE_ARN,
      SFDAQ_DATA_ROOT: dataRoot,
      // As on AWS, the facility travels in the functions' environment (the deployment's `facility` param).
      SFDAQ_FACILITY: JSON.stringify(facility),
      SFDAQ_DATA_DELAY_SECONDS: String(delays.dataSeconds),
      SFDAQ_DETECTOR_DELAY_SECONDS: String(delays.detectorSeconds),
      SFDAQ_CLOCK_EPOCH_PULSE_ID: String(clockConfig.epochPulseId),
      SFDAQ_CLOCK_EPOCH_TIME: new Date(clockConfig.epochTimeMs).toISOString(),
      ...(buffers
        ? {
            SFDAQ_DATA_BUFFER_URL: buffers.dataBufferUrl,
            SFDAQ_IMAGE_BUFFER_URL: buffers.imageBufferUrl,
            SFDAQ_ARCHIVER_URL: buffers.archiverUrl,
            // The simulator serves the appliance's management API (getAllPVs) on the same port.
            SFDAQ_ARCHIVER_MGMT_URL: buffers.archiverUrl,
            SFDAQ_DETECTOR_BUFFER_ROOT: buffers.detectorBufferRoot,
          }
        : {}),
      ...(detectorControl ? { SFDAQ_DETECTOR_CONTROL_URL: detectorControl.url } : {}),
      ...(process.env.SFDAQ_LOG_LEVEL ? { SFDAQ_LOG_LEVEL: process.env.SFDAQ_LOG_LEVEL } : {}),
      ...options.env,
    };
    // The functions' configuration, checked here once: a bad value stops the start with its name.
    const config = loadConfig(env);

    // serverless.yml as the Serverless Framework resolves it, the scan rule's sources from the local facility.
    const eventSources = Object.values(facility.beamlines).flatMap((b) => b.eventSources ?? []);
    const serverless = resolveParams(loadServerlessYml(), { eventSources });
    const bundles = await bundleFunctions();
    const httpFunctions = new Set(httpRoutes(serverless).map((r) => r.functionName));
    const dlqFile = join(stateDir, 'dead-letter-queue.jsonl');
    const lambda = new LocalLambdaService({
      // Functions no HTTP route calls (the workflow's and event workers) run at a lower priority: on AWS each
      // environment has its own CPU, so a retriever writing files never slows the API down.
      functions: lambdaFunctions(bundles, functionSettings(serverless), (fn) => ({ ...stringsOf(fn.declaredEnvironment), ...env }))
        .map((fn) => (httpFunctions.has(fn.name) ? fn : { ...fn, niceness: 10 })),
      // AWS would start an environment per concurrent event; this machine has a few cores, and a cold start
      // costs ~0.3 s of CPU, so more environments than about two per core only slow everything down.
      maxInstancesPerFunction: options.maxInstancesPerFunction ?? Math.max(2, availableParallelism() * 2),
      logSink: options.logSink ?? printLines,
      async: { dlqFile, ...(options.asyncRetryDelaysMs ? { retryDelaysMs: options.asyncRetryDelaysMs } : {}) },
    });
    closers.push(() => lambda.close());
    const lambdaApi = await lambda.listen(options.ports?.lambda ?? 0, host);
    closers.push(() => lambdaApi.close());
    // Closed before the functions: executions in flight stay RUNNING on disk (resumed at the next start)
    // instead of seeing their tasks fail as the instances go.
    closers.push(sfnServer.close);

    const settings = new Map(functionSettings(serverless).map((f) => [f.functionName, f]));
    // The retrieval state machine and (jungfrau-endpoints) the pedestal runs' one, both from serverless.yml.
    for (const [name, arn] of [['retrieve', STATE_MACHINE_ARN], ['pedestal', PEDESTAL_STATE_MACHINE_ARN]] as const) {
      const { definition, taskFunctions } = loadStateMachine(serverless, name);
      sfn.register({
        arn,
        definition: definition as unknown as StateMachineDefinition,
        tasks: Object.fromEntries(Object.entries(taskFunctions).map(([state, fn]) => [state, { functionName: fn, timeoutSeconds: settings.get(fn)?.timeoutSeconds ?? 900 }])),
        invoke: (fn, input) => lambda.invoke(fn, input),
        retryTimeScale: options.retryTimeScale ?? 1,
      });
    }

    const clock = new FacilityClock(clockConfig);
    let app: App | undefined;
    const localApp = () => (app ??= buildApp(config));
    // The local EventBridge: POST /local/events delivers to serverless.yml's eventBridge functions (local/events.ts).
    const events = localEventBus(eventRules(serverless), () => config.facility, (fn, event) => lambda.invokeAsync(fn, event));
    // A local-only helper so a newcomer can build a request for pulses that exist right now.
    const extra = (req: IncomingMessage, res: ServerResponse) => {
      if (events(req, res)) return true;
      if (req.url !== '/local/current_pulse_id') return false;
      const pulseId = clock.currentPulseId();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pulse_id: Number(pulseId), time: new Date(clock.timeMs(pulseId)).toISOString() }));
      return true;
    };

    // Before the API takes requests: executions left RUNNING resume, and the recovery sweep (the
    // scheduled function, run once now with no grace period: nothing is being accepted yet) starts the
    // runs recorded but never handed off, and fails those whose workflow ended without an outcome.
    const resumedExecutions = await sfn.resume();
    const sweep = await lambda.invoke('recoverySweep', { graceSeconds: 0 });
    const report = (sweep.functionError ? {} : sweep.payload) as { started?: string[]; failed?: Array<{ run: string }> };
    const recovered = [...(report.started ?? []), ...(report.failed ?? []).map((f) => `${f.run} (failed)`)];

    // serverless.yml's schedules (the sweep every 5 minutes), as EventBridge Scheduler would invoke them.
    for (const rule of scheduleRules(serverless.functions)) {
      const timer = setInterval(() => void lambda.invokeAsync(rule.functionName, rule.input ?? { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} }).catch(() => undefined), rule.everyMs);
      timer.unref();
      closers.push(async () => clearInterval(timer));
    }

    const api = await startHttpApi({
      port,
      host,
      routes: httpRoutes(serverless),
      invoke: (fn, event) => lambda.invoke(fn, event),
      extra,
      ...(options.integrationTimeoutMs ? { integrationTimeoutMs: options.integrationTimeoutMs } : {}),
    });
    closers.push(api.close);

    return {
      url: api.url,
      dataRoot,
      stateDir,
      env,
      config,
      app: localApp,
      sfn,
      lambda,
      clock,
      dlqFile,
      resumed: { executions: resumedExecutions, recovered },
      ...(buffers ? { buffers } : {}),
      endpoints: {
        api: api.url,
        dynamodb: dynamo.endpoint,
        s3: s3.endpoint,
        stepfunctions: sfnServer.endpoint,
        lambda: lambdaApi.endpoint,
        ...(buffers ? { dataBuffer: buffers.dataBufferUrl, imageBuffer: buffers.imageBufferUrl, archiver: buffers.archiverUrl, detectorBuffer: buffers.detectorBufferRoot } : {}),
        ...(detectorControl ? { detectorControl: detectorControl.url } : {}),
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

export type { RunningEmulator };
