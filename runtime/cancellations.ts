import type { BrokerState } from '../core/broker.ts';
import type { Logger } from '../core/logger.ts';
import type { FunctionDirectory } from './function-directory.ts';

/** Cancelled invocations are remembered this long, and at most this many (oldest go first). */
const CANCELLED_TTL_MS = 24 * 60 * 60 * 1000;
const CANCELLED_LIMIT = 100_000;
/**
 * A recall after a reconnect asks from this long before the previous successful one: the
 * store stamps a cancellation with the gateway's clock, and a node's clock may be ahead of it.
 */
export const RECALL_MARGIN_MS = 5 * 60 * 1000;

/** Holds deliveries back until opened. */
interface Gate {
  promise: Promise<void>;
  open: () => void;
}

export interface CancellationsOptions {
  /** Where missed cancellations are asked for; without `cancelled`, nothing is recalled. */
  directory: FunctionDirectory;
  logger: Logger;
  now?: () => number;
}

/**
 * The invocations a node must skip because they were cancelled while queued or retrying. Live
 * cancellations arrive on the control fanout; those announced while the node did not listen are
 * asked for: once at start (the last 24 h), and after every broker reconnect (from the previous
 * successful ask, minus {@link RECALL_MARGIN_MS}), since the control queue of a lost connection
 * is gone with what was announced meanwhile.
 *
 * From a connection loss until the recall after the reconnect has answered, {@link pending} holds
 * deliveries back: a restored consumer can deliver before the node knows what it missed.
 */
export class Cancellations {
  readonly #directory: FunctionDirectory;
  readonly #log: Logger;
  readonly #now: () => number;
  /** By id (to when remembered); a Map iterates oldest first. */
  readonly #ids = new Map<string, number>();
  /** When the last recall that answered was asked (node clock). */
  #recalledAt: number | undefined;
  /** Connection losses so far: a recall opens the gate only if none came while it ran. */
  #losses = 0;
  #gate: Gate | undefined;

  constructor(options: CancellationsOptions) {
    this.#directory = options.directory;
    this.#log = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /** While a recall after a reconnect is due or running: resolves once it is done. */
  get pending(): Promise<void> | undefined {
    return this.#gate?.promise;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  remember(id: string): void {
    const now = this.#now();
    this.#ids.set(id, now);
    for (const [old, at] of this.#ids) {
      if (this.#ids.size <= CANCELLED_LIMIT && at > now - CANCELLED_TTL_MS) break;
      this.#ids.delete(old);
    }
  }

  /**
   * Asks for the cancellations the node may have missed, to be called once it listens on the
   * control fanout (so none falls between the two). Without an answer the node goes on: such an
   * invocation then runs, and its result is not recorded (the store keeps it cancelled).
   */
  async recall(): Promise<void> {
    if (this.#directory.cancelled === undefined) return;
    const askedAt = this.#now();
    const oldest = askedAt - CANCELLED_TTL_MS;
    const since =
      this.#recalledAt === undefined
        ? oldest
        : Math.max(oldest, this.#recalledAt - RECALL_MARGIN_MS);
    try {
      const ids = await this.#directory.cancelled(since);
      // Latest first: remembered oldest first, so the map's order stays that of cancellation.
      for (const id of [...ids].reverse()) this.remember(id);
      this.#recalledAt = Math.max(this.#recalledAt ?? 0, askedAt);
      this.#log.debug({ count: ids.length, since }, 'recalled missed cancellations');
    } catch (error) {
      this.#log.warn({ err: error }, 'missed cancellations unknown; cancelled work may run');
    }
  }

  /**
   * Follows the broker's connection: a loss closes the gate for deliveries; being up again
   * (every subscription restored, the control fanout first) recalls, then opens it.
   */
  brokerState(state: BrokerState): void {
    if (state === 'down') {
      this.#losses++;
      if (this.#gate === undefined) {
        let open = (): void => undefined;
        const promise = new Promise<void>((resolve) => (open = resolve));
        this.#gate = { promise, open };
      }
      return;
    }
    const gate = this.#gate;
    if (gate === undefined) return;
    if (state === 'closed') return this.#open(gate);
    if (state !== 'up') return;
    const losses = this.#losses;
    void this.recall().then(() => {
      if (this.#losses === losses) this.#open(gate);
    });
  }

  #open(gate: Gate): void {
    if (this.#gate === gate) this.#gate = undefined;
    gate.open();
  }
}
