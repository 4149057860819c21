import { randomBytes } from 'node:crypto';
import type {
  Broker,
  BrokerState,
  InvocationDelivery,
  InvocationHandler,
  QueueTriggers,
  Subscription,
} from '../../core/broker.ts';
import { assertPrefetch } from '../../core/broker.ts';
import { FjordError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type {
  ControlEvent,
  DeadLetter,
  InvocationMessage,
  InvocationResult,
  ResultEvent,
} from '../../core/messages.ts';
import { oneEventAtATime, resultsBody, resultsOfBody } from '../../core/messages.ts';
import { assertFunctionName } from '../../core/names.ts';
import { ControlFanout } from './control-fanout.ts';
import { BrokerFile } from './broker-file.ts';
import type { Dispatcher } from './dispatcher.ts';
import {
  resolveOptions,
  type EmbeddedBrokerOptions,
  type ResolvedOptions,
} from './embedded-broker-options.ts';
import { retryDelayMs, type Lease } from './lease.ts';
import { EmbeddedQueueTriggers } from './queue-triggers.ts';
import { SyncCalls } from './sync-calls.ts';

/** The results queue's name; function names start with a letter, so none can collide. */
const RESULTS_QUEUE = '$results';
/** The dead letters of every function, on their way to the store. */
const DEAD_LETTERS_QUEUE = '$dead-letters';

/**
 * The {@link Broker} of `fn up`: one process, no RabbitMQ, queues persisted in a SQLite file
 * (node:sqlite, no native addon).
 *
 * - Async invocations and results are rows, committed before enqueue()/publishResult() resolve.
 * - A retry releases the leased row with a later `available_at` (its not-before time): the row's
 *   delivery count goes on, so the next delivery is the next attempt. Dead letters are rows of
 *   one more queue, consumed like results.
 * - A delivered row is leased by this instance; close() releases its leases, and leases of a
 *   process that died are released by the next instance to start or heartbeat.
 * - Sync invocations stay in memory (see {@link SyncCalls}): `call()` works only with a consumer
 *   in this same instance.
 * - Control events fan out to this instance's subscribers only.
 *
 * Several instances may share a file (the contract suite does); each sees the others' rows
 * within `pollIntervalMs`, while its own enqueues reach its own consumers at once. The state is
 * never `down`: there is no connection to lose, and a commit that fails (busy file, full disk)
 * rejects the enqueues it carried with BROKER_UNAVAILABLE.
 */
export class EmbeddedBroker implements Broker {
  readonly #options: ResolvedOptions;
  readonly #log: Logger;
  /**
   * Owner of this instance's leases; unique even across instances of one process. 96 random
   * bits in 16 characters, not a 36-character UUID: every leased row carries it in two indexes.
   */
  readonly #id = randomBytes(12).toString('base64url');
  readonly #listeners = new Set<(state: BrokerState) => void>();
  readonly #calls: SyncCalls;
  readonly #control: ControlFanout;
  #state: BrokerState = 'connecting';
  #file: BrokerFile | undefined;
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  readonly queues: QueueTriggers;

  constructor(options: EmbeddedBrokerOptions) {
    this.#options = resolveOptions(options);
    this.#log = options.logger;
    this.#calls = new SyncCalls(this.#options.now);
    this.#control = new ControlFanout(this.#log);
    this.queues = new EmbeddedQueueTriggers({
      dispatcher: () => this.#require(),
      deadLetter: (letter) =>
        this.#require().insert(DEAD_LETTERS_QUEUE, letter.message.id, JSON.stringify(letter)),
      now: this.#options.now,
    });
  }

  get state(): BrokerState {
    return this.#state;
  }

  start(): Promise<void> {
    if (this.#state === 'closed')
      return Promise.reject(unavailable('the embedded broker is closed'));
    this.#starting ??= this.#start();
    return this.#starting;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  onStateChange(listener: (state: BrokerState) => void): void {
    this.#listeners.add(listener);
  }

  /** Queues need no declaration here: a function's queue is its rows. Validates the name. */
  async declareFunction(name: string): Promise<void> {
    this.#require();
    assertFunctionName(name);
  }

  async deleteFunction(name: string): Promise<void> {
    const dispatcher = this.#require();
    assertFunctionName(name);
    let dropped: number;
    try {
      dropped = dispatcher.deleteQueue(name);
    } catch (error) {
      throw new FjordError('BROKER_UNAVAILABLE', `could not delete the queue of ${name}`, {
        cause: error,
      });
    }
    this.#calls.dropQueue(name, new FjordError('FUNCTION_NOT_FOUND', `${name} was deleted`));
    this.#log.info({ fn: name, dropped }, 'function queue deleted');
  }

  async enqueue(message: InvocationMessage): Promise<void> {
    const dispatcher = this.#require();
    const fn = assertFunctionName(message.fn.name);
    await dispatcher.insert(fn, message.id, JSON.stringify(message));
  }

  async call(message: InvocationMessage): Promise<InvocationResult> {
    const dispatcher = this.#require();
    const fn = assertFunctionName(message.fn.name);
    if (message.replyBy === undefined) {
      throw new FjordError('INTERNAL', `call() needs replyBy (invocation ${message.id})`);
    }
    const reply = this.#calls.start(message, message.replyBy);
    dispatcher.notify(fn);
    return reply;
  }

  async consume(fn: string, prefetch: number, handler: InvocationHandler): Promise<Subscription> {
    const dispatcher = this.#require();
    assertFunctionName(fn);
    assertPrefetch(prefetch);
    return dispatcher.subscribe(fn, prefetch, (lease) => handler(this.#invocationDelivery(lease)));
  }

  async queueDepth(fn: string): Promise<number> {
    const dispatcher = this.#require();
    assertFunctionName(fn);
    try {
      return dispatcher.depth(fn);
    } catch (error) {
      throw unavailable(`could not count the queue of ${fn}`, error);
    }
  }

  async publishResult(event: ResultEvent): Promise<void> {
    await this.publishResults([event]);
  }

  async publishResults(events: readonly ResultEvent[]): Promise<void> {
    const dispatcher = this.#require();
    const first = events[0];
    if (first === undefined) return;
    // One row per burst; its id (for logs only) is its first event's invocation.
    const id = first.type === 'started' ? first.id : first.result.id;
    await dispatcher.insert(RESULTS_QUEUE, id, JSON.stringify(resultsBody(events)));
  }

  async consumeResults(handler: (event: ResultEvent) => Promise<void>): Promise<Subscription> {
    return this.consumeResultBursts(oneEventAtATime(handler));
  }

  async consumeResultBursts(
    handler: (events: readonly ResultEvent[]) => Promise<void>,
  ): Promise<Subscription> {
    // Rows of the results queue hold what publishResults() wrote, in either form.
    return this.#consumeEvents(RESULTS_QUEUE, (payload) => handler(resultsOfBody(payload)));
  }

  async consumeDeadLetters(handler: (letter: DeadLetter) => Promise<void>): Promise<Subscription> {
    return this.#consumeEvents(DEAD_LETTERS_QUEUE, (payload) => handler(payload as DeadLetter));
  }

  async announce(event: ControlEvent): Promise<void> {
    this.#require();
    this.#control.publish(event);
  }

  async onControl(handler: (event: ControlEvent) => void): Promise<Subscription> {
    this.#require();
    return this.#control.subscribe(handler);
  }

  async #start(): Promise<void> {
    try {
      this.#file = new BrokerFile(this.#options, this.#id, this.#calls);
    } catch (error) {
      this.#setState('closed');
      throw new FjordError(
        'BROKER_UNAVAILABLE',
        `cannot open the embedded broker at ${this.#options.path}`,
        { cause: error },
      );
    }
    this.#setState('up');
  }

  async #close(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    this.#setState('closed');
    this.#control.clear();
    this.#calls.rejectAll(unavailable('the embedded broker closed before the reply'));
    await file?.close();
  }

  /** Delivers the rows of a shared event queue; a handler that throws gets its row back later. */
  #consumeEvents(queue: string, handler: (payload: unknown) => Promise<void>): Subscription {
    const dispatcher = this.#require();
    return dispatcher.subscribe(queue, this.#options.resultsPrefetch, async (lease) => {
      try {
        await handler(lease.payload);
        lease.ack();
      } catch (error) {
        const delayMs = retryDelayMs(lease.attempt);
        this.#log.warn({ err: error, queue, attempt: lease.attempt, delayMs }, 'handler failed');
        lease.requeue(delayMs);
      }
    });
  }

  #invocationDelivery(lease: Lease<unknown>): InvocationDelivery {
    // Function queues hold what enqueue() wrote or what call() was given.
    const message = lease.payload as InvocationMessage;
    // A redriven copy starts its own delivery count where the dead one ended.
    const attempt = (message.priorAttempts ?? 0) + lease.attempt;
    return {
      message,
      attempt,
      // Async invocations have no waiting caller: reply() then finds nobody, as documented.
      reply: async (result) => void this.#calls.reply(message.id, result),
      ack: () => lease.ack(),
      requeue: () => lease.requeue(),
      retry: (delayMs) => lease.retry(Math.max(0, delayMs)),
      deadLetter: async (reason) => {
        const letter: DeadLetter = { message, attempt, deadAt: this.#options.now(), ...reason };
        // Two commits: the ack only once the letter is durable, so a crash between the two
        // redelivers the message (and the node gives up on it again) instead of losing it.
        await this.#require().insert(DEAD_LETTERS_QUEUE, message.id, JSON.stringify(letter));
        lease.ack();
      },
    };
  }

  #require(): Dispatcher {
    if (this.#file === undefined || this.#state !== 'up') {
      throw unavailable(
        this.#state === 'closed'
          ? 'the embedded broker is closed'
          : 'the embedded broker is not started',
      );
    }
    return this.#file.dispatcher;
  }

  #setState(state: BrokerState): void {
    if (this.#state === state) return;
    this.#state = state;
    for (const listener of [...this.#listeners]) {
      try {
        listener(state);
      } catch (error) {
        this.#log.error({ err: error, state }, 'broker state listener threw');
      }
    }
  }
}

function unavailable(message: string, cause?: unknown): FjordError {
  return new FjordError('BROKER_UNAVAILABLE', message, { cause });
}
