import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import type { Logger } from '../../core/logger.ts';

/**
 * One AMQP connection, from open to close. A reconnect makes a new Session, so whoever holds a
 * channel can tell a channel of the live connection from one of a dead connection.
 */
export class Session {
  readonly id: number;
  readonly #model: ChannelModel;
  readonly #log: Logger;
  #alive = true;
  #blocked: string | undefined;

  /** Takes over `model`; `onClose` runs once when the connection closes, for whatever reason. */
  constructor(model: ChannelModel, id: number, log: Logger, onClose: (error?: Error) => void) {
    this.id = id;
    this.#model = model;
    this.#log = log.child({ session: id });
    // Without an 'error' listener, an error event would crash the process.
    model.on('error', (error: Error) =>
      this.#log.warn({ err: error }, 'RabbitMQ connection error'),
    );
    model.on('close', (error?: Error) => {
      this.#alive = false;
      onClose(error);
    });
    model.on('blocked', (reason: string) => {
      this.#blocked = reason;
      this.#log.warn({ reason }, 'RabbitMQ blocked publishing (memory or disk alarm)');
    });
    model.on('unblocked', () => {
      this.#blocked = undefined;
      this.#log.info({}, 'RabbitMQ unblocked publishing');
    });
  }

  /** False once the connection closed; its channels are dead then. */
  get alive(): boolean {
    return this.#alive;
  }

  /**
   * Why RabbitMQ stopped reading what this connection publishes (a memory or disk alarm), or
   * undefined. Publishes would only wait until their timeout then, so they fail fast instead.
   */
  get blocked(): string | undefined {
    return this.#blocked;
  }

  /** A plain channel; `onClose` runs when it closes, whether by us, the server or the connection. */
  async channel(label: string, onClose?: () => void): Promise<Channel> {
    return this.#watch(await this.#model.createChannel(), label, onClose);
  }

  /** A channel in confirm mode: the broker acks every publish once it is safely queued. */
  async confirmChannel(label: string, onClose?: () => void): Promise<ConfirmChannel> {
    return this.#watch(await this.#model.createConfirmChannel(), label, onClose);
  }

  /**
   * Runs `task` on a short-lived channel, so that a channel error it provokes (a 404 or a 406 on a
   * declaration) closes only that channel.
   */
  async withChannel<T>(label: string, task: (channel: Channel) => Promise<T>): Promise<T> {
    const channel = await this.channel(label);
    try {
      return await task(channel);
    } finally {
      await channel.close().catch(() => undefined); // already closed by the error it reported
    }
  }

  /** Closes the connection; a no-op when it is already closed. */
  async close(): Promise<void> {
    if (!this.#alive) return;
    await this.#model.close().catch((error: unknown) => {
      this.#log.debug({ err: error }, 'closing a connection that was already going away');
    });
  }

  #watch<C extends Channel>(channel: C, label: string, onClose?: () => void): C {
    channel.on('error', (error: Error) =>
      this.#log.warn({ err: error, channel: label }, 'RabbitMQ channel error'),
    );
    // The connection closes its channels before it reports its own close; deferring lets the
    // handler see `alive === false` then, and leave the recovery to the reconnect.
    channel.on('close', () => queueMicrotask(() => onClose?.()));
    // A listener that throws would otherwise kill the channel; log the bug instead.
    channel.on('handler-error', (error: Error, event: string) =>
      this.#log.error({ err: error, channel: label, event }, 'channel listener threw'),
    );
    return channel;
  }
}
