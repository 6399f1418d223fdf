import '../../lib/runtime/polyfills';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { writeFileAtomic } from '../../lib/adapters/fs/safe-paths';
import type { RunningEmulator } from './dynamodb';

type TaskHandler = (input: unknown) => Promise<unknown>;

export interface LocalStateMachine {
  arn: string;
  definition: StateMachineDefinition;
  /** Task state name -> local handler (the same function Lambda would run). */
  taskHandlers: Record<string, TaskHandler>;
  /** Wait state name -> seconds (e.g. 0 in tests). */
  waitTimeOverrides?: Record<string, number>;
  /** Retry state name -> ms between retries (shortened locally). */
  retryIntervalOverrides?: Record<string, number | number[]>;
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
 * A local Step Functions service: speaks the real AWS JSON 1.0 protocol
 * (StartExecution, DescribeExecution, ListExecutions), so the AWS SDK's
 * SFNClient runs unchanged against it, and executes the very same ASL with
 * aws-local-stepfunctions, tasks bound to the local handlers.
 *
 * Unlike that library, executions are durable: each is a JSON file under
 * `stateDir`, and `resume()` re-runs every execution still RUNNING after a
 * restart (the tasks are idempotent: they overwrite their own temp files).
 */
export class LocalStepFunctions {
  private readonly machines = new Map<string, LocalStateMachine & { compiled: StateMachine }>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, { abort: () => void; done: Promise<void> }>();
  private server: Server | undefined;
  private closing = false;

  constructor(private readonly stateDir: string) {}

  register(machine: LocalStateMachine): void {
    // Built once: constructing a StateMachine validates the ASL (a fresh Ajv compile each time), which
    // cost ~90 ms of CPU per execution when done in run() (bench/acceptance.ts measured it).
    const compiled = new StateMachine(machine.definition, { validationOptions: { checkArn: false, checkPaths: false } });
    this.machines.set(machine.arn, { ...machine, compiled });
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

  /** Re-run executions left RUNNING by a previous process. */
  async resume(): Promise<number> {
    await mkdir(this.stateDir, { recursive: true });
    let resumed = 0;
    for (const file of await readdir(this.stateDir)) {
      if (!file.endsWith('.json')) continue;
      const record = JSON.parse(await readFile(join(this.stateDir, file), 'utf8')) as ExecutionRecord;
      this.executions.set(record.executionArn, record);
      if (record.status === 'RUNNING' && this.machines.has(record.stateMachineArn)) {
        this.run(record);
        resumed++;
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
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new ApiError('InvalidName', `Invalid Name: '${name}'`);
    const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const input = body.input ?? '{}';
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
        taskResourceLocalHandlers: machine.taskHandlers as never,
        ...(machine.waitTimeOverrides ? { waitTimeOverrides: machine.waitTimeOverrides } : {}),
        ...(machine.retryIntervalOverrides ? { retryIntervalOverrides: machine.retryIntervalOverrides } : {}),
      },
      noThrowOnAbort: true,
    });
    const done = execution.result.then(
      async (output) => {
        if (this.closing) return; // aborted by shutdown: stays RUNNING for resume
        Object.assign(record, { status: 'SUCCEEDED', stopDate: Date.now(), output: JSON.stringify(output ?? null) });
        await this.persist(record);
      },
      async (error: Error & { cause?: unknown }) => {
        if (this.closing) return;
        Object.assign(record, { status: 'FAILED', stopDate: Date.now(), error: error.name, cause: String(error.message) });
        await this.persist(record);
      },
    ).finally(() => this.running.delete(record.executionArn));
    this.running.set(record.executionArn, { abort: execution.abort, done });
  }

  private persist(record: ExecutionRecord): Promise<void> {
    return writeFileAtomic(join(this.stateDir, `${record.name}.json`), JSON.stringify(record, null, 2));
  }
}
