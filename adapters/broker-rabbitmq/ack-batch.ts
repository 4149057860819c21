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
  /**
   * Delivered and not settled yet: at most the prefetch, however long one of them is held (the
   * tags settled behind a long run are never kept).
   */
  readonly #outstanding = new Set<number>();
  /** Acks not sent yet, by tag. */
  readonly #pending = new Map<number, ConsumeMessage>();
  #scheduled = false;

  constructor(channel: Channel) {
    this.#channel = channel;
  }

  delivered(message: ConsumeMessage): void {
    this.#outstanding.add(message.fields.deliveryTag);
  }

  /** Acks `message` at the end of the tick. */
  ack(message: ConsumeMessage): void {
    const tag = message.fields.deliveryTag;
    this.#outstanding.delete(tag);
    this.#pending.set(tag, message);
    if (this.#scheduled) return;
    this.#scheduled = true;
    process.nextTick(() => this.flush());
  }

  /** Nacks `message` now (throws when the channel is closed, as channel.nack does). */
  nack(message: ConsumeMessage, requeue: boolean): void {
    this.#outstanding.delete(message.fields.deliveryTag);
    this.#channel.nack(message, false, requeue);
  }

  /** Sends the acks gathered so far; called at the end of the tick and before the channel closes. */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending.size === 0) return;
    // Every tag below the oldest outstanding one is settled (tags grow with each delivery), so
    // one multiple ack of the highest pending tag below it settles all of those at once.
    // The Set keeps the order tags were added in, ascending: its first is the oldest, with no walk
    // over the up to `prefetch` outstanding tags at every flush.
    const oldest: number = this.#outstanding.values().next().value ?? Infinity;
    let upTo: ConsumeMessage | undefined;
    const singles: ConsumeMessage[] = [];
    for (const [tag, message] of this.#pending) {
      if (tag > oldest) singles.push(message);
      else if (upTo === undefined || tag > upTo.fields.deliveryTag) upTo = message;
    }
    this.#pending.clear();
    try {
      if (upTo !== undefined) this.#channel.ack(upTo, true);
      for (const message of singles) this.#channel.ack(message);
    } catch {
      // The channel is gone: the broker has put these messages back already.
    }
  }
}
