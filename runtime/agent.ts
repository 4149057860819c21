import type { Broker, InvocationDelivery, Subscription } from '../core/broker.ts';
import type { Executor } from '../core/executor.ts';
import type { Logger } from '../core/logger.ts';
import type { ControlEvent, FunctionSpec, NodeInfo } from '../core/messages.ts';
import type { BundleWaitPolicy } from './bundle-wait.ts';
import { Cancellations } from './cancellations.ts';
import { DeliveryHandler } from './delivery-handler.ts';
import type { FunctionDirectory } from './function-directory.ts';
import { ConcurrencyCaps } from './concurrency-cap.ts';
import { LatestEnds } from './latest-end.ts';
import { DeliveryWindows } from './delivery-window.ts';
import { NodeConsumers } from './node-consumers.ts';
import { describeNode, type NodeResources } from './node-info.ts';
import { QueueConsumers } from './queue-consumers.ts';
import { ResultBatcher } from './result-batcher.ts';

/**
 * - `idle`: constructed, not consuming.
 * - `running`: consuming the queues of every known function.
 * - `paused`: drained on an operator's request (`fn node drain`): consumers cancelled, in-flight
 *   invocations finishing or done; still heartbeating and listening, so `resume()` can follow.
 * - `draining`: stopping: consumers cancelled; in-flight invocations are finishing.
 * - `stopped`: nothing in flight, nothing consumed.
 */
export type AgentState = 'idle' | 'running' | 'paused' | 'draining' | 'stopped';

export interface AgentOptions {
  broker: Broker;
  executor: Executor;
  directory: FunctionDirectory;
  logger: Logger;
  nodeId: string;
  /** How often the node announces itself. */
  heartbeatMs?: number;
  /** Runtimes the executor can run; functions of any other runtime are left to other nodes. */
  runtimes?: readonly FunctionSpec['runtime'][];
  /** Instances started ahead of invocations when a function version becomes active. Default 1. */
  prewarm?: number;
  /** How an async invocation waits for a bundle no gateway can serve yet (runtime/bundle-wait.ts). */
  bundleWait?: BundleWaitPolicy;
  /** Version, runtimes and warm instances, for heartbeats. */
  resources?: NodeResources;
  /** Called when a pause (`fn node drain`) has no work left in flight. */
  onDrained?: () => void;
}

/** Gateways count a node down after three intervals without a heartbeat. */
const DEFAULT_HEARTBEAT_MS = 5000;

/**
 * The runtime agent of one node: consumes every function's queue, runs invocations on the
 * executor, reports results, and acks only once the result is durable (acks-late).
 */
export class RuntimeAgent {
  #state: AgentState = 'idle';
  readonly #options: AgentOptions;
  readonly #log: Logger;
  readonly #consumers: NodeConsumers;
  /** Cluster-wide concurrency caps (fn.json limits.concurrency): this node's shares. */
  readonly #caps: ConcurrencyCaps;
  /** Deliveries held per function beyond its slots, sized from its runs and confirms. */
  readonly #windows: DeliveryWindows;
  readonly #inflight = new Set<Promise<void>>();
  readonly #startedAt = Date.now();
  /** Invocations cancelled while queued or retrying: skipped when delivered. */
  readonly #cancelled: Cancellations;
  #controlSubscription: Subscription | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  /** Aborted by drain() and pause(): invocations waiting for their bundle go back to the queue. */
  #stopping = new AbortController();
  /** Serializes pause() and resume(), so a quick undrain cannot lose its consumers to a drain. */
  #transition: Promise<void> = Promise.resolve();
  /** Functions with a queue trigger consume their queue here, beside their invocation queue. */
  readonly #queues: QueueConsumers;
  /** What becomes of each delivery: skipped, refused, or run and settled. */
  readonly #deliveries: DeliveryHandler;

  constructor(options: AgentOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'agent', node: options.nodeId });
    // Runs wait for a free isolate behind runs ahead and queue batches: their latest end.
    const executor = new LatestEnds(options.executor);
    this.#queues = new QueueConsumers({ ...options, executor, logger: this.#log });
    this.#cancelled = new Cancellations({ directory: options.directory, logger: this.#log });
    this.#windows = new DeliveryWindows({
      onChange: (fn) => {
        this.#consumers.refresh(fn);
        this.#caps.wake();
      },
    });
    this.#caps = new ConcurrencyCaps({
      nodeId: options.nodeId,
      heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      onChange: () => this.#consumers.refreshCapped(),
      // Only isolates: their host's pool holds runs until an isolate is free. None once the
      // node stops taking work, so a drain waits for no more than the runs already sent.
      aheadOf: (spec) =>
        spec.runtime === 'isolate' && this.#state === 'running'
          ? this.#windows.ahead(spec.name, this.#caps.slotsOf(spec))
          : 0,
    });
    this.#deliveries = new DeliveryHandler({
      ...options,
      executor,
      logger: this.#log,
      caps: this.#caps,
      windows: this.#windows,
      // Results and `started` reports finishing close together travel as one message.
      results: new ResultBatcher({ broker: options.broker }),
      cancelled: this.#cancelled,
      stopping: () => this.#stopping.signal,
    });
    this.#consumers = new NodeConsumers({
      ...options,
      logger: this.#log,
      queues: this.#queues,
      handle: (delivery) => this.#handle(delivery),
      accepting: () => this.#state === 'running',
      slotsOf: (spec) => this.#caps.slotsOf(spec),
      // The prefetch holds the runs ahead too, so they are here when a slot frees.
      sparesOf: (spec) => this.#windows.spares(spec.name) + this.#caps.aheadOf(spec),
    });
  }

  get state(): AgentState {
    return this.#state;
  }

  get inflight(): number {
    return this.#inflight.size;
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new Error(`agent cannot start from state ${this.#state}`);
    this.#state = 'running';
    this.#caps.start();
    // A reconnect loses what the control fanout announced meanwhile: asked for again then.
    this.#options.broker.onStateChange((state) => this.#cancelled.brokerState(state));
    this.#controlSubscription = await this.#options.broker.onControl((event) =>
      this.#onControl(event),
    );
    await this.#cancelled.recall();
    for (const spec of await this.#options.directory.list()) await this.#consumers.follow(spec);
    const every = this.#options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.#heartbeat = setInterval(() => void this.#announce(), every);
    this.#heartbeat.unref();
    await this.#announce();
    this.#log.info({ functions: this.#consumers.names() }, 'runtime agent consuming');
  }

  /**
   * Stops taking invocations, lets in-flight ones finish within `graceMs`, and returns how many
   * were still running then (their messages go back to the queue when the broker closes).
   */
  async drain(graceMs = 30_000): Promise<number> {
    if (this.#state === 'stopped' || this.#state === 'idle') return 0;
    this.#state = 'draining';
    this.#stopping.abort();
    clearInterval(this.#heartbeat);
    this.#caps.stop();
    await this.#announce();
    await this.#controlSubscription?.cancel().catch(() => undefined);
    await this.#transition;
    await this.#consumers.cancelAll();
    const queueBatches = this.#queues.stop();
    const timer = new Promise<'timeout'>((resolve) =>
      setTimeout(resolve, graceMs, 'timeout').unref(),
    );
    const settled = Promise.allSettled([...this.#inflight, queueBatches]).then(
      () => 'done' as const,
    );
    const outcome = await Promise.race([settled, timer]);
    const left = outcome === 'timeout' ? this.#inflight.size : 0;
    this.#state = 'stopped';
    this.#log.info(
      { left },
      left ? 'drain grace period ended with invocations in flight' : 'drained',
    );
    return left;
  }

  /**
   * `fn node drain`: stops taking new work (invocations waiting for a bundle go back to the
   * queue) and resolves once in-flight work finished. The node stays up, heartbeating as
   * draining, until resume() or drain().
   */
  async pause(): Promise<void> {
    if (this.#state !== 'running') return;
    this.#state = 'paused';
    this.#stopping.abort();
    void this.#announce();
    await this.#changeConsumers(async () => {
      await this.#consumers.cancelAll();
      await this.#queues.stop();
    });
    await Promise.allSettled([...this.#inflight]);
    if (this.#state !== 'paused') return;
    await this.#announce();
    this.#log.info({}, 'drained: no work in flight, taking none');
    this.#options.onDrained?.();
  }

  /**
   * `fn node undrain`: follows every function again after pause(). When the function list
   * cannot be read (gateway unreachable), the node stays paused and the undrain can be retried.
   */
  async resume(): Promise<void> {
    if (this.#state !== 'paused') return;
    this.#state = 'running';
    this.#stopping = new AbortController();
    try {
      await this.#changeConsumers(async () => {
        const specs = await this.#options.directory.list();
        for (const spec of specs) await this.#consumers.follow(spec);
      });
    } catch (error) {
      if (this.#state === 'running') {
        this.#state = 'paused';
        await this.#changeConsumers(() => this.#consumers.cancelAll());
      }
      throw error;
    }
    await this.#announce();
    this.#log.info({ functions: this.#consumers.names() }, 'resumed: consuming again');
  }

  info(): NodeInfo {
    const facts = {
      id: this.#options.nodeId,
      startedAt: this.#startedAt,
      state: this.#state === 'running' ? 'running' : 'draining',
      inflight: this.#inflight.size,
      functions: this.#consumers.names(),
      // What it takes now: a draining node takes no new work, whatever it still runs.
      capacity: this.#state === 'running' ? this.#consumers.capacity() : 0,
      heartbeatMs: this.#options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    } as const;
    return describeNode(facts, this.#options.resources);
  }

  #onControl(event: ControlEvent): void {
    if (event.type === 'heartbeat') return this.#caps.heard(event.node);
    if (event.type === 'drain') {
      if (event.node !== this.#options.nodeId) return;
      const change = event.drain ? this.pause() : this.resume();
      change.catch((error: unknown) => this.#log.error({ err: error }, 'drain change failed'));
      return;
    }
    if (this.#state !== 'running' && this.#state !== 'paused') return;
    if (event.type === 'deployed') {
      void this.#consumers.follow(event.fn);
      void this.#options.executor.evict(event.fn.name, event.fn.version);
    } else if (event.type === 'deleted') {
      void this.#consumers.unfollow(event.name);
      this.#windows.forget(event.name);
      void this.#options.executor.evict(event.name);
    } else if (event.type === 'cancelled') {
      this.#cancelled.remember(event.id);
    }
  }

  /** Runs after the pause or resume under way; a failed one does not block the next. */
  #changeConsumers(task: () => Promise<void>): Promise<void> {
    const next = this.#transition.then(task);
    this.#transition = next.catch(() => undefined);
    return next;
  }

  #handle(delivery: InvocationDelivery): Promise<void> {
    const work = this.#deliveries.handle(delivery);
    this.#inflight.add(work);
    void work.finally(() => this.#inflight.delete(work));
    return work;
  }

  async #announce(): Promise<void> {
    try {
      await this.#options.broker.announce({ type: 'heartbeat', node: this.info() });
    } catch (error) {
      this.#log.debug({ err: error }, 'heartbeat not sent');
    }
  }
}
