import { Counter, type Registry } from 'prom-client';
import { FjordError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { TokenRecord } from '../core/store.ts';
import type { ActiveFunction } from './function-catalog.ts';
import { LoadShedder } from './load-shedding.ts';
import { RateLimiter, type Rate, type RateLimitReason } from './middleware/rate-limit.ts';
import type { QueueDepths } from './queue-depths.ts';

/** Limits on what the gateway admits; every one is off unless set. */
export interface AdmissionOptions {
  /** Invocations per token (per second, burst). */
  tokenRate?: Rate;
  /** Invocations per function, for functions whose fn.json sets no `limits.rateLimit`. */
  functionRate?: Rate;
  /** Invocations queued over all functions from which new ones get 503 OVERLOADED; 0: never. */
  maxQueued?: number;
  /** How often queue depths are sampled for `maxQueued`. Default 1000 ms. */
  queueSampleMs?: number;
}

/** The `reason` label of `fjord_rejected_total`. */
export type RejectionReason = RateLimitReason | 'overloaded';

export interface AdmissionDeps {
  options: AdmissionOptions;
  depths: QueueDepths;
  registry: Registry;
  logger: Logger;
  now: () => number;
}

/**
 * Decides whether an invocation request may go on, before its body is read: 503 OVERLOADED when
 * the queues are full (load shedding), 429 RATE_LIMITED over a token's or a function's rate,
 * both with `Retry-After`. Applies to client requests (HTTP triggers and the invocations API),
 * never to schedules, whose ticks are the platform's own.
 */
export class Admission {
  readonly #limiter: RateLimiter;
  readonly #shedder: LoadShedder | undefined;
  readonly #rejected: Counter<'reason' | 'function'>;

  constructor(deps: AdmissionDeps) {
    const { options } = deps;
    this.#limiter = new RateLimiter(
      {
        ...(options.tokenRate === undefined ? {} : { perToken: options.tokenRate }),
        ...(options.functionRate === undefined ? {} : { perFunction: options.functionRate }),
      },
      deps.now,
    );
    const maxQueued = options.maxQueued ?? 0;
    this.#shedder =
      maxQueued > 0
        ? new LoadShedder({
            depths: deps.depths,
            maxQueued,
            sampleMs: options.queueSampleMs ?? 1000,
            logger: deps.logger,
          })
        : undefined;
    this.#rejected = new Counter({
      name: 'fjord_rejected_total',
      help: 'Invocation requests refused by admission: rate limits (429) and load shedding (503).',
      labelNames: ['reason', 'function'],
      registers: [deps.registry],
    });
  }

  /** Starts sampling queue depths, when a queue-length cap is set. */
  start(): void {
    this.#shedder?.start();
  }

  stop(): void {
    this.#shedder?.stop();
  }

  /** Admits one invocation of `fn` for `token` (absent: an anonymous request), or throws. */
  admit(fn: ActiveFunction, token: TokenRecord | undefined): void {
    const name = fn.spec.name;
    const shedder = this.#shedder;
    if (shedder?.full() === true) {
      this.#rejected.inc({ reason: 'overloaded', function: name });
      throw new FjordError('OVERLOADED', 'too many invocations are queued; try again later', {
        retryAfterSeconds: shedder.retryAfterSeconds,
      });
    }
    const rate = fn.record.active.manifest.limits?.rateLimit;
    const refusal = this.#limiter.check(name, rate && toRate(rate), token?.id);
    if (refusal !== undefined) {
      this.#rejected.inc({ reason: refusal.reason, function: name });
      throw new FjordError('RATE_LIMITED', refusal.message, {
        retryAfterSeconds: refusal.retryAfterSeconds,
      });
    }
    shedder?.admitted();
  }
}

/** fn.json `limits.rateLimit` as a rate: the burst defaults to one second's worth. */
function toRate(limit: { perSecond: number; burst?: number }): Rate {
  return {
    perSecond: limit.perSecond,
    burst: limit.burst ?? Math.max(1, Math.ceil(limit.perSecond)),
  };
}
