import type { ConfirmChannel, Message } from 'amqplib';
import type { FjordError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { CONTENT_TYPE, toFjordError, unavailable } from './codec.ts';
import type { Participant } from './connection-manager.ts';
import type { DrainGate } from './drain-gate.ts';
import { PublishSlot } from './publish-slot.ts';
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

/** amqplib's confirm callback error for a basic.nack (a closed channel gives another). */
function isNack(error: unknown): boolean {
  return error instanceof Error && error.message === 'message nacked';
}

/**
 * Publishes on a confirm channel: a publish resolves once the broker confirmed it (for a quorum
 * queue: written to a majority of replicas) and rejects with BROKER_UNAVAILABLE when the
 * connection went away first or no confirm came within the timeout. A nacked message is sent
 * again (with backoff) until that timeout, and rejected if it is still nacked then.
 */
export class ConfirmPublisher implements Participant {
  readonly #timeoutMs: number;
  readonly #log: Logger;
  /** Settles each publish still waiting for its confirm, by publish id. */
  readonly #pending = new Map<string, (error?: FjordError) => void>();
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

  async publish(
    exchange: string,
    routingKey: string,
    body: Buffer,
    options: PublishOptions,
  ): Promise<void> {
    const { channel, gate } = await this.#slot.ready(
      'not connected to RabbitMQ: the message was not sent',
    );
    const blockedBy = this.#session?.blocked;
    if (blockedBy !== undefined) throw unavailable(`RabbitMQ blocks publishing: ${blockedBy}`);
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
    const id = String(++this.#seq);
    return new Promise<void>((resolve, reject) => {
      let retry: NodeJS.Timeout | undefined;
      let retryDelayMs = NACK_RETRY_MS;
      const timer = setTimeout(() => {
        settle(unavailable(`RabbitMQ did not confirm the message within ${this.#timeoutMs} ms`));
        void this.#replace(channel);
      }, this.#timeoutMs);
      const settle = (error?: FjordError): void => {
        if (!this.#pending.delete(id)) return;
        if (this.#pending.size === 0 && this.#onIdle.length > 0) {
          for (const idle of this.#onIdle.splice(0)) idle();
        }
        clearTimeout(timer);
        clearTimeout(retry);
        this.#returned.delete(id);
        if (error === undefined) resolve();
        else reject(error);
      };
      // A nack says the queue could not take the message now: a quorum queue whose leader just
      // died nacks until a new one is elected (under a second). Sending it again until the
      // confirm timeout rides that out; answering at once would make a node requeue (and soon
      // use up) an invocation it already ran, only because its result could not be written.
      const nacked = (error: FjordError): void => {
        if (!this.#pending.has(id)) return;
        this.#log.debug(
          { exchange, routingKey, retryInMs: retryDelayMs },
          'message nacked; sending it again',
        );
        retry = setTimeout(() => {
          const current = this.#slot.channel;
          if (current === undefined || this.#slot.closing) return settle(error);
          this.#returned.delete(id);
          send(current, this.#slot.gate);
        }, retryDelayMs);
        retryDelayMs = Math.min(NACK_RETRY_MAX_MS, retryDelayMs * 2);
      };
      const send = (on: ConfirmChannel, drain: DrainGate | undefined): void => {
        try {
          const ok = on.publish(
            exchange,
            routingKey,
            body,
            {
              persistent: options.persistent,
              mandatory: options.unroutable !== undefined,
              messageId: id,
              contentType: options.contentType ?? CONTENT_TYPE,
              type: options.type,
              ...(options.headers === undefined ? {} : { headers: options.headers }),
            },
            (error: unknown) => {
              if (isNack(error)) nacked(toFjordError(error, 'RabbitMQ did not take the message'));
              else if (error) settle(toFjordError(error, 'RabbitMQ did not take the message'));
              else if (this.#returned.has(id)) settle(options.unroutable?.());
              else settle();
            },
          );
          if (!ok) drain?.block();
        } catch (error) {
          settle(toFjordError(error, 'could not publish to RabbitMQ'));
        }
      };
      this.#pending.set(id, settle);
      send(channel, gate);
    });
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
    for (const settle of [...this.#pending.values()]) {
      settle(unavailable('the RabbitMQ connection closed before the message was confirmed'));
    }
  }
}
