import type { Broker, BrokerState, InvocationHandler, Subscription } from '../../core/broker.ts';
import { FjordError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type {
  ControlEvent,
  InvocationMessage,
  InvocationResult,
  ResultEvent,
} from '../../core/messages.ts';
import { assertFunctionName } from '../../core/names.ts';
import { encode } from './codec.ts';
import { ConnectionManager } from './connection-manager.ts';
import { controlSubscription } from './control-subscription.ts';
import { DeclaredTopology } from './declared-topology.ts';
import { invocationConsumer } from './invocation-consumer.ts';
import { ManagedConsumer, type ConsumerSpec } from './managed-consumer.ts';
import { resolveOptions, type RabbitMqBrokerOptions, type ResolvedOptions } from './options.ts';
import { ConfirmPublisher } from './publisher.ts';
import { resultsConsumer } from './results-consumer.ts';
import { RpcClient } from './rpc-client.ts';
import { namesFor } from './topology.ts';

/**
 * The {@link Broker} on RabbitMQ: one durable quorum queue per function behind a direct exchange,
 * publisher confirms, manual acks, direct reply-to for sync calls, a shared quorum results queue
 * and a control fanout. It reconnects by itself after a connection loss, redeclares its topology
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
    this.#rpc = new RpcClient({ logger: this.#log });
    this.#manager = new ConnectionManager({
      ...this.#options,
      logger: this.#log,
      core: [this.#topology, this.#publisher, this.#rpc],
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
    return this.#rpc.call(this.#names.invocations, message);
  }

  async consume(fn: string, prefetch: number, handler: InvocationHandler): Promise<Subscription> {
    const name = assertFunctionName(fn);
    if (!Number.isInteger(prefetch) || prefetch < 1) {
      throw new FjordError('BAD_REQUEST', `prefetch must be a positive integer, got ${prefetch}`);
    }
    return this.#subscribe(
      invocationConsumer({
        fn: name,
        queue: this.#names.functionQueue(name),
        prefetch,
        handler,
        reply: (replyTo, correlationId, result) => this.#rpc.reply(replyTo, correlationId, result),
        logger: this.#log,
      }),
    );
  }

  async publishResult(event: ResultEvent): Promise<void> {
    await this.#publisher.publish('', this.#names.results, encode(event), {
      persistent: true,
      type: 'result',
      unroutable: () => new FjordError('BROKER_UNAVAILABLE', 'the results queue is missing'),
    });
  }

  async consumeResults(handler: (event: ResultEvent) => Promise<void>): Promise<Subscription> {
    return this.#subscribe(
      resultsConsumer({
        queue: this.#names.results,
        prefetch: this.#options.resultsPrefetch,
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

  get #names(): DeclaredTopology['names'] {
    return this.#topology.names;
  }

  #subscribe(spec: ConsumerSpec): Promise<Subscription> {
    return new ManagedConsumer(spec, this.#manager, this.#log).start();
  }
}
