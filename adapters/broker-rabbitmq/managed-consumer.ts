import type { Channel, ConsumeMessage } from 'amqplib';
import type { Subscription } from '../../core/broker.ts';
import type { Logger } from '../../core/logger.ts';
import { AckBatch } from './ack-batch.ts';
import { amqpCode, toFjordError } from './codec.ts';
import type { ConnectionManager, Participant } from './connection-manager.ts';
import type { Session } from './session.ts';

export type Outcome = 'ack' | 'requeue' | 'reject';
/** Settles one delivery; only the first call counts, and a dead channel is not an error. */
export type Settle = (outcome: Outcome) => void;

/** What one kind of subscription does on its channel; {@link ManagedConsumer} does the rest. */
export interface ConsumerSpec {
  label: string;
  /** Consumers with noAck never settle (control events). */
  noAck: boolean;
  /** Per-consumer prefetch; omitted for noAck consumers. */
  prefetch?: number;
  /**
   * When the broker cancels the consumer (its queue went away), open it again as after a channel
   * loss (prepare() then decides: a 404 from it drops the subscription) instead of stopping.
   */
  reopenOnCancel?: boolean;
  /** Declares what the consumer needs on its fresh channel and names the queue to consume. */
  prepare(channel: Channel): Promise<string>;
  onMessage(message: ConsumeMessage, settle: Settle): void;
}

const REOPEN_DELAY_MS = 1000;

/** The channel a subscription consumes on, with the deliveries still unsettled on it. */
interface Live {
  channel: Channel;
  consumerTag: string | undefined;
  unsettled: number;
  /** Its acks, sent at the end of the tick, runs of them as one `multiple` ack. */
  acks: AckBatch;
}

/**
 * One subscription on its own channel, kept alive across reconnects (the manager re-attaches it)
 * and across a channel closed by the broker (for instance the 30-minute consumer timeout).
 *
 * After cancel() its channel stays open, and registered with the manager, until every delivery
 * is settled: acks must go out on the channel the message came in on, and close() must close
 * that channel before the connection, or the last acks are lost.
 */
export class ManagedConsumer implements Participant, Subscription {
  readonly #spec: ConsumerSpec;
  readonly #manager: ConnectionManager;
  readonly #log: Logger;
  #session: Session | undefined;
  #live: Live | undefined;
  #cancelled = false;
  #reopen: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  constructor(spec: ConsumerSpec, manager: ConnectionManager, logger: Logger) {
    this.#spec = spec;
    this.#manager = manager;
    this.#log = logger.child({ consumer: spec.label });
  }

  /** Starts consuming on the live connection; rejects when the broker refuses. */
  async start(): Promise<Subscription> {
    const session = this.#manager.session;
    this.#manager.add(this);
    try {
      await this.#open(session);
    } catch (error) {
      if (!session.alive) return this; // lost meanwhile: the reconnect attaches us again
      this.#manager.remove(this);
      const code = amqpCode(error) === 404 ? 'FUNCTION_NOT_FOUND' : 'BROKER_UNAVAILABLE';
      throw toFjordError(error, `could not consume ${this.#spec.label}`, code);
    }
    return this;
  }

  async attach(session: Session): Promise<void> {
    if (this.#cancelled) return this.#forget();
    try {
      await this.#open(session);
    } catch (error) {
      if (!session.alive || this.#cancelled) return;
      if (amqpCode(error) === 404) {
        this.#log.warn({ err: error }, 'queue is gone; subscription dropped');
        this.#cancelled = true;
        return this.#forget();
      }
      this.#log.error({ err: error }, 'could not consume; retrying');
      this.#scheduleReopen(session);
    }
  }

  detach(): void {
    clearTimeout(this.#reopen);
    this.#session = undefined;
    this.#live = undefined; // its unsettled messages go back to the queue with the connection
    if (this.#cancelled) this.#forget();
  }

  async cancel(): Promise<void> {
    if (this.#cancelled) return;
    this.#cancelled = true;
    clearTimeout(this.#reopen);
    const live = this.#live;
    if (live?.consumerTag !== undefined) {
      await live.channel.cancel(live.consumerTag).catch(() => undefined);
    }
    if (live === undefined || live.unsettled === 0) await this.#closeChannel();
  }

  async shutdown(): Promise<void> {
    await this.cancel();
    await this.#closeChannel(); // unsettled deliveries go back to the queue
  }

  async #open(session: Session): Promise<void> {
    this.#session = session;
    const channel: Channel = await session.channel(this.#spec.label, () =>
      this.#onChannelClosed(session, live),
    );
    const live: Live = {
      channel,
      consumerTag: undefined,
      unsettled: 0,
      acks: new AckBatch(channel),
    };
    try {
      if (this.#spec.prefetch !== undefined) await channel.prefetch(this.#spec.prefetch);
      const queue = await this.#spec.prepare(channel);
      const { consumerTag } = await channel.consume(queue, (m) => this.#deliver(live, m), {
        noAck: this.#spec.noAck,
      });
      if (this.#session !== session || this.#cancelled) throw new Error('subscription superseded');
      live.consumerTag = consumerTag;
      this.#live = live;
    } catch (error) {
      await channel.close().catch(() => undefined);
      throw error;
    }
  }

  #onChannelClosed(session: Session, live: Live): void {
    if (live !== this.#live) return;
    this.#live = undefined;
    if (this.#cancelled) return this.#forget();
    if (!session.alive) return; // the reconnect restores us
    this.#log.warn({}, 'consumer channel closed by the broker; reopening');
    this.#scheduleReopen(session);
  }

  #scheduleReopen(session: Session): void {
    clearTimeout(this.#reopen);
    this.#reopen = setTimeout(() => {
      if (session.alive && !this.#cancelled && this.#session === session) void this.attach(session);
    }, REOPEN_DELAY_MS);
  }

  #deliver(live: Live, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled us: the queue was deleted.
      this.#log.info({}, 'consumer cancelled by the broker');
      const session = this.#session;
      if (this.#spec.reopenOnCancel === true && session !== undefined && live === this.#live) {
        // Its deliveries are lost with the queue; the channel goes, and the reopen follows.
        void live.channel.close().catch(() => undefined);
        return;
      }
      void this.cancel();
      return;
    }
    if (this.#spec.noAck) {
      this.#spec.onMessage(message, () => undefined);
      return;
    }
    live.unsettled++;
    live.acks.delivered(message);
    let settled = false;
    this.#spec.onMessage(message, (outcome) => {
      if (settled) return; // a second ack would close the channel with PRECONDITION_FAILED
      settled = true;
      live.unsettled--;
      try {
        if (outcome === 'ack') live.acks.ack(message);
        else live.acks.nack(message, outcome === 'requeue');
      } catch (error) {
        // Its channel is gone, so the broker has put the message back already.
        this.#log.debug({ err: error }, 'delivery settled on a closed channel; it is redelivered');
        return;
      }
      if (this.#cancelled && live === this.#live && live.unsettled === 0) void this.#closeChannel();
    });
  }

  /** Closes the channel (once, however many callers) and stops being restored. */
  #closeChannel(): Promise<void> {
    this.#closing ??= (async () => {
      const live = this.#live;
      this.#live = undefined;
      live?.acks.flush(); // the last acks go out before the channel closes
      await live?.channel.close().catch(() => undefined);
      this.#forget();
    })();
    return this.#closing;
  }

  #forget(): void {
    this.#manager.remove(this);
  }
}
