import { TokenBuckets, type Rate } from './rate-limit-buckets.ts';

export type { Rate } from './rate-limit-buckets.ts';

/** Which limit refused a request (the `reason` label of `fjord_rejected_total`). */
export type RateLimitReason = 'token_rate' | 'function_rate';

export interface RateLimits {
  /** Invocations per token; absent: unlimited. */
  perToken?: Rate;
  /** Invocations per function whose fn.json sets no `limits.rateLimit`; absent: unlimited. */
  perFunction?: Rate;
}

/**
 * Rate limits on invocations: per token (the bearer token a request authenticated with) and per
 * function (fn.json `limits.rateLimit`, else the gateway's default). Each gateway counts in its
 * own memory, so N gateways behind a load balancer admit up to N times a limit; a request
 * refused by one gateway is free to try another. Requests without a token (public HTTP triggers)
 * are limited per function only.
 */
export class RateLimiter {
  readonly #limits: RateLimits;
  readonly #buckets: TokenBuckets;

  constructor(limits: RateLimits, now: () => number) {
    this.#limits = limits;
    this.#buckets = new TokenBuckets(now);
  }

  /**
   * Takes one request from the token's bucket, then from the function's; says which limit
   * refused it, and when a request would fit, when either is empty.
   */
  check(fn: string, fnRate: Rate | undefined, tokenId: string | undefined): Refusal | undefined {
    const { perToken } = this.#limits;
    if (perToken !== undefined && tokenId !== undefined) {
      const waitMs = this.#buckets.take(`token:${tokenId}`, perToken);
      if (waitMs > 0) return refusal('token_rate', waitMs, 'this token is over its rate limit');
    }
    const rate = fnRate ?? this.#limits.perFunction;
    if (rate !== undefined) {
      const waitMs = this.#buckets.take(`fn:${fn}`, rate);
      if (waitMs > 0) return refusal('function_rate', waitMs, `"${fn}" is over its rate limit`);
    }
    return undefined;
  }
}

/** Why a request was refused, and when to come back. */
export interface Refusal {
  reason: RateLimitReason;
  retryAfterSeconds: number;
  message: string;
}

function refusal(reason: RateLimitReason, waitMs: number, what: string): Refusal {
  const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
  return { reason, retryAfterSeconds, message: `${what}: retry in ${retryAfterSeconds} s` };
}

/**
 * Reads a rate as flags and environment give it: `N` (N per second, bursts of N) or `N:BURST`.
 * N may be a fraction (`0.5`: one every two seconds).
 */
export function parseRate(text: string): Rate | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)(?::(\d+))?\s*$/.exec(text);
  if (match?.[1] === undefined) return undefined;
  const perSecond = Number(match[1]);
  const burst = match[2] === undefined ? Math.max(1, Math.ceil(perSecond)) : Number(match[2]);
  if (!(perSecond > 0) || !(burst >= 1)) return undefined;
  return { perSecond, burst };
}
