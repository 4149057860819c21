/** A token-bucket rate: `perSecond` requests on average, up to `burst` at once. */
export interface Rate {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  /** Epoch ms the tokens were counted. */
  at: number;
}

/**
 * Token buckets by key, in memory. A bucket starts full, refills continuously at its rate up to
 * its burst, and each request takes one token. The rate is passed on every take, so a redeploy
 * with another limit applies to the bucket as it stands.
 *
 * Buckets are kept per key for the life of the gateway: keys are token ids and function names,
 * which the store bounds, never anything a client can invent.
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Takes a token from the bucket of `key`: 0 when taken, else the ms until one is there. */
  take(key: string, rate: Rate): number {
    const now = this.#now();
    const bucket = this.#buckets.get(key) ?? { tokens: rate.burst, at: now };
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(rate.burst, bucket.tokens + (elapsed / 1000) * rate.perSecond);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / rate.perSecond) * 1000);
  }
}
