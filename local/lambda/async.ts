import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LIMITS, type InvokeResult } from './errors';

export interface AsyncSettings {
  /** Waits before the retries, ms (AWS: about 1 min, then 2 min; tests pass e.g. [50, 100]). */
  retryDelaysMs?: number[];
  /** Retries after the first attempt, 0..2 (AWS default 2). */
  maximumRetryAttempts?: number;
  /** An event older than this is not tried again (AWS default 6 h). */
  maximumEventAgeMs?: number;
  /** Largest event, bytes of JSON (default 262,144). */
  maxEventBytes?: number;
  /** The on-failure destination: a JSON line per failed event (a stand-in for the SQS dead-letter queue). */
  dlqFile?: string;
  /** The on-failure destination as a callback (called besides dlqFile). */
  onFailure?: (record: DestinationRecord) => void;
}

/** Lambda's on-failure destination record (asynchronous invocation). */
export interface DestinationRecord {
  version: '1.0';
  timestamp: string;
  requestContext: { requestId: string; functionArn: string; condition: 'RetriesExhausted' | 'EventAgeExceeded'; approximateInvokeCount: number };
  requestPayload: unknown;
  responseContext: { statusCode: 200; executedVersion: '$LATEST'; functionError: 'Unhandled' };
  responsePayload: unknown;
}

interface Queued {
  functionName: string;
  functionArn: string;
  payloadJson: string;
  requestId: string;
}

type Run = (functionName: string, payloadJson: string, requestId: string) => Promise<InvokeResult>;

/**
 * Lambda's internal queue for InvocationType Event: each event runs soon
 * after it was accepted; a function error is retried twice (after the
 * configured waits), keeping the request id, then the event goes to the
 * on-failure destination. Only function errors are modelled (no throttling).
 */
export class AsyncInvocations {
  readonly maxEventBytes: number;
  private readonly delays: number[];
  private readonly retries: number;
  private readonly maxAgeMs: number;
  private readonly work = new Set<Promise<void>>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private closed = false;

  constructor(private readonly settings: AsyncSettings, private readonly run: Run) {
    this.maxEventBytes = settings.maxEventBytes ?? LIMITS.asyncRequestBytes;
    this.delays = settings.retryDelaysMs ?? [60_000, 120_000];
    this.retries = Math.min(2, Math.max(0, settings.maximumRetryAttempts ?? 2));
    this.maxAgeMs = settings.maximumEventAgeMs ?? 6 * 3600_000;
  }

  get pending(): number {
    return this.work.size;
  }

  enqueue(event: Queued): void {
    const job = this.process(event).catch(() => undefined).finally(() => this.work.delete(job));
    this.work.add(job);
  }

  async drain(): Promise<void> {
    while (this.work.size) await Promise.allSettled([...this.work]);
  }

  /** Pending waits end now and nothing more runs or is recorded. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.resolve();
    }
    this.timers.clear();
  }

  private async process(event: Queued): Promise<void> {
    const accepted = Date.now();
    await this.sleep(0);
    let attempts = 0;
    for (;;) {
      if (this.closed) return;
      attempts++;
      const result = await this.run(event.functionName, event.payloadJson, event.requestId).catch((error: Error) => ({
        requestId: event.requestId, functionError: 'Unhandled' as const, payload: { errorType: error.name, errorMessage: error.message },
      }));
      if (this.closed) return;
      if (!result.functionError) return;
      if (attempts > this.retries) return this.fail(event, 'RetriesExhausted', attempts, result.payload);
      const delay = this.delays[Math.min(attempts - 1, this.delays.length - 1)] ?? 0;
      if (Date.now() + delay - accepted > this.maxAgeMs) return this.fail(event, 'EventAgeExceeded', attempts, result.payload);
      await this.sleep(delay);
    }
  }

  private async fail(event: Queued, condition: DestinationRecord['requestContext']['condition'], attempts: number, responsePayload: unknown): Promise<void> {
    const record: DestinationRecord = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: { requestId: event.requestId, functionArn: event.functionArn, condition, approximateInvokeCount: attempts },
      requestPayload: JSON.parse(event.payloadJson),
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload,
    };
    this.settings.onFailure?.(record);
    if (this.settings.dlqFile) {
      await mkdir(dirname(this.settings.dlqFile), { recursive: true });
      await appendFile(this.settings.dlqFile, JSON.stringify(record) + '\n');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        resolve,
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
      };
      this.timers.add(entry);
    });
  }
}
