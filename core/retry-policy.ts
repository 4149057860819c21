/**
 * When a failed async attempt runs again, and when it is given up on: the one place the runtime
 * (which decides after each attempt) and the gateway (which shows the policy) agree on it.
 * Pure functions of the message, the attempt and the clock.
 */
import { ERROR_STATUS, type ErrorData } from './errors.ts';
import type { AttemptFollowUp, FunctionSpec, InvocationMessage } from './messages.ts';

/** Exponential backoff between attempts: `initialMs * multiplier^(n-1)`, at most `maxMs`. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  multiplier: number;
}

/** fn.json `retries`: how often a failed async invocation runs, and how far apart. */
export interface RetryPolicy {
  /** Attempts in all, the first one included (1 means no retry). */
  maxAttempts: number;
  backoff: BackoffPolicy;
}

/** fn.json `retries` as written: any part may be left out, and gets its default. */
export interface RetryConfig {
  maxAttempts?: number;
  backoff?: Partial<BackoffPolicy>;
}

/** Two retries, as AWS Lambda does for async invocations, but seconds rather than minutes apart. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  backoff: { initialMs: 1000, maxMs: 60_000, multiplier: 2 },
};

/** Six hours, Lambda's default and maximum event age. */
export const DEFAULT_MAX_EVENT_AGE_MS = 6 * 60 * 60 * 1000;

/** The longest delay between attempts (the RabbitMQ adapter's longest delay tier). */
export const MAX_RETRY_DELAY_MS = 60 * 60 * 1000;

/** A function's retry settings with defaults filled in (specs deployed before #5 have none). */
export function retrySettings(spec: FunctionSpec): { policy: RetryPolicy; maxEventAgeMs: number } {
  const given = spec.retries;
  return {
    policy: {
      maxAttempts: given?.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
      backoff: { ...DEFAULT_RETRY_POLICY.backoff, ...given?.backoff },
    },
    maxEventAgeMs: spec.maxEventAgeMs ?? DEFAULT_MAX_EVENT_AGE_MS,
  };
}

/**
 * The position of `attempt` in the current series: a redrive starts a new series, with a fresh
 * budget of attempts and a fresh event age, while attempt numbers keep counting up.
 */
export function attemptInSeries(message: InvocationMessage, attempt: number): number {
  return attempt - (message.redrive?.fromAttempt ?? 1) + 1;
}

/** When the current series began: acceptance, or the redrive. */
export function seriesStart(message: InvocationMessage): number {
  return message.redrive?.at ?? message.acceptedAt;
}

/**
 * The delay after failed attempt `n` of a series: the exponential delay with "equal jitter"
 * (between half and all of it), so a burst of failures does not come back in lockstep.
 */
export function backoffMs(backoff: BackoffPolicy, n: number, random = Math.random): number {
  const exponential = backoff.initialMs * backoff.multiplier ** Math.max(0, n - 1);
  const capped = Math.min(backoff.maxMs, MAX_RETRY_DELAY_MS, exponential);
  return Math.round(capped / 2 + (random() * capped) / 2);
}

/**
 * Whether another attempt may succeed. A function opts out by throwing an error named
 * `NonRetryableError`; 4xx-class codes say the input is at fault, so it would fail the same way.
 * Everything else (the function threw, timed out, crashed, ran out of memory) is retried.
 */
export function isRetryable(error: ErrorData | undefined): boolean {
  if (error === undefined) return true;
  if (error.name === 'NonRetryableError') return false;
  return ERROR_STATUS[error.code] >= 500;
}

/**
 * What follows a failed attempt: another one at `at`, the dead-letter queue, or nothing (the
 * failure is final: a sync invocation, or an error that no retry can fix).
 */
export function followUp(
  message: InvocationMessage,
  attempt: number,
  error: ErrorData | undefined,
  now: number,
  random = Math.random,
): AttemptFollowUp | undefined {
  if (message.mode !== 'async' || !isRetryable(error)) return undefined;
  const { policy, maxEventAgeMs } = retrySettings(message.fn);
  const n = attemptInSeries(message, attempt);
  if (n >= policy.maxAttempts) return { action: 'dead' };
  const at = now + backoffMs(policy.backoff, n, random);
  // A retry that would run past the event's age is given up on now rather than then.
  if (at - seriesStart(message) > maxEventAgeMs) return { action: 'dead' };
  return { action: 'retry', at };
}

/**
 * Why an async delivery must not run at all, or undefined. Deliveries past the attempt budget are
 * redeliveries of a message whose node died every time (a poison message): running it again could
 * take down another node. An event older than its maximum age is stale by the function's own
 * definition.
 */
export function refuseDelivery(
  message: InvocationMessage,
  attempt: number,
  now: number,
): ErrorData | undefined {
  if (message.mode !== 'async') return undefined;
  const { policy, maxEventAgeMs } = retrySettings(message.fn);
  const n = attemptInSeries(message, attempt);
  if (n > policy.maxAttempts) {
    return {
      code: 'DELIVERY_LIMIT_EXCEEDED',
      message: `delivered ${n} times without a recorded result (the node running it stopped each time); maxAttempts is ${policy.maxAttempts}`,
    };
  }
  const age = now - seriesStart(message);
  if (age > maxEventAgeMs) {
    return {
      code: 'EVENT_EXPIRED',
      message: `the event waited ${age} ms, longer than maxEventAgeMs (${maxEventAgeMs})`,
    };
  }
  return undefined;
}
