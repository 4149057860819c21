/**
 * An in-memory Broker for gateway unit tests: it records what the gateway enqueues, declares and
 * announces, lets the test answer each sync call, delivers results and control events to the
 * gateway's subscriptions, and can be switched down so it refuses work as a real adapter does.
 * Contract behaviour of real brokers is covered by test/contract, not here.
 */
import type { Broker, BrokerState, InvocationHandler, Subscription } from '../../core/broker.ts';
import { FjordError } from '../../core/errors.ts';
import type {
  ControlEvent,
  DeadLetter,
  InvocationMessage,
  InvocationResult,
  ResultEvent,
} from '../../core/messages.ts';
import { oneEventAtATime } from '../../core/messages.ts';
import { Inbox } from './inbox.ts';

/** A sync call the gateway is waiting on; the test settles it. */
export interface PendingCall {
  message: InvocationMessage;
  reply(result: InvocationResult): void;
  fail(error: unknown): void;
}

export class FakeBroker implements Broker {
  #state: BrokerState = 'up';
  readonly #stateListeners: ((state: BrokerState) => void)[] = [];
  /** Every results subscription, each taking a burst (consumeResults unpacks it). */
  readonly #resultHandlers = new Set<(events: readonly ResultEvent[]) => Promise<void>>();
  readonly #deadLetterHandlers = new Set<(letter: DeadLetter) => Promise<void>>();
  readonly #controlHandlers = new Set<(event: ControlEvent) => void>();

  /** Messages whose enqueue was confirmed. */
  readonly enqueued: InvocationMessage[] = [];
  /** Every message the gateway tried to enqueue or call, confirmed or not. */
  readonly attempted: InvocationMessage[] = [];
  /** Sync calls awaiting an answer from the test, in order. */
  readonly calls = new Inbox<PendingCall>();
  readonly declared = new Set<string>();
  readonly deleted: string[] = [];
  /** What queueDepth() answers, by function (absent: 0); tests set it. */
  readonly depths = new Map<string, number>();
  readonly announced: ControlEvent[] = [];
  /**
   * Runs before an enqueue is confirmed; the test may delay the confirmation or do something
   * meanwhile (publish the result early, say). Throwing fails the enqueue.
   */
  beforeConfirm: ((message: InvocationMessage) => Promise<void>) | undefined;

  get state(): BrokerState {
    return this.#state;
  }

  /** Switches the broker up or down, notifying state listeners as an adapter would. */
  setState(state: BrokerState): void {
    this.#state = state;
    for (const listener of this.#stateListeners) listener(state);
  }

  get resultSubscribers(): number {
    return this.#resultHandlers.size;
  }

  get controlSubscribers(): number {
    return this.#controlHandlers.size;
  }

  async start(): Promise<void> {
    this.setState('up');
  }

  async close(): Promise<void> {
    this.#resultHandlers.clear();
    this.#deadLetterHandlers.clear();
    this.#controlHandlers.clear();
    this.setState('closed');
  }

  onStateChange(listener: (state: BrokerState) => void): void {
    this.#stateListeners.push(listener);
  }

  async declareFunction(name: string): Promise<void> {
    this.#ensureUp();
    this.declared.add(name);
  }

  async deleteFunction(name: string): Promise<void> {
    this.#ensureUp();
    this.declared.delete(name);
    this.deleted.push(name);
  }

  async enqueue(message: InvocationMessage): Promise<void> {
    this.attempted.push(message);
    this.#ensureUp();
    await this.beforeConfirm?.(message);
    this.enqueued.push(message);
  }

  /** Waits for the test to settle the call, or rejects INVOCATION_TIMEOUT at `replyBy`. */
  async call(message: InvocationMessage): Promise<InvocationResult> {
    this.attempted.push(message);
    this.#ensureUp();
    return new Promise<InvocationResult>((resolve, reject) => {
      const timer =
        message.replyBy === undefined
          ? undefined
          : setTimeout(
              () => reject(new FjordError('INVOCATION_TIMEOUT', 'no reply before the deadline')),
              Math.max(0, message.replyBy - Date.now()),
            );
      timer?.unref();
      this.calls.push({
        message,
        reply: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        fail: (error) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      });
    });
  }

  async consume(
    _fn: string,
    _prefetch: number,
    _handler: InvocationHandler,
  ): Promise<Subscription> {
    this.#ensureUp();
    return { cancel: async () => undefined };
  }

  async queueDepth(fn: string): Promise<number> {
    this.#ensureUp();
    return this.depths.get(fn) ?? 0;
  }

  /** Delivers to every results subscriber and rejects when one throws (the redelivery case). */
  async publishResult(event: ResultEvent): Promise<void> {
    await this.publishResults([event]);
  }

  /** Delivers the burst to every results subscriber and rejects when one throws. */
  async publishResults(events: readonly ResultEvent[]): Promise<void> {
    this.#ensureUp();
    for (const handler of this.#resultHandlers) await handler(events);
  }

  async consumeResults(handler: (event: ResultEvent) => Promise<void>): Promise<Subscription> {
    return this.consumeResultBursts(oneEventAtATime(handler));
  }

  async consumeResultBursts(
    handler: (events: readonly ResultEvent[]) => Promise<void>,
  ): Promise<Subscription> {
    this.#ensureUp();
    this.#resultHandlers.add(handler);
    return { cancel: async () => void this.#resultHandlers.delete(handler) };
  }

  async consumeDeadLetters(handler: (letter: DeadLetter) => Promise<void>): Promise<Subscription> {
    this.#ensureUp();
    this.#deadLetterHandlers.add(handler);
    return { cancel: async () => void this.#deadLetterHandlers.delete(handler) };
  }

  /** Delivers a dead letter to every subscriber, as a node giving up would; rejects when one throws. */
  async emitDeadLetter(letter: DeadLetter): Promise<void> {
    for (const handler of this.#deadLetterHandlers) await handler(letter);
  }

  async announce(event: ControlEvent): Promise<void> {
    this.#ensureUp();
    this.announced.push(event);
    this.emitControl(event);
  }

  async onControl(handler: (event: ControlEvent) => void): Promise<Subscription> {
    this.#ensureUp();
    this.#controlHandlers.add(handler);
    return { cancel: async () => void this.#controlHandlers.delete(handler) };
  }

  /** Delivers a control event (a node's heartbeat, another gateway's deploy) to subscribers. */
  emitControl(event: ControlEvent): void {
    for (const handler of this.#controlHandlers) handler(event);
  }

  #ensureUp(): void {
    if (this.#state !== 'up') {
      throw new FjordError('BROKER_UNAVAILABLE', `fake broker is ${this.#state}`);
    }
  }
}
