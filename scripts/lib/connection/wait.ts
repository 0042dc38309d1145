/** Bounded exponential backoff: waiting for a database that is still being created or resumed. */
export interface WaitOptions {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** First delay; doubles each attempt up to `maxDelayMs`. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Called after every failed attempt, e.g. to print a progress line. */
  readonly onRetry?: (attempt: number, delayMs: number, error: Error) => void;
}

/** The delays between attempts, before jitter: initial, doubled, capped. */
export function backoffDelays(initialDelayMs: number, maxDelayMs: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.min(maxDelayMs, initialDelayMs * 2 ** i));
}

export class WaitTimeout extends Error {
  constructor(readonly attempts: number, readonly lastError: Error) {
    super(`gave up after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${lastError.message}`);
    this.name = "WaitTimeout";
  }
}

/**
 * Calls `attempt` until it resolves, `isRetryable` says an error is final, or the timeout would pass;
 * never sleeps past the deadline.
 */
export async function waitFor<T>(attempt: () => Promise<T>, isRetryable: (error: Error) => boolean, options: WaitOptions): Promise<T> {
  const sleep = options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const initial = options.initialDelayMs ?? 500;
  const max = options.maxDelayMs ?? 10_000;
  const deadline = now() + options.timeoutMs;
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt();
    } catch (error) {
      const err = error as Error;
      if (!isRetryable(err)) throw err;
      const delay = Math.min(max, initial * 2 ** (attemptNumber - 1));
      const remaining = deadline - now();
      if (remaining <= 0) throw new WaitTimeout(attemptNumber, err);
      options.onRetry?.(attemptNumber, Math.min(delay, remaining), err);
      await sleep(Math.min(delay, remaining));
    }
  }
}
