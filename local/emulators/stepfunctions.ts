import '../../lib/runtime/polyfills';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { writeFileAtomic } from '../../lib/adapters/fs/safe-paths';
import type { RunningEmulator } from './dynamodb';

/** Step Functions' payload limit: UTF-8 bytes of a state's JSON input, output, task input or result. */
export const PAYLOAD_LIMIT_BYTES = 262_144;
/** An inline Map runs at most this many iterations at once, whatever its MaxConcurrency says. */
export const INLINE_MAP_CONCURRENCY = 40;

/** What a Lambda task answers: Lambda Invoke's payload, with `functionError` set when the function failed. */
export interface TaskInvocation {
  payload: unknown;
  functionError?: string;
}

export interface LocalStateMachine {
  arn: string;
  definition: StateMachineDefinition;
  /** Task state name -> the function it invokes, and that function's timeout (s). */
  tasks: Record<string, { functionName: string; timeoutSeconds: number }>;
  /** Invokes a function as Lambda's RequestResponse Invoke does (the local Lambda service). */
  invoke: (functionName: string, input: unknown) => Promise<TaskInvocation>;
  /** Wait state name -> seconds (e.g. 0 in tests). */
  waitTimeOverrides?: Record<string, number>;
  /** Multiplies every Retry's IntervalSeconds and MaxDelaySeconds (e.g. 0.01 in tests), backoff kept. */
  retryTimeScale?: number;
}

interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

class ApiError extends Error {
  constructor(readonly type: string, message: string, readonly status = 400) {
    super(message);
  }
}

/**
 * An error Step Functions raises that no Retry or Catch handles
 * (`States.ALL` does not match it): the execution fails. The interpreter
 * honours `isRetryable` / `isCatchable`.
 */
class DataLimitExceeded extends Error {
  override readonly name = 'States.DataLimitExceeded';
  readonly isRetryable = false;
  readonly isCatchable = false;
}

/** A failed Lambda task as Step Functions sees it: Error = errorType, Cause = the error payload as a JSON string. */
class LambdaTaskError extends Error {
  constructor(errorType: string, cause: string) {
    super(cause);
    this.name = errorType;
  }
}

const utf8Bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');

function checkPayload(value: unknown, what: string): void {
  const bytes = utf8Bytes(value);
  if (bytes > PAYLOAD_LIMIT_BYTES) {
    throw new DataLimitExceeded(`The state/task '${what}' returned a result with a size exceeding the maximum number of bytes service limit (${bytes} > ${PAYLOAD_LIMIT_BYTES}).`);
  }
}

/** Characters AWS refuses in execution names (besides whitespace and control characters). */
const FORBIDDEN_NAME = /[\s?*<>{}[\]"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/u;

/**
 * The definition as AWS would run it: every Task without a timeout gets its
 * function's timeout plus a margin (AWS sets no task timeout, so the Lambda's
 * own timeout — `Sandbox.Timedout` — is what ends a long task; the library's
 * 60 s default is not AWS's), inline Maps capped at 40 concurrent
 * iterations, Retry intervals scaled for tests.
 */
function asAwsRunsIt(definition: StateMachineDefinition, machine: LocalStateMachine): StateMachineDefinition {
  const copy = JSON.parse(JSON.stringify(definition)) as { States: Record<string, Record<string, unknown>> };
  const scale = machine.retryTimeScale ?? 1;
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        const fn = machine.tasks[name];
        state.TimeoutSeconds = (fn?.timeoutSeconds ?? 900) + 5;
      }
      if (state.Type === 'Map') {
        const max = Number(state.MaxConcurrency ?? 0);
        state.MaxConcurrency = max === 0 || max > INLINE_MAP_CONCURRENCY ? INLINE_MAP_CONCURRENCY : max;
      }
      for (const retrier of (state.Retry as Array<Record<string, number>> | undefined) ?? []) {
        retrier.IntervalSeconds = (retrier.IntervalSeconds ?? 1) * scale;
        if (retrier.MaxDelaySeconds !== undefined) retrier.MaxDelaySeconds *= scale;
      }
      for (const nested of [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[]) ?? [])] as Array<{ States?: Record<string, Record<string, unknown>> } | undefined>) {
        if (nested?.States) walk(nested.States);
      }
    }
  };
  walk(copy.States);
  return copy as unknown as StateMachineDefinition;
}

/**
 * A local Step Functions service, as strict as AWS where it matters: speaks
 * the real AWS JSON 1.0 protocol (StartExecution, DescribeExecution,
 * ListExecutions) so the SDK's SFNClient runs unchanged against it, and
 * executes the very same ASL with aws-local-stepfunctions, its Lambda tasks
 * invoked through the local Lambda service (a process per instance).
 *
 * Enforced as on AWS (../shared/spec/aws-semantics.md):
 * - 262,144 UTF-8 bytes: StartExecution input (ValidationException); every
 *   Task's input and result, and the execution's output
 *   (`States.DataLimitExceeded`, which no Retry or Catch handles: the
 *   execution fails). The output of a Pass, Wait or Map state is checked when
 *   it reaches the next Task or the end, the first place a payload is handed
 *   on; for a definition whose paths end in a Task or the end, as ours do,
 *   the outcome is the same.
 * - Lambda task errors as Lambda reports them: Error = errorType, Cause =
 *   `{"errorType","errorMessage","trace"}` as a JSON string.
 * - No default task timeout (see asAwsRunsIt); inline Map at most 40 at once.
 * - Execution names: 1-80 characters, AWS's forbidden characters refused
 *   (InvalidName); the same name and input while running is the same
 *   execution; otherwise ExecutionAlreadyExists (names stay taken once closed).
 *
 * Executions are durable: each is a JSON file under `stateDir`, and
 * `resume()` re-runs every execution still RUNNING after a restart (the
 * tasks are idempotent: they overwrite their own temp files).
 */
export class LocalStepFunctions {
  private readonly machines = new Map<string, LocalStateMachine & { compiled: StateMachine; handlers: Record<string, (input: unknown) => Promise<unknown>> }>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, { abort: () => void; done: Promise<void> }>();
  private server: Server | undefined;
  private closing = false;

  constructor(private readonly stateDir: string) {}

  register(machine: LocalStateMachine): void {
    // Validated once as written (a fresh Ajv compile each time cost ~90 ms of CPU per execution when done
    // in run(), bench/acceptance.ts measured it), then run as AWS would run it.
    new StateMachine(machine.definition, { validationOptions: { checkArn: false, checkPaths: false } });
    const compiled = new StateMachine(asAwsRunsIt(machine.definition, machine), { validationOptions: { noValidate: true } });
    const handlers = Object.fromEntries(
      Object.entries(machine.tasks).map(([state, { functionName }]) => [state, async (input: unknown) => {
        checkPayload(input, state);
        const { payload, functionError } = await machine.invoke(functionName, input);
        if (functionError) {
          const error = (payload ?? {}) as { errorType?: unknown };
          throw new LambdaTaskError(typeof error.errorType === 'string' ? error.errorType : 'Lambda.Unknown', JSON.stringify(payload));
        }
        checkPayload(payload, state);
        return payload;
      }]),
    );
    this.machines.set(machine.arn, { ...machine, compiled, handlers });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<RunningEmulator> {
    await mkdir(this.stateDir, { recursive: true });
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const { port: bound } = this.server.address() as AddressInfo;
    return { endpoint: `http://${host}:${bound}`, close: () => this.close() };
  }

  /** Re-run executions left RUNNING by a previous process; returns their names. */
  async resume(): Promise<string[]> {
    await mkdir(this.stateDir, { recursive: true });
    const resumed: string[] = [];
    for (const file of await readdir(this.stateDir)) {
      if (!file.endsWith('.json')) continue;
      const record = JSON.parse(await readFile(join(this.stateDir, file), 'utf8')) as ExecutionRecord;
      this.executions.set(record.executionArn, record);
      if (record.status === 'RUNNING' && this.machines.has(record.stateMachineArn)) {
        this.run(record);
        resumed.push(record.name);
      }
    }
    return resumed;
  }

  /** Resolves when no execution is running (tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  async close(): Promise<void> {
    this.closing = true;
    // Abort in-flight runs without recording an outcome: they stay RUNNING on disk and resume next start.
    for (const run of this.running.values()) run.abort();
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  describe(executionArn: string): ExecutionRecord | undefined {
    return this.executions.get(executionArn);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    try {
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      const out = await this.dispatch(target.replace(/^AWSStepFunctions\./, ''), body);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(out));
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError('InternalFailure', (error as Error).message, 500);
      res.writeHead(e.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': e.type })
        .end(JSON.stringify({ __type: e.type, message: e.message }));
    }
  }

  private async dispatch(operation: string, body: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'StartExecution':
        return this.startExecution(body as { stateMachineArn: string; name?: string; input?: string });
      case 'DescribeExecution': {
        const record = this.executions.get(String(body.executionArn));
        if (!record) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(body.executionArn)}'`);
        return { ...record, startDate: record.startDate / 1000, ...(record.stopDate ? { stopDate: record.stopDate / 1000 } : {}) };
      }
      case 'ListExecutions': {
        const list = [...this.executions.values()]
          .filter((r) => r.stateMachineArn === body.stateMachineArn && (!body.statusFilter || r.status === body.statusFilter))
          .map(({ executionArn, stateMachineArn, name, status, startDate, stopDate }) => ({
            executionArn, stateMachineArn, name, status, startDate: startDate / 1000, ...(stopDate ? { stopDate: stopDate / 1000 } : {}),
          }));
        return { executions: list };
      }
      default:
        throw new ApiError('UnknownOperationException', `operation ${operation} is not emulated locally`);
    }
  }

  private async startExecution(body: { stateMachineArn: string; name?: string; input?: string }): Promise<unknown> {
    if (this.closing) throw new ApiError('ServiceUnavailable', 'the local Step Functions service is shutting down', 503);
    const machine = this.machines.get(body.stateMachineArn);
    if (!machine) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${body.stateMachineArn}'`);
    const name = body.name ?? crypto.randomUUID();
    if (name.length < 1 || name.length > 80) throw new ApiError('ValidationException', `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80`);
    if (FORBIDDEN_NAME.test(name)) throw new ApiError('InvalidName', `Invalid Name: '${name}'`);
    const input = body.input ?? '{}';
    const inputBytes = Buffer.byteLength(input, 'utf8');
    if (inputBytes > PAYLOAD_LIMIT_BYTES) {
      throw new ApiError('ValidationException', `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${PAYLOAD_LIMIT_BYTES} (got ${inputBytes} bytes)`);
    }
    try {
      JSON.parse(input);
    } catch {
      throw new ApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input is not valid JSON');
    }
    const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // AWS: the same name and input while running is idempotent; anything else is ExecutionAlreadyExists.
      if (existing.status === 'RUNNING' && existing.input === input) return { executionArn, startDate: existing.startDate / 1000 };
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = { executionArn, stateMachineArn: machine.arn, name, status: 'RUNNING', startDate: Date.now(), input };
    this.executions.set(executionArn, record);
    await this.persist(record);
    this.run(record);
    return { executionArn, startDate: record.startDate / 1000 };
  }

  private run(record: ExecutionRecord): void {
    const machine = this.machines.get(record.stateMachineArn)!;
    const execution = machine.compiled.run(JSON.parse(record.input), {
      overrides: {
        taskResourceLocalHandlers: machine.handlers as never,
        ...(machine.waitTimeOverrides ? { waitTimeOverrides: machine.waitTimeOverrides } : {}),
      },
      noThrowOnAbort: true,
    });
    const done = execution.result.then(
      async (output) => {
        if (this.closing) return; // aborted by shutdown: stays RUNNING for resume
        try {
          checkPayload(output ?? null, 'execution output');
        } catch (error) {
          Object.assign(record, { status: 'FAILED', stopDate: Date.now(), error: (error as Error).name, cause: (error as Error).message });
          return this.persist(record);
        }
        Object.assign(record, { status: 'SUCCEEDED', stopDate: Date.now(), output: JSON.stringify(output ?? null) });
        await this.persist(record);
      },
      async (error: Error & { cause?: unknown }) => {
        if (this.closing) return;
        // The interpreter wraps the state's error (ExecutionError); AWS reports the state's own Error and Cause.
        const cause = error.cause instanceof Error ? error.cause : error;
        Object.assign(record, { status: 'FAILED', stopDate: Date.now(), error: cause.name, cause: cause.message });
        await this.persist(record);
      },
    ).finally(() => this.running.delete(record.executionArn));
    this.running.set(record.executionArn, { abort: execution.abort, done });
  }

  private persist(record: ExecutionRecord): Promise<void> {
    return writeFileAtomic(join(this.stateDir, `${record.name}.json`), JSON.stringify(record, null, 2));
  }
}
