/** Error names AWS services use when they throttle a caller. */
const THROTTLING = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'TooManyRequestsException',
  'RequestLimitExceeded', 'RequestThrottled', 'RequestThrottledException', 'SlowDown',
]);

export interface RetryOptions {
  /** Tries in all, the first included. @default 6 */
  readonly attempts?: number;
  /** First back-off, doubled each time, with jitter. @default 100 ms */
  readonly baseDelayMs?: number;
  /** Injected so tests do not wait. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

export function isThrottling(error: unknown): boolean {
  const e = error as { name?: string; $retryable?: { throttling?: boolean } } | undefined;
  return Boolean(e && (THROTTLING.has(e.name ?? '') || e.$retryable?.throttling));
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `call`, again after a back-off while AWS throttles it; any other error is thrown at once.
 * The SDK retries too, but a rollback must outlast a burst of throttling.
 */
export async function withThrottlingRetry<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 6;
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isThrottling(error) || attempt >= attempts) throw error;
      const delay = (options.baseDelayMs ?? 100) * 2 ** (attempt - 1);
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }
}
