import type { InvocationDelivery, InvocationHandler } from '../../core/broker.ts';
import type { Logger } from '../../core/logger.ts';
import type { InvocationMessage } from '../../core/messages.ts';

export interface RedeliveryGuardOptions {
  logger: Logger;
  /** How long a settled copy is remembered. Default 10 minutes. */
  rememberMs?: number;
  /** At most this many settled copies are remembered (the oldest go first). Default 10 000. */
  limit?: number;
  now?: () => number;
}

/**
 * A copy of an invocation message: the original, or one published by a retry or a redrive (same
 * id, more prior attempts). Redeliveries of one copy share its key; a retry's copy does not.
 */
function copyKey(message: InvocationMessage): string {
  return `${message.id}/${message.priorAttempts ?? 0}/${message.redrive?.at ?? ''}`;
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
  readonly #limit: number;
  readonly #now: () => number;
  /** Copies running here, with the redeliveries that joined them. */
  readonly #running = new Map<string, InvocationDelivery[]>();
  /** Copies settled here, by key (to when); a Map iterates oldest first. */
  readonly #settled = new Map<string, number>();

  constructor(options: RedeliveryGuardOptions) {
    this.#log = options.logger.child({ part: 'redelivery-guard' });
    this.#rememberMs = options.rememberMs ?? 10 * 60 * 1000;
    this.#limit = options.limit ?? 10_000;
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
    const { message, attempt } = delivery;
    const key = copyKey(message);
    const where = { id: message.id, fn: message.fn.name, attempt };
    this.#forgetOld();
    if (this.#settled.has(key)) {
      this.#log.info(where, 'redelivery of an invocation already settled here; acked');
      delivery.ack();
      return;
    }
    const joined = this.#running.get(key);
    if (joined !== undefined) {
      this.#log.warn(
        where,
        'redelivered while still running here (the broker closed the channel it came on: a ' +
          'consumer_timeout shorter than the invocation, or a lost connection); it settles ' +
          'with the running attempt instead of running again',
      );
      joined.push(delivery);
      return;
    }
    const followers: InvocationDelivery[] = [];
    this.#running.set(key, followers);
    let finished = false;
    const finish = (outcome: 'done' | 'requeue'): void => {
      if (finished) return;
      finished = true;
      this.#running.delete(key);
      if (outcome === 'done') this.#settled.set(key, this.#now());
      for (const follower of followers) {
        if (outcome === 'done') follower.ack();
        else follower.requeue();
      }
    };
    const guarded: InvocationDelivery = {
      message,
      attempt,
      reply: (result) => delivery.reply(result),
      ack: () => {
        delivery.ack();
        finish('done');
      },
      requeue: () => {
        delivery.requeue();
        finish('requeue');
      },
      retry: async (delayMs) => {
        await delivery.retry(delayMs);
        finish('done');
      },
      deadLetter: async (reason) => {
        await delivery.deadLetter(reason);
        finish('done');
      },
    };
    try {
      await handler(guarded);
    } catch (error) {
      finish('requeue'); // the consumer requeues the delivery itself
      throw error;
    }
    // A handler that returned without settling holds the delivery but runs nothing: from now on
    // a redelivery goes to the handler again, and one that joined meanwhile goes back.
    if (!finished && this.#running.get(key) === followers) {
      this.#running.delete(key);
      for (const follower of followers.splice(0)) follower.requeue();
    }
  }

  #forgetOld(): void {
    const oldest = this.#now() - this.#rememberMs;
    for (const [key, at] of this.#settled) {
      if (this.#settled.size <= this.#limit && at > oldest) break;
      this.#settled.delete(key);
    }
  }
}
