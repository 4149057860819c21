import type { InvocationDelivery, InvocationHandler } from '../../core/broker.ts';
import type { Logger } from '../../core/logger.ts';
import type { InvocationMessage, InvocationResult } from '../../core/messages.ts';

export interface RedeliveryGuardOptions {
  logger: Logger;
  /** How long a settled copy is remembered. Default 10 minutes. */
  rememberMs?: number;
  /**
   * At most this many settled copies are remembered, in two generations of half as many: when the
   * newer is full the older goes at once. Default 10 000.
   */
  limit?: number;
  now?: () => number;
}

/**
 * A copy of an invocation message: the original, or one published by a retry or a redrive (same
 * id, more prior attempts). Redeliveries of one copy share its key; a retry's copy does not.
 * The original's key is its id as it is: no string is built for it, and the three lookups of a
 * delivery hash a string that keeps its hash, not a fresh one each. Ids never hold a `/`
 * (core/ids.ts), so no id is mistaken for another's copy.
 */
function copyKey(message: InvocationMessage): string {
  const { id, priorAttempts, redrive } = message;
  if (priorAttempts === undefined && redrive === undefined) return id;
  return `${id}/${priorAttempts ?? 0}/${redrive?.at ?? ''}`;
}

/**
 * Keeps a node from running an invocation again just because RabbitMQ handed it back while the
 * node still had it. RabbitMQ requeues every unacked delivery of a channel it closes: when a
 * delivery outlives the broker's `consumer_timeout` (406 PRECONDITION_FAILED), and when the
 * connection drops. The consumer reopens its channel and gets those messages again, each as a
 * higher attempt, while the first run goes on; without this guard every timeout would start
 * one more run of a slow function, and the copies would use up its attempts.
 *
 * - A redelivery of a copy still running here joins the run: it settles as the run does (acked
 *   once the result is durable, requeued if the run requeues) and never runs by itself.
 * - A redelivery of a copy that finished here (its ack went out on the closed channel and was
 *   lost, but its result, retry or dead letter is durable) is acked without running.
 *
 * Only this process is guarded: another node that receives the redelivery runs it, as after a
 * node crash, so a slow function can still run once per node that holds it.
 */
export class RedeliveryGuard {
  readonly #log: Logger;
  readonly #rememberMs: number;
  readonly #now: () => number;
  /** Copies running here, by key, with the redeliveries that joined them. */
  readonly #running = new Map<string, Run>();
  /**
   * Copies settled here, by key (to when), in two generations (as gateway/recent-ids.ts): a lookup
   * and an insert cost a Map operation each, with no walk to forget the oldest.
   */
  #settled = new Map<string, number>();
  #settledBefore = new Map<string, number>();
  /** When the newer generation was started: it turns over once it is rememberMs old, or full. */
  #settledSince = -Infinity;
  readonly #perGeneration: number;
  /** Ends a run; one function for every run rather than a closure per delivery. */
  readonly #finish = (run: Run, outcome: 'done' | 'requeue'): void => {
    if (run.finished) return;
    run.finished = true;
    this.#running.delete(run.key);
    if (outcome === 'done') this.#remember(run.key);
    for (const follower of run.followers) {
      if (outcome === 'done') follower.ack();
      else follower.requeue();
    }
  };

  constructor(options: RedeliveryGuardOptions) {
    this.#log = options.logger.child({ part: 'redelivery-guard' });
    this.#rememberMs = options.rememberMs ?? 10 * 60 * 1000;
    this.#perGeneration = Math.max(1, Math.floor((options.limit ?? 10_000) / 2));
    this.#now = options.now ?? Date.now;
  }

  /** Copies running here now (for tests and diagnostics). */
  get running(): number {
    return this.#running.size;
  }

  /** `handler`, called once per copy of a message however often the broker delivers it. */
  wrap(handler: InvocationHandler): InvocationHandler {
    return (delivery) => this.#handle(handler, delivery);
  }

  async #handle(handler: InvocationHandler, delivery: InvocationDelivery): Promise<void> {
    const { message } = delivery;
    const key = copyKey(message);
    if (this.#wasSettled(key)) {
      this.#log.info(where(delivery), 'redelivery of an invocation already settled here; acked');
      delivery.ack();
      return;
    }
    const joined = this.#running.get(key);
    if (joined !== undefined) {
      this.#log.warn(
        where(delivery),
        'redelivered while still running here (the broker closed the channel it came on: a ' +
          'consumer_timeout shorter than the invocation, or a lost connection); it settles ' +
          'with the running attempt instead of running again',
      );
      joined.followers.push(delivery);
      return;
    }
    const run: Run = { key, followers: [], finished: false };
    this.#running.set(key, run);
    try {
      await handler(new GuardedDelivery(delivery, run, this.#finish));
    } catch (error) {
      this.#finish(run, 'requeue'); // the consumer requeues the delivery itself
      throw error;
    }
    // A handler that returned without settling holds the delivery but runs nothing: from now on
    // a redelivery goes to the handler again, and one that joined meanwhile goes back.
    if (!run.finished && this.#running.get(key) === run) {
      this.#running.delete(key);
      for (const follower of run.followers.splice(0)) follower.requeue();
    }
  }

  /** Whether the copy `key` settled here within rememberMs (and is still remembered). */
  #wasSettled(key: string): boolean {
    const at = this.#settled.get(key) ?? this.#settledBefore.get(key);
    return at !== undefined && at > this.#now() - this.#rememberMs;
  }

  #remember(key: string): void {
    const at = this.#now();
    if (this.#settled.size >= this.#perGeneration || at - this.#settledSince >= this.#rememberMs) {
      this.#settledBefore = this.#settled;
      this.#settled = new Map();
      this.#settledSince = at;
    }
    this.#settled.set(key, at);
  }
}

/** One copy running here: its key, the redeliveries that joined it, and whether it settled. */
interface Run {
  readonly key: string;
  readonly followers: InvocationDelivery[];
  finished: boolean;
}

/** The fields a guard's log line names a delivery by (built only for a line that is written). */
function where({ message, attempt }: InvocationDelivery): object {
  return { id: message.id, fn: message.fn.name, attempt };
}

/** The delivery the handler gets: settling it settles the copy's run, and its followers with it. */
class GuardedDelivery implements InvocationDelivery {
  readonly message: InvocationMessage;
  readonly attempt: number;
  readonly #delivery: InvocationDelivery;
  readonly #run: Run;
  readonly #finish: (run: Run, outcome: 'done' | 'requeue') => void;

  constructor(
    delivery: InvocationDelivery,
    run: Run,
    finish: (run: Run, outcome: 'done' | 'requeue') => void,
  ) {
    this.message = delivery.message;
    this.attempt = delivery.attempt;
    this.#delivery = delivery;
    this.#run = run;
    this.#finish = finish;
  }

  reply(result: InvocationResult): Promise<void> {
    return this.#delivery.reply(result);
  }

  ack(): void {
    this.#delivery.ack();
    this.#finish(this.#run, 'done');
  }

  requeue(): void {
    this.#delivery.requeue();
    this.#finish(this.#run, 'requeue');
  }

  async retry(delayMs: number): Promise<void> {
    await this.#delivery.retry(delayMs);
    this.#finish(this.#run, 'done');
  }

  async deadLetter(reason: Parameters<InvocationDelivery['deadLetter']>[0]): Promise<void> {
    await this.#delivery.deadLetter(reason);
    this.#finish(this.#run, 'done');
  }
}
