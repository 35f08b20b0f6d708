/**
 * Retry with capped exponential backoff and full jitter, for transient actuation failures. Pure
 * delay computation (`backoffDelay`) is separate from the loop so it can be unit-tested.
 */
import { z } from 'zod';
import { isRetriable } from '../../streams/runtime/errors.js';
import { ACTUATION_UNCLASSIFIED } from './errors.js';

export const retryPolicySchema = z.object({
  /** Total tries including the first. */
  maxAttempts: z.number().int().min(1).default(5),
  initialDelayMs: z.number().int().min(0).default(200),
  maxDelayMs: z.number().int().min(0).default(10_000),
  multiplier: z.number().min(1).default(2),
  /** 0 = exact exponential delays; 1 = full jitter (uniform in [0, delay]). */
  jitter: z.number().min(0).max(1).default(0.5),
});
export type RetryPolicy = z.infer<typeof retryPolicySchema>;
export type RetryPolicyInput = z.input<typeof retryPolicySchema>;

/** Delay before attempt `attempt + 1` after `attempt` failed (attempt is 1-based). */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempt - 1));
  const jitter = base * policy.jitter * random();
  return Math.round(base - jitter);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryHooks {
  signal?: AbortSignal;
  onRetry?(attempt: number, err: unknown, delayMs: number): void;
}

export interface RetryOutcome<T> {
  value: T;
  attempts: number;
}

/** Error thrown after the last attempt, carrying how many attempts were made. */
export class RetriesExhausted extends Error {
  constructor(
    readonly attempts: number,
    readonly last: unknown,
  ) {
    super(`gave up after ${attempts} attempt(s)`, { cause: last });
    this.name = 'RetriesExhausted';
  }
}

/** Runs `fn(attempt)` until it succeeds, a permanent error occurs, or attempts run out. */
export async function withRetry<T>(
  policy: RetryPolicy,
  fn: (attempt: number) => Promise<T>,
  hooks: RetryHooks = {},
): Promise<RetryOutcome<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await fn(attempt), attempts: attempt };
    } catch (err: unknown) {
      if (hooks.signal?.aborted) throw err;
      if (!isRetriable(err, { unclassified: ACTUATION_UNCLASSIFIED }) || attempt >= policy.maxAttempts)
        throw new RetriesExhausted(attempt, err);
      const delay = backoffDelay(policy, attempt);
      hooks.onRetry?.(attempt, err, delay);
      await sleep(delay, hooks.signal);
    }
  }
}
