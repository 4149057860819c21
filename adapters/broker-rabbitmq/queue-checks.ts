/**
 * Passive queue declarations (how many messages a queue holds) on one long-lived channel. A fresh
 * channel per check costs an open and a close, three round trips and work on both sides, and the
 * gateway samples two queues per function every second (gateway/queue-depths.ts): with a hundred
 * functions that was two hundred channels opened and closed per second. A check of a missing
 * queue still closes its channel (AMQP's 404 rule), so the next check opens another; checks run
 * one at a time, so such a 404 fails only its own check, never one queued behind it.
 */
import type { Channel } from 'amqplib';
import { amqpCode } from './codec.ts';
import type { Session } from './session.ts';

export class QueueChecks {
  readonly #session: () => Session;
  #open: { session: Session; channel: Channel } | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  /** `session` gives the live connection; it throws while there is none. */
  constructor(session: () => Session) {
    this.#session = session;
  }

  /** Messages ready in `queue`, or undefined when it does not exist. */
  messageCount(queue: string): Promise<number | undefined> {
    const check = this.#tail.then(() => this.#check(queue));
    this.#tail = check.catch(() => undefined);
    return check;
  }

  async #check(queue: string): Promise<number | undefined> {
    const channel = await this.#channel();
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch (error) {
      this.#open = undefined; // closed by the server (a 404), or by its connection
      if (amqpCode(error) === 404) return undefined;
      throw error;
    }
  }

  async #channel(): Promise<Channel> {
    const session = this.#session();
    if (this.#open?.session === session) return this.#open.channel;
    const channel = await session.channel('queue checks', () => {
      if (this.#open?.channel === channel) this.#open = undefined;
    });
    this.#open = { session, channel };
    return channel;
  }
}
