import type {
  Broker,
  BrokerState,
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
import { decode, encode, toFjordError } from './codec.ts';
import { ConnectionManager } from './connection-manager.ts';
import { controlSubscription } from './control-subscription.ts';
import { DEAD_LETTER_TYPE, parseDeadLetter } from './dead-letter-codec.ts';
import { DeclaredTopology } from './declared-topology.ts';
import { tierFor } from './delay-tiers.ts';
import { eventConsumer } from './event-consumer.ts';
import { invocationConsumer } from './invocation-consumer.ts';
import { ManagedConsumer, type ConsumerSpec } from './managed-consumer.ts';
import { resolveOptions, type RabbitMqBrokerOptions, type ResolvedOptions } from './options.ts';
import { ConfirmPublisher } from './publisher.ts';
import { QueueDeclarations } from './queue-declarations.ts';
import { QueueChecks } from './queue-checks.ts';
import { RabbitQueueTriggers } from './queue-triggers.ts';
import { RedeliveryGuard } from './redelivery-guard.ts';
import { RpcClient } from './rpc-client.ts';
import { DELAY_HEADER, declareSyncQueue, namesFor } from './topology.ts';

/**
 * The {@link Broker} on RabbitMQ: one durable quorum queue per function behind a direct exchange,
 * publisher confirms, manual acks, a transient classic queue per function for sync calls with
 * their replies by direct reply-to, a shared quorum results queue
 * and a control fanout. Retries wait in delay-tier queues (see topology.ts) and dead letters go
 * to a shared quorum queue, as results do. It reconnects by itself after a connection loss, redeclares its topology
 * and restores every subscription; while it is down, every operation fails fast with
 * BROKER_UNAVAILABLE. No amqplib type leaves this folder.
 */
export class RabbitMqBroker implements Broker {
  readonly #options: ResolvedOptions;
  readonly #log: Logger;
  readonly #manager: ConnectionManager;
  readonly #topology: DeclaredTopology;
  readonly #publisher: ConfirmPublisher;
  readonly #rpc: RpcClient;
  /** Shared by every function's consumers: a redelivery of a copy still running here waits. */
  readonly #redeliveries: RedeliveryGuard;
  /** Queue depths, on one channel kept open for them. */
  readonly #checks: QueueChecks;
  readonly queues: QueueTriggers;

  constructor(options: RabbitMqBrokerOptions) {
    this.#options = resolveOptions(options);
    const { logger, prefix, deliveryLimit, confirmTimeoutMs } = this.#options;
    this.#log = logger.child({ broker: 'rabbitmq', prefix });
    this.#topology = new DeclaredTopology({
      names: namesFor(prefix),
      deliveryLimit,
      logger: this.#log,
    });
    this.#publisher = new ConfirmPublisher({ confirmTimeoutMs, logger: this.#log });
    this.#redeliveries = new RedeliveryGuard({ logger: this.#log });
    this.#rpc = new RpcClient({ logger: this.#log, names: this.#topology.names });
    const declarations = new QueueDeclarations({
      names: this.#topology.names,
      prefix,
      deliveryLimit,
      logger: this.#log,
    });
    this.#manager = new ConnectionManager({
      ...this.#options,
      logger: this.#log,
      core: [this.#topology, this.#publisher, this.#rpc, declarations],
    });
    this.#checks = new QueueChecks(() => this.#manager.session);
    this.queues = new RabbitQueueTriggers({
      manager: this.#manager,
      topology: this.#topology,
      publisher: this.#publisher,
      declarations,
      deadLetter: (letter) => this.#deadLetter(letter),
      logger: this.#log,
    });
  }

  get state(): BrokerState {
    return this.#manager.state;
  }

  start(): Promise<void> {
    return this.#manager.start();
  }

  close(): Promise<void> {
    return this.#manager.close();
  }

  onStateChange(listener: (state: BrokerState) => void): void {
    this.#manager.onStateChange(listener);
  }

  async declareFunction(name: string): Promise<void> {
    await this.#topology.declareFunction(this.#manager.session, assertFunctionName(name));
  }

  async deleteFunction(name: string): Promise<void> {
    await this.#topology.deleteFunction(this.#manager.session, assertFunctionName(name));
  }

  async enqueue(message: InvocationMessage): Promise<void> {
    const fn = message.fn.name;
    await this.#publisher.publish(this.#names.invocations, fn, encode(message), {
      persistent: true,
      type: message.mode,
      unroutable: () => new FjordError('FUNCTION_NOT_FOUND', `no queue for function "${fn}"`),
    });
  }

  async call(message: InvocationMessage): Promise<InvocationResult> {
    return this.#rpc.call(message);
  }

  /**
   * Consumes the function's quorum queue and its sync queue, each with `prefetch` (the
   * executor's pool bounds what runs at once; see topology.ts declareSyncQueue for why sync calls
   * have a queue of their own). The sync consumer declares its queue again whenever it lost it,
   * as long as the function's quorum queue exists.
   */
  async consume(fn: string, prefetch: number, handler: InvocationHandler): Promise<Subscription> {
    const name = assertFunctionName(fn);
    assertPrefetch(prefetch);
    const options = {
      fn: name,
      prefetch,
      handler: this.#redeliveries.wrap(handler),
      reply: (replyTo: string, correlationId: string, result: InvocationResult) =>
        this.#rpc.reply(replyTo, correlationId, result),
      retry: (message: InvocationMessage, attempt: number, delayMs: number) =>
        this.#retry(message, attempt, delayMs),
      deadLetter: (letter: DeadLetter) => this.#deadLetter(letter),
      logger: this.#log,
    };
    const queued = await this.#subscribe(
      invocationConsumer({ ...options, queue: this.#names.functionQueue(name) }),
    );
    try {
      const sync = await this.#subscribe(
        invocationConsumer({
          ...options,
          label: 'sync',
          queue: this.#names.syncQueue(name),
          reopenOnCancel: true,
          prepare: async (channel) => {
            await channel.checkQueue(this.#names.functionQueue(name)); // 404: deleted
            await declareSyncQueue(channel, this.#names, name);
          },
        }),
      );
      return {
        cancel: async () => {
          await Promise.all([queued.cancel(), sync.cancel()]);
        },
      };
    } catch (error) {
      await queued.cancel();
      throw error;
    }
  }

  /** The invocations waiting in the function's quorum queue plus the sync calls in its own. */
  async queueDepth(fn: string): Promise<number> {
    const name = assertFunctionName(fn);
    const [queued, sync] = await Promise.all([
      this.#depth(this.#names.functionQueue(name), fn),
      this.#depth(this.#names.syncQueue(name), fn),
    ]);
    return queued + sync;
  }

  async #depth(queue: string, fn: string): Promise<number> {
    try {
      // Quorum queues report their ready messages here (measured on 3.10; only the declare that
      // creates one says 0); deliveries a node holds unacked are not counted.
      return (await this.#checks.messageCount(queue)) ?? 0;
    } catch (error) {
      throw toFjordError(error, `could not count the queue of "${fn}"`);
    }
  }

  async publishResult(event: ResultEvent): Promise<void> {
    await this.publishResults([event]);
  }

  async publishResults(events: readonly ResultEvent[], body?: string): Promise<void> {
    if (events.length === 0) return;
    const content = body === undefined ? encode(resultsBody(events)) : Buffer.from(body, 'utf8');
    await this.#publisher.publish('', this.#names.results, content, {
      persistent: true,
      type: events.length === 1 ? 'result' : 'results',
      unroutable: () => new FjordError('BROKER_UNAVAILABLE', 'the results queue is missing'),
    });
  }

  async consumeResults(handler: (event: ResultEvent) => Promise<void>): Promise<Subscription> {
    return this.consumeResultBursts(oneEventAtATime(handler));
  }

  async consumeResultBursts(
    handler: (events: readonly ResultEvent[]) => Promise<void>,
  ): Promise<Subscription> {
    return this.#subscribe(
      eventConsumer({
        label: 'results',
        queue: this.#names.results,
        prefetch: this.#options.resultsPrefetch,
        parse: (raw) => resultsOfBody(decode(raw)),
        handler,
        logger: this.#log,
      }),
    );
  }

  async consumeDeadLetters(handler: (letter: DeadLetter) => Promise<void>): Promise<Subscription> {
    return this.#subscribe(
      eventConsumer({
        label: 'dead letters',
        queue: this.#names.deadLetters,
        prefetch: this.#options.resultsPrefetch,
        parse: (raw) => parseDeadLetter(raw, Date.now()),
        handler,
        logger: this.#log,
      }),
    );
  }

  async announce(event: ControlEvent): Promise<void> {
    // Confirmed but transient: an announcement matters only to whoever listens right now.
    await this.#publisher.publish(this.#names.control, '', encode(event), {
      persistent: false,
      type: 'control',
    });
  }

  async onControl(handler: (event: ControlEvent) => void): Promise<Subscription> {
    return this.#subscribe(
      controlSubscription({ exchange: this.#names.control, handler, logger: this.#log }),
    );
  }

  /**
   * Publishes the copy for the next attempt: into the delay tier that lasts at least `delayMs`
   * (declared on first use), or straight back through the retries exchange when it is due now.
   */
  async #retry(message: InvocationMessage, attempt: number, delayMs: number): Promise<void> {
    const fn = message.fn.name;
    const body = encode({ ...message, priorAttempts: attempt } satisfies InvocationMessage);
    if (delayMs <= 0) {
      await this.#publisher.publish(this.#names.retries, fn, body, {
        persistent: true,
        type: 'retry',
      });
      return;
    }
    const tier = tierFor(delayMs);
    await this.#topology.ensureTier(this.#manager.session, tier);
    await this.#publisher.publish(this.#names.delay, fn, body, {
      persistent: true,
      type: 'retry',
      headers: { [DELAY_HEADER]: String(tier) },
      unroutable: () =>
        new FjordError('BROKER_UNAVAILABLE', `delay queue ${this.#names.delayQueue(tier)} is gone`),
    });
  }

  async #deadLetter(letter: DeadLetter): Promise<void> {
    await this.#publisher.publish('', this.#names.deadLetters, encode(letter), {
      persistent: true,
      type: DEAD_LETTER_TYPE,
      unroutable: () => new FjordError('BROKER_UNAVAILABLE', 'the dead-letters queue is missing'),
    });
  }

  get #names(): DeclaredTopology['names'] {
    return this.#topology.names;
  }

  #subscribe(spec: ConsumerSpec): Promise<Subscription> {
    return new ManagedConsumer(spec, this.#manager, this.#log).start();
  }
}
