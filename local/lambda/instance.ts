import { setPriority } from 'node:os';
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { exited, timedOut, type LambdaErrorPayload } from './errors';

const BOOTSTRAP = fileURLToPath(new URL('./runtime/bootstrap.mjs', import.meta.url));

export type LogStream = 'stdout' | 'stderr' | 'platform';
/** Where an instance's output goes, line by line (`platform`: START/END/REPORT lines as Lambda writes them). */
export type LogSink = (functionName: string, stream: LogStream, line: string) => void;

export interface InstanceOptions {
  functionName: string;
  /** The bundle and the export path the runtime calls. */
  file: string;
  exportName: string;
  /** As serverless.yml names it (for the runtime's HandlerNotFound message). */
  handler: string;
  memoryMb: number;
  /** The whole environment of the process (nothing is inherited from the service's process). */
  env: Record<string, string>;
  cwd: string;
  sink: LogSink;
  /** How often the resident memory of a busy instance is sampled (0: never). */
  memoryCheckMs: number;
  /** Scheduling priority of the process (nice, 0 = normal, up to 19 = lowest). */
  niceness?: number;
}

export type Outcome =
  | { kind: 'result'; payloadJson: string; recycle: boolean; logs: string[] }
  | { kind: 'error'; error: LambdaErrorPayload; recycle: boolean; logs: string[] };

type Message =
  | { type: 'ready' }
  | { type: 'init-error'; error: LambdaErrorPayload }
  | { type: 'result'; requestId: string; payload: string }
  | { type: 'error'; requestId: string; error: LambdaErrorPayload; fatal?: boolean }
  | { type: 'fatal'; error: LambdaErrorPayload };

/**
 * Node flags as Lambda's nodejs bootstrap sets them from the memory size:
 * new space = memory/10, semi space = half of it, old space = the rest. On
 * AWS the memory size bounds the whole sandbox (heap, buffers, WebAssembly
 * memory), not only the V8 heap: the service also samples the resident set
 * size and kills an instance that goes over it.
 */
export function lambdaNodeArgs(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return ['--expose-gc', '--max-http-header-size=81920', `--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

const HEAP_OOM = /JavaScript heap out of memory|Reached heap limit|Allocation failed - process out of memory/;

/** Children still running, killed if the service's process exits without closing them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** One execution environment: a forked Node process running the runtime bootstrap with one bundle. */
export class Instance {
  readonly pid: number;
  state: 'starting' | 'idle' | 'busy' | 'dead' = 'starting';
  /** Cold start: fork until the bundle was imported, ms. */
  initMs = 0;
  maxRssBytes = 0;
  /** Resolves when the process is gone. */
  readonly gone: Promise<void>;

  private readonly child: ChildProcess;
  private readonly started = performance.now();
  private outOfMemory = false;
  private killedForTimeout = false;
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private waiter?: (message: Message | { type: 'exit' }) => void;
  private logs: string[] = [];
  private sampler?: NodeJS.Timeout;

  constructor(private readonly options: InstanceOptions) {
    this.child = fork(BOOTSTRAP, [options.file, options.exportName, options.handler], {
      execPath: process.execPath,
      execArgv: lambdaNodeArgs(options.memoryMb),
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.pid = this.child.pid ?? -1;
    if (options.niceness && this.pid > 0) {
      try {
        setPriority(this.pid, options.niceness);
      } catch {
        // not permitted here: the instance runs at normal priority
      }
    }
    track(this.child);
    this.lines(this.child.stdout!, 'stdout');
    this.lines(this.child.stderr!, 'stderr');
    this.gone = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        this.state = 'dead';
        this.stopSampling();
        this.waiter?.({ type: 'exit' });
        resolve();
      });
    });
    this.child.on('message', (message: Message) => {
      if (message.type === 'fatal' || (message.type === 'error' && message.fatal)) this.state = 'dead';
      this.waiter?.(message);
    });
    this.child.on('error', () => undefined); // a failed send to a dying child; its exit is handled above
    this.startSampling();
  }

  /**
   * Wait for the cold start: the bundle imported and the handler found.
   * `limitMs` bounds it (Sandbox.Timedout after it). The error is what the
   * invocation that caused the cold start returns.
   */
  async ready(requestId: string, limitMs: number, timeoutSeconds: number): Promise<{ ok: true } | { ok: false; error: LambdaErrorPayload }> {
    const message = await this.next(limitMs);
    this.initMs = performance.now() - this.started;
    if (message.type === 'ready') {
      this.idle();
      return { ok: true };
    }
    if (message.type === 'init-error') {
      this.state = 'dead';
      return { ok: false, error: message.error };
    }
    return { ok: false, error: this.deathPayload(requestId, timeoutSeconds) };
  }

  /** Run one event (its JSON text); the instance must be idle. */
  async invoke(request: { requestId: string; payloadJson: string; deadlineMs: number; timeoutSeconds: number; invokedFunctionArn: string }): Promise<Outcome> {
    if (this.state !== 'idle') throw new Error(`instance ${this.pid} of ${this.options.functionName} is ${this.state}, not idle`);
    this.state = 'busy';
    this.logs = [];
    this.ref(true);
    this.startSampling();
    this.child.send({ type: 'invoke', requestId: request.requestId, payload: request.payloadJson, deadlineMs: request.deadlineMs, invokedFunctionArn: request.invokedFunctionArn });
    for (;;) {
      const message = await this.next(Math.max(0, request.deadlineMs - Date.now()));
      const logs = this.logs;
      if (message.type === 'result' && message.requestId === request.requestId) {
        this.idle();
        return { kind: 'result', payloadJson: message.payload, recycle: false, logs };
      }
      if (message.type === 'error' && message.requestId === request.requestId) {
        const fatal = Boolean(message.fatal);
        if (!fatal) this.idle();
        return { kind: 'error', error: message.error, recycle: fatal, logs };
      }
      if (message.type === 'exit' || message.type === 'timeout') {
        return { kind: 'error', error: this.deathPayload(request.requestId, request.timeoutSeconds), recycle: true, logs };
      }
      // 'fatal' for an earlier invocation, or a stray message: keep waiting (the exit follows a fatal one).
    }
  }

  /** Stop the process (SIGKILL, as Lambda stops an environment) and wait until it is gone. */
  async kill(): Promise<void> {
    if (this.exit === undefined) {
      this.ref(true); // whoever awaits this must see the exit
      this.child.kill('SIGKILL');
    }
    await this.gone;
  }

  private deathPayload(requestId: string, timeoutSeconds: number): LambdaErrorPayload {
    if (this.killedForTimeout) return timedOut(requestId, timeoutSeconds);
    return exited(requestId, this.exit?.code ?? null, this.exit?.signal ?? null, this.outOfMemory);
  }

  /** The next message, the exit, or 'timeout' after `ms` (then the process is killed). */
  private next(ms: number): Promise<Message | { type: 'exit' } | { type: 'timeout' }> {
    if (this.exit) return Promise.resolve({ type: 'exit' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        this.killedForTimeout = true;
        this.child.kill('SIGKILL');
        void this.gone.then(() => resolve({ type: 'timeout' }));
      }, ms);
      this.waiter = (message) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(message);
      };
    });
  }

  private idle(): void {
    if (this.state === 'dead') return;
    this.sampleNow();
    this.state = 'idle';
    this.stopSampling();
    this.ref(false);
  }

  /** A busy instance keeps the service's process alive; an idle one does not (Lambda freezes it). */
  private ref(on: boolean): void {
    const handles = [this.child, this.child.channel, this.child.stdout, this.child.stderr] as Array<{ ref?: () => void; unref?: () => void } | null | undefined>;
    for (const handle of handles) (on ? handle?.ref : handle?.unref)?.call(handle);
  }

  private lines(stream: Readable, name: 'stdout' | 'stderr'): void {
    let rest = '';
    stream.setEncoding('utf8');
    const emit = (line: string) => {
      if (name === 'stderr' && HEAP_OOM.test(line)) this.outOfMemory = true;
      if (this.state === 'busy') {
        this.logs.push(line);
        if (this.logs.length > 200) this.logs.shift();
      }
      try {
        this.options.sink(this.options.functionName, name, line);
      } catch {
        // a failing sink must not take the instance down
      }
    };
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      for (const line of parts) emit(line);
    });
    stream.on('end', () => {
      if (rest) emit(rest);
      rest = '';
    });
  }

  /** Resident memory over the memory size: killed, reported as Runtime.OutOfMemory (Lambda's sandbox limit covers the whole process). */
  private startSampling(): void {
    if (this.options.memoryCheckMs <= 0 || this.sampler || process.platform !== 'linux') return;
    const limit = this.options.memoryMb * 1024 * 1024;
    this.sampler = setInterval(() => {
      readFile(`/proc/${this.pid}/status`, 'utf8').then((status) => {
        const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0);
        const rss = kb * 1024;
        if (rss > this.maxRssBytes) this.maxRssBytes = rss;
        if (rss > limit && this.exit === undefined && (this.state === 'busy' || this.state === 'starting')) {
          this.outOfMemory = true;
          this.child.kill('SIGKILL');
        }
      }, () => undefined);
    }, this.options.memoryCheckMs);
    this.sampler.unref();
  }

  /** One reading at the end of an invocation, so short ones get a "Max Memory Used" too. */
  private sampleNow(): void {
    if (this.options.memoryCheckMs <= 0 || process.platform !== 'linux') return;
    try {
      const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1] ?? 0);
      this.maxRssBytes = Math.max(this.maxRssBytes, kb * 1024);
    } catch {
      // gone already
    }
  }

  private stopSampling(): void {
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = undefined;
  }
}
