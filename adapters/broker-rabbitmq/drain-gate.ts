import type { Channel } from 'amqplib';

/**
 * Write backpressure of one channel. When `publish()` returns false the message is already
 * buffered (it must not be sent again), but the next publish should wait for 'drain'. The gate
 * also opens when the channel closes, so nobody waits forever: their publish then fails.
 */
export class DrainGate {
  readonly #channel: Channel;
  #blocked: Promise<void> | undefined;

  constructor(channel: Channel) {
    this.#channel = channel;
  }

  /** Resolves when the next publish may go; undefined when it may go now. */
  get blocked(): Promise<void> | undefined {
    return this.#blocked;
  }

  /** Call when `publish()` returned false. */
  block(): void {
    this.#blocked ??= new Promise<void>((resolve) => {
      const open = (): void => {
        this.#channel.off('drain', open);
        this.#channel.off('close', open);
        this.#blocked = undefined;
        resolve();
      };
      this.#channel.on('drain', open);
      this.#channel.on('close', open);
    });
  }
}
