import { isTransient } from '../../core/errors';

export interface RetryPolicy {
  /** Total attempts, the first included. */
  attempts: number;
  /** Delay before the first retry, ms; doubles each time up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

/**
 * Run `fn`, retrying transient faults (BufferUnavailable) with bounded
 * exponential backoff. Permanent errors pass through at once. `onRetry` lets
 * the caller log each retry (the retrieval logs count them).
 *
 * @example
 *   const rows = await withRetry(() => client.query(q), DEFAULT_RETRY, (e, n) => log(`retry ${n}: ${e.message}`));
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
  onRetry?: (error: Error, attempt: number, delayMs: number) => void,
): Promise<T> {
  let delay = policy.baseDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!isTransient(error) || attempt >= policy.attempts) throw error;
      onRetry?.(error as Error, attempt, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}
