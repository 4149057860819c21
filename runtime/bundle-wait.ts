/**
 * What a node does with an async invocation whose bundle it cannot fetch (BUNDLE_UNAVAILABLE:
 * it has not fetched that version yet and no gateway answers). The function never ran, so the
 * attempt is not spent: the node keeps the delivery, waits with backoff and runs it again as
 * the same attempt, until the bundle comes or waiting would outlast the limits below. Keeping
 * the delivery, rather than handing it back to the broker, is what keeps the attempt number:
 * both brokers count every redelivery and retry as an attempt.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { InvocationMessage, InvocationResult } from '../core/messages.ts';
import { retrySettings, seriesStart } from '../core/retry-policy.ts';

export interface BundleWaitPolicy {
  /** First wait; each next one doubles (with jitter), up to `maxMs`. */
  initialMs: number;
  maxMs: number;
  /**
   * Waiting in all, after which the failure is recorded as an ordinary failed attempt (and
   * retried by the function's policy). Well below RabbitMQ's consumer timeout (30 minutes),
   * which would otherwise take the held delivery back.
   */
  maxWaitMs: number;
}

export const DEFAULT_BUNDLE_WAIT: BundleWaitPolicy = {
  initialMs: 500,
  maxMs: 10_000,
  maxWaitMs: 10 * 60_000,
};

/** Told before each wait, for the node's log. */
export type OnBundleWait = (waitMs: number, result: InvocationResult) => void;

/**
 * Runs `run` and, for an async invocation whose bundle is unavailable, again after each wait.
 * Resolves with the result to record, or undefined when `signal` ended a wait (the node is
 * stopping: the delivery goes back to the queue, unrun).
 */
export async function runWaitingForBundle(
  message: InvocationMessage,
  run: () => Promise<InvocationResult>,
  options: { policy: BundleWaitPolicy; signal: AbortSignal; onWait?: OnBundleWait },
  random = Math.random,
): Promise<InvocationResult | undefined> {
  const { policy, signal } = options;
  const { maxEventAgeMs } = retrySettings(message.fn);
  const began = Date.now();
  for (let waits = 0; ; waits++) {
    const result = await run();
    if (result.error?.code !== 'BUNDLE_UNAVAILABLE' || message.mode !== 'async') return result;
    const full = Math.min(policy.maxMs, policy.initialMs * 2 ** waits);
    const waitMs = Math.round(full / 2 + (random() * full) / 2);
    const until = Date.now() + waitMs;
    if (until - began > policy.maxWaitMs || until - seriesStart(message) > maxEventAgeMs) {
      return result;
    }
    options.onWait?.(waitMs, result);
    try {
      await sleep(waitMs, undefined, { signal });
    } catch {
      return undefined;
    }
  }
}
