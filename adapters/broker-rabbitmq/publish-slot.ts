import type { Channel } from 'amqplib';
import { unavailable } from './codec.ts';
import { DrainGate } from './drain-gate.ts';

/**
 * The channel a participant publishes on, across reconnects, with its drain gate. `ready()` waits
 * while the channel's write buffer is full and fails when the channel went away meanwhile or the
 * participant is shutting down, so a publish never goes out on a channel that is gone.
 */
export class PublishSlot<C extends Channel> {
  #channel: C | undefined;
  #gate: DrainGate | undefined;
  #closing = false;

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

  /** True when ready() would give the channel at once: attached, with room, not closing. */
  get open(): boolean {
    return this.#gate !== undefined && this.#gate.blocked === undefined && !this.#closing;
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
  async ready(notConnected: string): Promise<{ channel: C; gate: DrainGate }> {
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
