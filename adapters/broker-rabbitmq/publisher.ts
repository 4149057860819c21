import type { ConfirmChannel, Message } from 'amqplib';
import type { FjordError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { CONTENT_TYPE, toFjordError, unavailable } from './codec.ts';
import type { Participant } from './connection-manager.ts';
import type { DrainGate } from './drain-gate.ts';
import { blockedError, isNack, type Pending } from './pending-publish.ts';
import { PublishSlot, type ReadyChannel } from './publish-slot.ts';
import type { Session } from './session.ts';

export interface PublishOptions {
  persistent: boolean;
  /** Makes an unroutable message fail instead of vanishing; `unroutable` builds that error. */
  unroutable?: () => FjordError;
  /** A label for the management UI (`async`, `result`, `control`). */
  type: string;
  /** AMQP headers (a delay tier is chosen by one). */
  headers?: Record<string, string>;
  /** Default application/json (Fjord's own messages); queue messages keep their publisher's. */
  contentType?: string;
}

/** The first wait before a nacked message is sent again; it doubles up to the maximum. */
const NACK_RETRY_MS = 50;
const NACK_RETRY_MAX_MS = 1000;

/**
 * Publishes on a confirm channel: a publish resolves once the broker confirmed it (for a quorum
 * queue: written to a majority of replicas) and rejects with BROKER_UNAVAILABLE when the
 * connection went away first or no confirm came within the timeout. A nacked message is sent
 * again (with backoff) until that timeout, and rejected if it is still nacked then.
 */
export class ConfirmPublisher implements Participant {
  readonly #timeoutMs: number;
  readonly #log: Logger;
  /** Each publish still waiting for its confirm, by publish id, oldest first. */
  readonly #pending = new Map<string, Pending>();
  /** Fails the oldest pending publish when its confirm is overdue (see #armTimeout). */
  #timeout: NodeJS.Timeout | undefined;
  /** Called once #pending is empty (shutdown waits for it). */
  #onIdle: (() => void)[] = [];
  /** Publish ids of messages the broker returned as unroutable (the confirm follows). */
  readonly #returned = new Set<string>();
  #session: Session | undefined;
  readonly #slot = new PublishSlot<ConfirmChannel>();
  #seq = 0;
  /** A fresh channel is being opened in place of one that stopped confirming. */
  #replacing = false;

  constructor(options: { confirmTimeoutMs: number; logger: Logger }) {
    this.#timeoutMs = options.confirmTimeoutMs;
    this.#log = options.logger.child({ part: 'publisher' });
  }

  async attach(session: Session): Promise<void> {
    const channel: ConfirmChannel = await session.confirmChannel('publisher', () => {
      if (this.#slot.channel !== channel) return;
      this.#detachChannel();
      // A channel-level error on the shared publisher is unexpected: rebuild everything.
      if (!this.#slot.closing && session.alive) {
        this.#log.error({}, 'publisher channel closed by the broker; reconnecting');
        void session.close();
      }
    });
    channel.on('return', (message: Message) => {
      const id: unknown = message.properties.messageId;
      if (typeof id === 'string' && this.#pending.has(id)) this.#returned.add(id);
    });
    this.#session = session;
    this.#slot.attach(channel);
  }

  detach(): void {
    this.#detachChannel();
  }

  async shutdown(): Promise<void> {
    this.#slot.close();
    await this.#idle(); // each publish is bounded by the confirm timeout
    const channel = this.#slot.channel;
    this.#detachChannel();
    await channel?.close().catch(() => undefined);
  }

  publish(
    exchange: string,
    routingKey: string,
    body: Buffer,
    options: PublishOptions,
  ): Promise<void> {
    // Mostly the channel is there with room: the message goes out in this tick, with no closure
    // or promise before it. Otherwise it waits in line with the others (PublishSlot.inLine).
    const ready = this.#slot.now();
    if (ready !== undefined) return this.#sendUnblocked(ready, exchange, routingKey, body, options);
    return this.#slot.inLine('not connected to RabbitMQ: the message was not sent', (r) =>
      this.#sendUnblocked(r, exchange, routingKey, body, options),
    );
  }

  /** Sends unless the broker blocked the connection (a resource alarm). */
  #sendUnblocked(
    { channel, gate }: ReadyChannel<ConfirmChannel>,
    exchange: string,
    routingKey: string,
    body: Buffer,
    options: PublishOptions,
  ): Promise<void> {
    const blockedBy = this.#session?.blocked;
    if (blockedBy !== undefined) return Promise.reject(blockedError(blockedBy));
    return this.#send(channel, gate, exchange, routingKey, body, options);
  }

  /** Resolves once no publish awaits its confirm (each one leaves #pending as it settles). */
  #idle(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#onIdle.push(resolve);
    return promise;
  }

  #send(
    channel: ConfirmChannel,
    gate: DrainGate,
    exchange: string,
    routingKey: string,
    body: Buffer,
    options: PublishOptions,
  ): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const publish: Pending = {
      id: String(++this.#seq),
      exchange,
      routingKey,
      body,
      options,
      channel,
      deadline: performance.now() + this.#timeoutMs,
      resolve,
      reject,
      retry: undefined,
      retryDelayMs: NACK_RETRY_MS,
    };
    this.#pending.set(publish.id, publish);
    this.#armTimeout();
    this.#transmit(publish, channel, gate);
    return promise;
  }

  /** Sends `publish` on `on`; its confirm (or nack, or return) settles it. */
  #transmit(publish: Pending, on: ConfirmChannel, drain: DrainGate | undefined): void {
    const { options } = publish;
    try {
      const ok = on.publish(
        publish.exchange,
        publish.routingKey,
        publish.body,
        {
          persistent: options.persistent,
          mandatory: options.unroutable !== undefined,
          messageId: publish.id,
          contentType: options.contentType ?? CONTENT_TYPE,
          type: options.type,
          ...(options.headers === undefined ? {} : { headers: options.headers }),
        },
        (error: unknown) => this.#confirmed(publish, error),
      );
      if (!ok) drain?.block();
    } catch (error) {
      this.#settle(publish, toFjordError(error, 'could not publish to RabbitMQ'));
    }
  }

  #confirmed(publish: Pending, error: unknown): void {
    if (isNack(error)) this.#nacked(publish, error);
    else if (error) this.#settle(publish, toFjordError(error, 'RabbitMQ did not take the message'));
    else if (this.#returned.has(publish.id)) this.#settle(publish, publish.options.unroutable?.());
    else this.#settle(publish);
  }

  /**
   * A nack says the queue could not take the message now: a quorum queue whose leader just died
   * nacks until a new one is elected (under a second). Sending it again until the confirm
   * timeout rides that out; answering at once would make a node requeue (and soon use up) an
   * invocation it already ran, only because its result could not be written.
   */
  #nacked(publish: Pending, error: unknown): void {
    if (this.#pending.get(publish.id) !== publish) return;
    const failure = toFjordError(error, 'RabbitMQ did not take the message');
    const { exchange, routingKey, retryDelayMs } = publish;
    this.#log.debug(
      { exchange, routingKey, retryInMs: retryDelayMs },
      'message nacked; sending it again',
    );
    publish.retry = setTimeout(() => {
      const current = this.#slot.channel;
      if (current === undefined || this.#slot.closing) return this.#settle(publish, failure);
      this.#returned.delete(publish.id);
      this.#transmit(publish, current, this.#slot.gate);
    }, retryDelayMs);
    publish.retryDelayMs = Math.min(NACK_RETRY_MAX_MS, retryDelayMs * 2);
  }

  /** Ends `publish` (once): resolved, or rejected with `error`. */
  #settle(publish: Pending, error?: FjordError): void {
    if (this.#pending.get(publish.id) !== publish) return;
    this.#pending.delete(publish.id);
    if (this.#pending.size === 0) {
      clearTimeout(this.#timeout);
      this.#timeout = undefined;
      for (const idle of this.#onIdle.splice(0)) idle();
    }
    if (publish.retry !== undefined) clearTimeout(publish.retry);
    this.#returned.delete(publish.id);
    if (error === undefined) publish.resolve();
    else publish.reject(error);
  }

  /**
   * One timer for every publish awaiting its confirm rather than one each: all wait the same
   * timeout, so the oldest (first in #pending, which keeps insertion order) is always the next to
   * expire. The timer is set for it and, when it fires, fails what expired and is set again.
   */
  #armTimeout(): void {
    if (this.#timeout !== undefined) return;
    const oldest = this.#pending.values().next().value;
    if (oldest === undefined) return;
    const waitMs = Math.max(0, oldest.deadline - performance.now());
    this.#timeout = setTimeout(() => this.#expire(), Math.ceil(waitMs));
  }

  #expire(): void {
    this.#timeout = undefined;
    const now = performance.now();
    for (const publish of this.#pending.values()) {
      if (publish.deadline > now) break;
      this.#settle(
        publish,
        unavailable(`RabbitMQ did not confirm the message within ${this.#timeoutMs} ms`),
      );
      void this.#replace(publish.channel);
    }
    this.#armTimeout();
  }

  /**
   * Swaps `stuck` for a fresh channel on the same connection, when a confirm did not come in
   * time. On RabbitMQ 3.10 a channel that published to a quorum queue while its leader was
   * being replaced can keep waiting on the old leader: none of its later publishes to that queue
   * are ever confirmed (seen in test/e2e/rabbitmq-cluster.test.ts), while a new channel finds
   * the new leader. What is still pending on `stuck` ends by its own timeout, then it is closed.
   */
  async #replace(stuck: ConfirmChannel): Promise<void> {
    const session = this.#session;
    if (this.#slot.channel !== stuck || this.#replacing || session === undefined) return;
    if (!session.alive || this.#slot.closing) return;
    this.#replacing = true;
    this.#log.warn({}, 'RabbitMQ did not confirm in time; publishing on a fresh channel');
    try {
      await this.attach(session);
    } catch (error) {
      // Opening a channel failed on a live connection: rebuild everything, as for a closed one.
      this.#log.error({ err: error }, 'could not open a fresh publisher channel; reconnecting');
      if (session.alive) void session.close();
    } finally {
      this.#replacing = false;
    }
    setTimeout(() => void stuck.close().catch(() => undefined), this.#timeoutMs).unref();
  }

  #detachChannel(): void {
    this.#session = undefined;
    this.#slot.detach();
    for (const publish of [...this.#pending.values()]) {
      this.#settle(
        publish,
        unavailable('the RabbitMQ connection closed before the message was confirmed'),
      );
    }
  }
}
