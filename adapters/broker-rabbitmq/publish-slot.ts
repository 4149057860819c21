import type { Channel } from 'amqplib';
import { unavailable } from './codec.ts';
import { DrainGate } from './drain-gate.ts';

/** A channel with room to publish on, and its drain gate. */
export interface ReadyChannel<C extends Channel> {
  channel: C;
  gate: DrainGate;
}

/**
 * The channel a participant publishes on, across reconnects, with its drain gate. `ready()` waits
 * while the channel's write buffer is full and fails when the channel went away meanwhile or the
 * participant is shutting down, so a publish never goes out on a channel that is gone.
 *
 * Messages keep their order: {@link now} gives the channel only while no message waits in
 * {@link inLine}, and one that waited is sent in the same turn its wait ends.
 */
export class PublishSlot<C extends Channel> {
  #channel: C | undefined;
  #gate: DrainGate | undefined;
  #closing = false;
  /** Messages waiting in inLine(): while there are any, now() gives nothing. */
  #waiting = 0;

  /** The attached channel; undefined between a connection loss and the next attach. */
  get channel(): C | undefined {
    return this.#channel;
  }

  /** The attached channel's drain gate; undefined while no channel is attached. */
  get gate(): DrainGate | undefined {
    return this.#gate;
  }

  /** True once `close()` was called: shutting down, publishes fail. */
  get closing(): boolean {
    return this.#closing;
  }

  /**
   * The channel to send on in this tick, with no await (and no promise) before it: when ready()
   * would give it at once and no message waits in {@link inLine}; undefined otherwise.
   */
  now(): ReadyChannel<C> | undefined {
    const channel = this.#channel;
    const gate = this.#gate;
    if (channel === undefined || gate === undefined || gate.blocked !== undefined) return undefined;
    if (this.#closing || this.#waiting > 0) return undefined;
    return { channel, gate };
  }

  /**
   * Waits in line for ready(), then calls `send` in the same turn, before any message that came
   * later can go out; `send`'s result, or BROKER_UNAVAILABLE (`notConnected`).
   */
  async inLine<T>(
    notConnected: string,
    send: (ready: ReadyChannel<C>) => T | Promise<T>,
  ): Promise<T> {
    this.#waiting++;
    try {
      return send(await this.ready(notConnected));
    } finally {
      this.#waiting--;
    }
  }

  attach(channel: C): void {
    this.#channel = channel;
    this.#gate = new DrainGate(channel);
  }

  detach(): void {
    this.#channel = undefined;
    this.#gate = undefined;
  }

  /** Marks the slot as shutting down; the channel stays for the caller to close. */
  close(): void {
    this.#closing = true;
  }

  /** The channel to publish on once its write buffer has room; BROKER_UNAVAILABLE otherwise. */
  async ready(notConnected: string): Promise<ReadyChannel<C>> {
    let channel = this.#channel;
    const gate = this.#gate;
    const blocked = gate?.blocked;
    if (blocked !== undefined) {
      await blocked;
      if (this.#channel !== channel) channel = undefined;
    }
    if (channel === undefined || gate === undefined || this.#closing) {
      throw unavailable(notConnected);
    }
    return { channel, gate };
  }
}
