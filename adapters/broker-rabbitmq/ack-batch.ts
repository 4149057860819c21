import type { Channel, ConsumeMessage } from 'amqplib';

/**
 * The acks of one consumer channel, gathered until the end of the tick and sent in as few frames
 * as it takes: one `multiple` ack for every delivery up to the highest tag whose predecessors are
 * all settled, single acks for the rest. Deliveries settled together (the invocations whose
 * results one burst confirmed) mostly form such a run, and a quorum queue then applies one settle
 * command for the run instead of one per message. An ack only leaves later in the same tick, as
 * the write coalescing (coalesce-writes.ts) sends it anyway; nacks go out at once, so a multiple
 * ack never covers a message still outstanding that was meant to be requeued or rejected.
 */
export class AckBatch {
  readonly #channel: Channel;
  /** Delivery tags in the order they came (ascending), from the oldest not yet known settled. */
  #open: number[] = [];
  #head = 0;
  /** Settled tags (acked or nacked) still in #open behind an unsettled one. */
  readonly #settled = new Set<number>();
  /** Acks not sent yet, by tag. */
  readonly #pending = new Map<number, ConsumeMessage>();
  #scheduled = false;

  constructor(channel: Channel) {
    this.#channel = channel;
  }

  delivered(message: ConsumeMessage): void {
    this.#open.push(message.fields.deliveryTag);
  }

  /** Acks `message` at the end of the tick. */
  ack(message: ConsumeMessage): void {
    const tag = message.fields.deliveryTag;
    this.#settled.add(tag);
    this.#pending.set(tag, message);
    if (this.#scheduled) return;
    this.#scheduled = true;
    process.nextTick(() => this.flush());
  }

  /** Nacks `message` now (throws when the channel is closed, as channel.nack does). */
  nack(message: ConsumeMessage, requeue: boolean): void {
    this.#settled.add(message.fields.deliveryTag);
    this.#channel.nack(message, false, requeue);
  }

  /** Sends the acks gathered so far; called at the end of the tick and before the channel closes. */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending.size === 0) return;
    let upTo: ConsumeMessage | undefined;
    while (this.#head < this.#open.length) {
      const tag = this.#open[this.#head] ?? 0;
      if (!this.#settled.delete(tag)) break;
      this.#head += 1;
      const pending = this.#pending.get(tag);
      if (pending !== undefined) {
        this.#pending.delete(tag);
        upTo = pending;
      }
    }
    if (this.#head > 1024) {
      this.#open = this.#open.slice(this.#head);
      this.#head = 0;
    }
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    try {
      if (upTo !== undefined) this.#channel.ack(upTo, true);
      for (const message of pending) this.#channel.ack(message);
    } catch {
      // The channel is gone: the broker has put these messages back already.
    }
  }
}
