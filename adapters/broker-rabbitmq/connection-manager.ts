import { connect } from 'amqplib';
import type { BrokerState } from '../../core/broker.ts';
import type { FjordError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { coalesceWrites } from './coalesce-writes.ts';
import { toFjordError, unavailable } from './codec.ts';
import { redactUrl } from './options.ts';
import { Session } from './session.ts';

/**
 * Something that holds channels on the connection and rebuilds them on every new one: the core
 * parts (topology, publisher, reply-to client) and each live subscription.
 */
export interface Participant {
  /**
   * Opens what it needs on a fresh connection. A core part that throws fails the whole connection
   * attempt, which is retried; a subscription must handle its own failures and never throw.
   */
  attach(session: Session): Promise<void>;
  /** The connection is gone: forget its channels and fail whatever waited on them. */
  detach(): void;
  /** close() was called: settle, cancel and close channels (the connection closes after). */
  shutdown(): Promise<void>;
}

export interface ConnectionManagerOptions {
  /** Attached in this order on every connection, before the subscriptions. */
  core: Participant[];
  /** The nodes to connect to, tried in turn (at least one). */
  urls: readonly string[];
  connectionName: string;
  startTimeoutMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
  logger: Logger;
}

/**
 * Owns the AMQP connection: connects, reconnects with backoff after a loss, attaches the core
 * participants, restores the subscriptions, and only then reports `up`, so that `up` means
 * everything works again (readiness probes and tests can rely on it). Publishing works a little
 * earlier, as soon as the publisher is attached, so a restored consumer can already report.
 */
export class ConnectionManager {
  readonly #options: ConnectionManagerOptions;
  readonly #log: Logger;
  readonly #core: readonly Participant[];
  readonly #subscriptions: Participant[] = [];
  readonly #listeners = new Set<(state: BrokerState) => void>();
  #state: BrokerState = 'connecting';
  #session: Session | undefined;
  #sessions = 0;
  /** Connection attempts so far; attempt `n` goes to `urls[n % urls.length]`. */
  #attempts = 0;
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(options: ConnectionManagerOptions) {
    this.#options = options;
    this.#core = [...options.core];
    this.#log = options.logger;
  }

  get state(): BrokerState {
    return this.#state;
  }

  /** The live connection; throws BROKER_UNAVAILABLE unless the state is `up`. */
  get session(): Session {
    if (this.#session === undefined || this.#state !== 'up') {
      throw unavailable(`RabbitMQ is not available (broker ${this.#state})`);
    }
    return this.#session;
  }

  onStateChange(listener: (state: BrokerState) => void): void {
    this.#listeners.add(listener);
  }

  /** Registers a subscription, to be restored after every reconnect until removed. */
  add(subscription: Participant): void {
    this.#subscriptions.push(subscription);
  }

  remove(subscription: Participant): void {
    const index = this.#subscriptions.indexOf(subscription);
    if (index >= 0) this.#subscriptions.splice(index, 1);
  }

  /** Connects, retrying until `startTimeoutMs` passes; idempotent. */
  start(): Promise<void> {
    if (this.#state === 'closed') return Promise.reject(unavailable('the broker was closed'));
    this.#starting ??= this.#establish(Date.now() + this.#options.startTimeoutMs).catch(
      (error: unknown) => {
        this.#starting = undefined; // a later start() tries again
        throw error;
      },
    );
    return this.#starting;
  }

  /** Shuts subscriptions down, then the core parts in reverse order, then the connection. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const session = this.#session;
      this.#session = undefined;
      this.#setState('closed');
      this.#wake?.();
      for (const participant of [...this.#subscriptions, ...[...this.#core].reverse()]) {
        await participant.shutdown().catch((error: unknown) => {
          this.#log.warn({ err: error }, 'error while shutting down');
        });
      }
      await session?.close();
    })();
    return this.#closing;
  }

  /**
   * Tries to connect until it works, `deadline` passes (then throws), or close() is called. With
   * several URLs each attempt takes the next one, right away while a round lasts; the backoff
   * counts rounds, so one dead node of a cluster costs no waiting.
   */
  async #establish(deadline?: number): Promise<void> {
    const { urls } = this.#options;
    for (let attempt = 0; !this.#closed; attempt++) {
      const url = urls[this.#attempts++ % urls.length] as string;
      try {
        await this.#connect(url);
        return;
      } catch (error) {
        if (this.#closed) return;
        const endOfRound = (attempt + 1) % urls.length === 0;
        const delayMs = endOfRound ? this.#backoff(Math.floor(attempt / urls.length)) : 0;
        if (deadline !== undefined && Date.now() + delayMs > deadline) throw this.#giveUp(error);
        this.#log.warn(
          { err: error, url: redactUrl(url), delayMs },
          'RabbitMQ connection attempt failed; retrying',
        );
        await this.#sleep(delayMs);
      }
    }
  }

  async #connect(url: string): Promise<void> {
    const model = await connect(url, {
      // Without it, Nagle's algorithm and delayed ACKs add about 40 ms to every round trip.
      noDelay: true,
      timeout: 10_000,
      clientProperties: { connection_name: this.#options.connectionName },
    });
    coalesceWrites(model);
    const session: Session = new Session(model, ++this.#sessions, this.#log, (error) =>
      this.#lost(session, error),
    );
    try {
      for (const participant of this.#core) {
        await participant.attach(session);
        if (!session.alive) throw unavailable('connection lost while restoring channels');
      }
    } catch (error) {
      for (const participant of this.#core) participant.detach();
      await session.close();
      throw error;
    }
    if (this.#closed) {
      await session.close(); // close() ran while we were attaching
      return;
    }
    // Current from here on, so that a loss while restoring subscriptions reconnects again.
    this.#session = session;
    for (const subscription of [...this.#subscriptions]) {
      await subscription.attach(session);
      if (this.#session !== session) return; // lost or closed meanwhile
    }
    this.#log.info({ session: session.id, url: redactUrl(url) }, 'connected to RabbitMQ');
    this.#setState('up');
  }

  /** A getter, so TypeScript does not narrow the state across awaits. */
  get #closed(): boolean {
    return this.#state === 'closed';
  }

  #lost(session: Session, error?: Error): void {
    if (session !== this.#session || this.#closed) return;
    this.#session = undefined;
    this.#log.warn({ err: error, session: session.id }, 'RabbitMQ connection lost; reconnecting');
    for (const participant of [...this.#core, ...this.#subscriptions]) participant.detach();
    this.#setState('down');
    void this.#establish();
  }

  #giveUp(error: unknown): FjordError {
    const urls = this.#options.urls.map(redactUrl).join(', ');
    return toFjordError(error, `could not connect to RabbitMQ at ${urls}`);
  }

  #backoff(attempt: number): number {
    const { initialDelayMs, maxDelayMs } = this.#options;
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 20));
    // Jitter keeps a fleet of nodes from reconnecting in lockstep after a broker restart.
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  #setState(state: BrokerState): void {
    if (this.#state === state) return;
    this.#state = state;
    for (const listener of this.#listeners) {
      try {
        listener(state);
      } catch (error) {
        this.#log.error({ err: error, state }, 'broker state listener threw');
      }
    }
  }
}
