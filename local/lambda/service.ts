import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { AsyncInvocations, type AsyncSettings } from './async';
import {
  LIMITS, RequestTooLargeException, ResourceNotFoundException, responseTooLarge, timedOut,
  type InvokeResult, type LambdaErrorPayload,
} from './errors';
import { Instance, type LogSink } from './instance';
import { startInvokeApi, type InvokeApi } from './invoke-api';

/** One function as deployed: its bundle, its settings, the environment its instances see. */
export interface LambdaFunction {
  name: string;
  /** The bundle to import (bundleFunctions' `file`). */
  file: string;
  /** The export to call (`handler`; a dotted path reaches nested exports, as the runtime allows). */
  exportName: string;
  /** As written in serverless.yml (`functions/retrieve.handler`), for the runtime's messages; default `<file>.<exportName>`. */
  handler?: string;
  /** The package directory, the instances' working directory and LAMBDA_TASK_ROOT (default: the bundle's directory). */
  codeDir?: string;
  timeoutSeconds: number;
  memoryMb: number;
  /**
   * The function's environment, complete: the service's own process.env is not
   * passed on. Lambda's reserved variables (AWS_LAMBDA_FUNCTION_NAME, _HANDLER,
   * AWS_REGION...) are set over it.
   */
  environment: Record<string, string>;
  /**
   * Scheduling priority of its instances (nice; default 0). On AWS every
   * execution environment has its own share of CPU; on a machine of two cores
   * a function answering people (the HTTP API) would queue behind busy
   * workers. A higher niceness for batch functions stands in for that.
   */
  niceness?: number;
}

export interface LocalLambdaServiceOptions {
  functions: LambdaFunction[];
  /**
   * Execution environments per function at most (default 16). When all are busy
   * an invocation waits for one to be free. AWS would start more, up to the
   * account's concurrency (1,000 by default) and only then throttle (429
   * TooManyRequestsException); the cap keeps a 2-core machine usable.
   */
  maxInstancesPerFunction?: number;
  /** An instance idle this long is stopped; the next call is a cold start (default 300,000 ms; AWS: minutes, unspecified). */
  idleInstanceMs?: number;
  /** Instances' output, line by line (default: stdout/stderr lines to this process's stderr, prefixed with the function name). */
  logSink?: LogSink;
  /** Asynchronous invocations (InvocationType Event): retries and the on-failure record. */
  async?: AsyncSettings;
  region?: string;
  accountId?: string;
  /** Resident-memory sampling of busy instances, ms (default 100; 0 = only the V8 heap limit applies). */
  memoryCheckMs?: number;
  /** Cold start (import of the bundle) allowed before it counts against the function's timeout (AWS: 10 s). */
  initLimitMs?: number;
}

/** A function's counters, for tests and benchmarks. */
export interface FunctionStats {
  instances: number;
  busy: number;
  idle: number;
  pids: number[];
  coldStarts: number;
  invocations: number;
  functionErrors: number;
  timeouts: number;
  /** Cold start durations (fork to handler found), ms. */
  initMs: number[];
}

interface Pool {
  fn: LambdaFunction;
  /** Bumped by updateFunctionConfiguration: instances of an older generation are not reused. */
  generation: number;
  generations: Map<Instance, number>;
  arn: string;
  instances: Set<Instance>;
  idle: Instance[];
  idleTimers: Map<Instance, NodeJS.Timeout>;
  waiters: Array<{ resolve: (lease: Lease) => void; reject: (error: Error) => void }>;
  stats: Omit<FunctionStats, 'instances' | 'busy' | 'idle' | 'pids'>;
}

interface Lease {
  instance: Instance;
  cold: boolean;
}

const defaultSink: LogSink = (functionName, stream, line) => {
  if (stream !== 'platform') process.stderr.write(`[${functionName}] ${line}\n`);
};

/**
 * The local Lambda service: every function runs in its own execution
 * environments, separate Node processes started from the deployed bundle,
 * each serving one event at a time and keeping its module state between
 * events, with Lambda's limits: timeout (the process is killed:
 * Sandbox.Timedout), memory, payload sizes, and Lambda's answers for crashes,
 * unhandled rejections and errors. Two services can run in one process; none
 * reads or changes process.env.
 *
 * @example
 *   const bundles = await bundleFunctions();
 *   const lambda = new LocalLambdaService({ functions: lambdaFunctions(bundles, settings, env) });
 *   const { payload, functionError } = await lambda.invoke('openapi', event);
 *   await lambda.close();
 */
export class LocalLambdaService {
  private readonly pools = new Map<string, Pool>();
  private readonly maxInstances: number;
  private readonly idleMs: number;
  private readonly sink: LogSink;
  private readonly region: string;
  private readonly accountId: string;
  private readonly memoryCheckMs: number;
  private readonly initLimitMs: number;
  private readonly asyncInvocations: AsyncInvocations;
  private readonly servers = new Set<InvokeApi>();
  private closed = false;

  constructor(options: LocalLambdaServiceOptions) {
    this.maxInstances = options.maxInstancesPerFunction ?? 16;
    this.idleMs = options.idleInstanceMs ?? 300_000;
    this.sink = options.logSink ?? defaultSink;
    this.region = options.region ?? 'eu-central-1';
    this.accountId = options.accountId ?? '000000000000';
    this.memoryCheckMs = options.memoryCheckMs ?? 100;
    this.initLimitMs = options.initLimitMs ?? 10_000;
    for (const fn of options.functions) {
      if (this.pools.has(fn.name)) throw new Error(`function ${fn.name} given twice`);
      this.pools.set(fn.name, {
        fn,
        generation: 0,
        generations: new Map(),
        arn: this.arn(fn.name),
        instances: new Set(),
        idle: [],
        idleTimers: new Map(),
        waiters: [],
        stats: { coldStarts: 0, invocations: 0, functionErrors: 0, timeouts: 0, initMs: [] },
      });
    }
    this.asyncInvocations = new AsyncInvocations(options.async ?? {}, (name, json, requestId) => this.run(this.pool(name), json, requestId, false));
  }

  /** `arn:aws:lambda:<region>:<account>:function:<name>` */
  arn(functionName: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${functionName}`;
  }

  /** Largest asynchronous event, bytes. */
  get asyncEventLimit(): number {
    return this.asyncInvocations.maxEventBytes;
  }

  get functionNames(): string[] {
    return [...this.pools.keys()];
  }

  /**
   * Invoke (RequestResponse): the function's result, or `functionError:
   * 'Unhandled'` with Lambda's error payload. Throws (as an SDK would) for an
   * unknown function (ResourceNotFoundException) or a request over 6 MB
   * (name `RequestEntityTooLargeException`, the code the service sends).
   */
  async invoke(functionName: string, event: unknown, options: { logTail?: boolean } = {}): Promise<InvokeResult> {
    return this.invokeJson(functionName, JSON.stringify(event === undefined ? null : event), options);
  }

  /** Invoke with the payload as JSON text, as it comes over the wire. */
  async invokeJson(functionName: string, payloadJson: string, options: { logTail?: boolean } = {}): Promise<InvokeResult> {
    const pool = this.pool(functionName);
    if (Buffer.byteLength(payloadJson) > LIMITS.syncRequestBytes) throw RequestTooLargeException.sync();
    return this.run(pool, payloadJson, randomUUID(), options.logTail ?? false);
  }

  /**
   * Invoke with InvocationType Event: checks the function and the 256 KB
   * limit, then returns at once (HTTP 202); the event runs later, is retried
   * on a function error and finally lands in the on-failure record.
   */
  async invokeAsync(functionName: string, event: unknown): Promise<{ requestId: string; statusCode: 202 }> {
    return this.invokeAsyncJson(functionName, JSON.stringify(event === undefined ? null : event));
  }

  async invokeAsyncJson(functionName: string, payloadJson: string): Promise<{ requestId: string; statusCode: 202 }> {
    const pool = this.pool(functionName);
    const bytes = Buffer.byteLength(payloadJson);
    const limit = this.asyncInvocations.maxEventBytes;
    if (bytes > limit) throw RequestTooLargeException.async(bytes, limit);
    if (this.closed) throw new Error('LocalLambdaService is closed');
    const requestId = randomUUID();
    this.asyncInvocations.enqueue({ functionName, functionArn: `${pool.arn}:$LATEST`, payloadJson, requestId });
    return { requestId, statusCode: 202 };
  }

  /**
   * Change a function's environment, timeout or memory, as UpdateFunctionConfiguration does:
   * later events run in new environments (idle instances are stopped now, busy ones after their event).
   *
   * @example lambda.updateFunctionConfiguration('retrieve', { environment: { ...env, SFDAQ_IDEMPOTENCY_TTL_SECONDS: '1' } });
   */
  async updateFunctionConfiguration(functionName: string, change: Partial<Pick<LambdaFunction, 'environment' | 'timeoutSeconds' | 'memoryMb'>>): Promise<void> {
    const pool = this.pool(functionName);
    pool.fn = { ...pool.fn, ...change };
    pool.generation++;
    const idle = pool.idle.splice(0);
    for (const instance of idle) {
      clearTimeout(pool.idleTimers.get(instance));
      pool.idleTimers.delete(instance);
      pool.instances.delete(instance);
    }
    await Promise.all(idle.map((instance) => instance.kill()));
  }

  /** The configuration a function's new environments get. */
  configuration(functionName: string): LambdaFunction {
    return { ...this.pool(functionName).fn };
  }

  /** Resolves when every asynchronous event has succeeded or been recorded as failed (retry waits included). */
  drainAsync(): Promise<void> {
    return this.asyncInvocations.drain();
  }

  /** The Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`) for SDK clients (`AWS_ENDPOINT_URL_LAMBDA`). */
  async listen(port = 0, host = '127.0.0.1'): Promise<InvokeApi> {
    const api = await startInvokeApi(this, port, host);
    this.servers.add(api);
    return api;
  }

  stats(): { functions: Record<string, FunctionStats>; asyncPending: number } {
    const functions: Record<string, FunctionStats> = {};
    for (const [name, pool] of this.pools) {
      const all = [...pool.instances];
      functions[name] = {
        ...pool.stats,
        initMs: [...pool.stats.initMs],
        instances: all.length,
        busy: all.filter((i) => i.state === 'busy').length,
        idle: pool.idle.length,
        pids: all.map((i) => i.pid),
      };
    }
    return { functions, asyncPending: this.asyncInvocations.pending };
  }

  /** Stop every instance (SIGKILL) and the Invoke API; pending async events are dropped. Resolves when all processes are gone. */
  async close(): Promise<void> {
    this.closed = true;
    this.asyncInvocations.close();
    await Promise.all([...this.servers].map((s) => s.close()));
    const gone: Array<Promise<void>> = [];
    for (const pool of this.pools.values()) {
      for (const waiter of pool.waiters.splice(0)) waiter.reject(new Error('LocalLambdaService is closed'));
      for (const timer of pool.idleTimers.values()) clearTimeout(timer);
      pool.idleTimers.clear();
      pool.idle = [];
      for (const instance of pool.instances) gone.push(instance.kill());
    }
    await Promise.all(gone);
  }

  private pool(functionName: string): Pool {
    const pool = this.pools.get(functionName);
    if (!pool) throw new ResourceNotFoundException(this.arn(functionName));
    return pool;
  }

  /** One invocation on a free (or new) instance, with the cold start, the timeout and the response limit. */
  private async run(pool: Pool, payloadJson: string, requestId: string, logTail: boolean): Promise<InvokeResult> {
    const { fn } = pool;
    const timeoutMs = fn.timeoutSeconds * 1000;
    const lease = await this.acquire(pool);
    const { instance } = lease;
    const started = performance.now();
    this.sink(fn.name, 'platform', `START RequestId: ${requestId} Version: $LATEST`);
    pool.stats.invocations++;
    let error: LambdaErrorPayload | undefined;
    let payload: unknown;
    let recycle = false;
    let logs: string[] = [];
    let budgetMs = timeoutMs;
    if (lease.cold) {
      // AWS: init gets 10 s of its own; beyond that it runs again within the invocation's timeout.
      const init = await instance.ready(requestId, this.initLimitMs + timeoutMs, fn.timeoutSeconds);
      pool.stats.coldStarts++;
      pool.stats.initMs.push(instance.initMs);
      budgetMs = timeoutMs - Math.max(0, instance.initMs - this.initLimitMs);
      if (!init.ok) {
        error = init.error;
        recycle = true;
      }
    }
    if (!error) {
      const outcome = budgetMs <= 0
        ? { kind: 'error' as const, error: timedOut(requestId, fn.timeoutSeconds), recycle: true, logs: [] }
        : await instance.invoke({ requestId, payloadJson, deadlineMs: Date.now() + budgetMs, timeoutSeconds: fn.timeoutSeconds, invokedFunctionArn: pool.arn });
      recycle = outcome.recycle;
      logs = outcome.logs;
      if (outcome.kind === 'error') error = outcome.error;
      else if (Buffer.byteLength(outcome.payloadJson) > LIMITS.syncResponseBytes) {
        // AWS then reports the runtime as exited (Runtime.ExitError in the REPORT line): a cold start follows.
        error = responseTooLarge();
        recycle = true;
      } else payload = JSON.parse(outcome.payloadJson);
    }
    if (error) pool.stats.functionErrors++;
    if (error?.errorType === 'Sandbox.Timedout') pool.stats.timeouts++;
    const report = this.report(requestId, fn, instance, performance.now() - started, lease.cold, error);
    this.release(pool, instance, recycle);
    const tail = logTail ? { logTail: tailOf([`START RequestId: ${requestId} Version: $LATEST`, ...logs, ...report]) } : {};
    return error ? { requestId, functionError: 'Unhandled', payload: error, ...tail } : { requestId, payload, ...tail };
  }

  private report(requestId: string, fn: LambdaFunction, instance: Instance, ms: number, cold: boolean, error?: LambdaErrorPayload): string[] {
    const lines = [
      `END RequestId: ${requestId}`,
      `REPORT RequestId: ${requestId}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${Math.ceil(ms)} ms\tMemory Size: ${fn.memoryMb} MB\tMax Memory Used: ${Math.ceil(instance.maxRssBytes / 1048576)} MB`
        + (cold ? `\tInit Duration: ${instance.initMs.toFixed(2)} ms` : '')
        + (error ? `\tStatus: error\tError Type: ${error.errorType}` : ''),
    ];
    for (const line of lines) this.sink(fn.name, 'platform', line);
    return lines;
  }

  private acquire(pool: Pool): Promise<Lease> {
    if (this.closed) return Promise.reject(new Error('LocalLambdaService is closed'));
    const idle = pool.idle.pop();
    if (idle) {
      clearTimeout(pool.idleTimers.get(idle));
      pool.idleTimers.delete(idle);
      return Promise.resolve({ instance: idle, cold: false });
    }
    if (pool.instances.size < this.maxInstances) return Promise.resolve(this.spawn(pool));
    return new Promise((resolve, reject) => pool.waiters.push({ resolve, reject }));
  }

  private spawn(pool: Pool): Lease {
    const { fn } = pool;
    const codeDir = fn.codeDir ?? dirname(fn.file);
    const instanceId = randomUUID().replaceAll('-', '');
    const instance = new Instance({
      functionName: fn.name,
      file: fn.file,
      exportName: fn.exportName,
      handler: fn.handler ?? `${fn.file}.${fn.exportName}`,
      memoryMb: fn.memoryMb,
      cwd: codeDir,
      sink: this.sink,
      memoryCheckMs: this.memoryCheckMs,
      env: this.environment(fn, codeDir, instanceId),
      ...(fn.niceness ? { niceness: fn.niceness } : {}),
    });
    pool.instances.add(instance);
    pool.generations.set(instance, pool.generation);
    void instance.gone.then(() => this.forget(pool, instance));
    return { instance, cold: true };
  }

  /** What Lambda sets in every environment, over the function's own variables. */
  private environment(fn: LambdaFunction, codeDir: string, instanceId: string): Record<string, string> {
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    return {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      ...fn.environment,
      _HANDLER: fn.handler ?? fn.exportName,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${instanceId}`,
      LAMBDA_TASK_ROOT: codeDir,
    };
  }

  private release(pool: Pool, instance: Instance, recycle: boolean): void {
    if (recycle || instance.state === 'dead' || pool.generations.get(instance) !== pool.generation) {
      pool.instances.delete(instance);
      void instance.kill();
      this.serveWaiter(pool);
      return;
    }
    const waiter = pool.waiters.shift();
    if (waiter) return waiter.resolve({ instance, cold: false });
    pool.idle.push(instance);
    const timer = setTimeout(() => {
      pool.idleTimers.delete(instance);
      pool.idle = pool.idle.filter((i) => i !== instance);
      pool.instances.delete(instance);
      void instance.kill();
    }, this.idleMs);
    timer.unref();
    pool.idleTimers.set(instance, timer);
  }

  /** An instance is gone (killed, crashed while idle): it leaves the pool, and its slot may serve a waiter. */
  private forget(pool: Pool, instance: Instance): void {
    pool.generations.delete(instance);
    clearTimeout(pool.idleTimers.get(instance));
    pool.idleTimers.delete(instance);
    pool.idle = pool.idle.filter((i) => i !== instance);
    if (pool.instances.delete(instance)) this.serveWaiter(pool);
  }

  private serveWaiter(pool: Pool): void {
    if (this.closed || pool.waiters.length === 0 || pool.instances.size >= this.maxInstances) return;
    pool.waiters.shift()!.resolve(this.spawn(pool));
  }
}

/** The last 4 KB of an invocation's log, base64 (`X-Amz-Log-Result` with LogType Tail). */
function tailOf(lines: string[]): string {
  const text = Buffer.from(lines.join('\n') + '\n');
  return text.subarray(Math.max(0, text.length - 4096)).toString('base64');
}
