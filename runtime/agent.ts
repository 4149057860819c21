import { hostname } from 'node:os';
import type { Broker, InvocationDelivery, Subscription } from '../core/broker.ts';
import type { Executor } from '../core/executor.ts';
import type { Logger } from '../core/logger.ts';
import type { ErrorData } from '../core/errors.ts';
import type { ControlEvent, FunctionSpec, InvocationResult, NodeInfo } from '../core/messages.ts';
import { refuseDelivery } from '../core/retry-policy.ts';
import { DEFAULT_BUNDLE_WAIT, runWaitingForBundle, type BundleWaitPolicy } from './bundle-wait.ts';
import type { FunctionDirectory } from './function-directory.ts';
import { QueueConsumers } from './queue-consumers.ts';
import { isExpired, runInvocation } from './run-invocation.ts';

/**
 * - `idle`: constructed, not consuming.
 * - `running`: consuming the queues of every known function.
 * - `draining`: consumers cancelled; in-flight invocations are finishing.
 * - `stopped`: nothing in flight, nothing consumed.
 */
export type AgentState = 'idle' | 'running' | 'draining' | 'stopped';

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
}

interface Consumer {
  concurrency: number;
  subscription: Subscription;
}

/** Cancelled invocations are remembered this long, and at most this many (oldest go first). */
const CANCELLED_TTL_MS = 24 * 60 * 60 * 1000;
const CANCELLED_LIMIT = 100_000;

/**
 * The runtime agent of one node: consumes every function's queue, runs invocations on the
 * executor, reports results, and acks only once the result is durable (acks-late).
 */
export class RuntimeAgent {
  #state: AgentState = 'idle';
  readonly #options: AgentOptions;
  readonly #log: Logger;
  readonly #consumers = new Map<string, Consumer>();
  /** Serializes subscription changes per function so control events cannot race. */
  readonly #pending = new Map<string, Promise<void>>();
  readonly #inflight = new Set<Promise<void>>();
  readonly #startedAt = Date.now();
  /** Invocations cancelled while queued or retrying, by id (to when): skipped when delivered. */
  readonly #cancelled = new Map<string, number>();
  #controlSubscription: Subscription | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  /** Aborted by drain(): invocations waiting for their bundle go back to the queue. */
  readonly #stopping = new AbortController();
  /** Functions with a queue trigger consume their queue here, beside their invocation queue. */
  readonly #queues: QueueConsumers;

  constructor(options: AgentOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'agent', node: options.nodeId });
    this.#queues = new QueueConsumers({ ...options, logger: this.#log });
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
    this.#controlSubscription = await this.#options.broker.onControl((event) =>
      this.#onControl(event),
    );
    for (const spec of await this.#options.directory.list()) await this.#follow(spec);
    const every = this.#options.heartbeatMs ?? 5000;
    this.#heartbeat = setInterval(() => void this.#announce(), every);
    this.#heartbeat.unref();
    await this.#announce();
    this.#log.info({ functions: [...this.#consumers.keys()] }, 'runtime agent consuming');
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
    await this.#announce();
    await this.#controlSubscription?.cancel().catch(() => undefined);
    await Promise.all([...this.#pending.values()]);
    await Promise.all(
      [...this.#consumers.values()].map((c) => c.subscription.cancel().catch(() => undefined)),
    );
    this.#consumers.clear();
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

  info(): NodeInfo {
    return {
      id: this.#options.nodeId,
      hostname: hostname(),
      startedAt: this.#startedAt,
      state: this.#state === 'running' ? 'running' : 'draining',
      inflight: this.#inflight.size,
      functions: [...this.#consumers.keys()].sort(),
    };
  }

  #onControl(event: ControlEvent): void {
    if (this.#state !== 'running') return;
    if (event.type === 'deployed') {
      void this.#follow(event.fn);
      void this.#options.executor.evict(event.fn.name, event.fn.version);
    } else if (event.type === 'deleted') {
      void this.#unfollow(event.name);
      void this.#options.executor.evict(event.name);
    } else if (event.type === 'cancelled') {
      this.#rememberCancelled(event.id);
    }
  }

  #rememberCancelled(id: string): void {
    const now = Date.now();
    this.#cancelled.set(id, now);
    // A Map iterates in insertion order: the oldest entries come first.
    for (const [old, at] of this.#cancelled) {
      if (this.#cancelled.size <= CANCELLED_LIMIT && at > now - CANCELLED_TTL_MS) break;
      this.#cancelled.delete(old);
    }
  }

  /** Consumes the function's queue with prefetch = its concurrency, re-subscribing when it changed. */
  #follow(spec: FunctionSpec): Promise<void> {
    return this.#serialize(spec.name, async () => {
      if (this.#state !== 'running') return;
      if (!(this.#options.runtimes ?? ['isolate']).includes(spec.runtime)) {
        this.#log.warn(
          { fn: spec.name, runtime: spec.runtime },
          'runtime not supported on this node',
        );
        return;
      }
      this.#prewarm(spec);
      await this.#queues.follow(spec).catch((error: unknown) => {
        this.#log.error({ fn: spec.name, err: error }, 'could not consume the queue trigger');
      });
      const current = this.#consumers.get(spec.name);
      if (current?.concurrency === spec.concurrency) return;
      if (current) await current.subscription.cancel();
      const { broker } = this.#options;
      await broker.declareFunction(spec.name);
      const subscription = await broker.consume(spec.name, spec.concurrency, (d) =>
        this.#handle(d),
      );
      this.#consumers.set(spec.name, { concurrency: spec.concurrency, subscription });
    });
  }

  /** In the background: the first invocation of the version finds an instance warm. */
  #prewarm(spec: FunctionSpec): void {
    const count = this.#options.prewarm ?? 1;
    if (count < 1) return;
    this.#options.executor.prewarm?.(spec, count).catch((error: unknown) => {
      this.#log.warn({ fn: spec.name, version: spec.version, err: error }, 'prewarm failed');
    });
  }

  #unfollow(name: string): Promise<void> {
    return this.#serialize(name, async () => {
      const current = this.#consumers.get(name);
      this.#consumers.delete(name);
      await current?.subscription.cancel();
      await this.#queues.unfollow(name);
    });
  }

  #serialize(name: string, task: () => Promise<void>): Promise<void> {
    const previous = this.#pending.get(name) ?? Promise.resolve();
    const next = previous.then(task).catch((error: unknown) => {
      this.#log.error({ fn: name, err: error }, 'could not change subscription');
    });
    this.#pending.set(name, next);
    void next.finally(() => {
      if (this.#pending.get(name) === next) this.#pending.delete(name);
    });
    return next;
  }

  #handle(delivery: InvocationDelivery): Promise<void> {
    const work = this.#process(delivery);
    this.#inflight.add(work);
    void work.finally(() => this.#inflight.delete(work));
    return work;
  }

  async #process(delivery: InvocationDelivery): Promise<void> {
    const { broker, executor, nodeId } = this.#options;
    const { message, attempt } = delivery;
    const log = this.#log.child({
      fn: message.fn.name,
      id: message.id,
      callId: message.callId,
      attempt,
    });
    if (isExpired(message, Date.now())) {
      log.debug({}, 'dropping sync invocation whose caller gave up');
      delivery.ack();
      return;
    }
    if (this.#cancelled.has(message.id)) {
      log.info({}, 'skipping a cancelled invocation');
      delivery.ack();
      return;
    }
    const refusal = refuseDelivery(message, attempt, Date.now());
    if (refusal !== undefined) return this.#refuse(delivery, refusal, log);
    if (message.mode === 'async') {
      const started = {
        type: 'started',
        id: message.id,
        fn: message.fn.name,
        node: nodeId,
        attempt,
        startedAt: Date.now(),
      } as const;
      // Progress is advisory: the final result is what must be durable, so a lost report is fine.
      broker
        .publishResult(started)
        .catch((error: unknown) => log.debug({ err: error }, 'started report lost'));
    }
    try {
      const result = await runWaitingForBundle(
        message,
        () => runInvocation(delivery, executor, nodeId),
        {
          policy: this.#options.bundleWait ?? DEFAULT_BUNDLE_WAIT,
          signal: this.#stopping.signal,
          onWait: (waitMs, failed) =>
            log.warn(
              { waitMs, err: failed.error },
              'bundle unavailable; same attempt after a wait',
            ),
        },
      );
      if (result === undefined) return delivery.requeue();
      if (message.mode === 'sync') {
        await delivery
          .reply(result)
          .catch((error: unknown) => log.warn({ err: error }, 'reply not delivered'));
      }
      await broker.publishResult({ type: 'finished', result });
      await settle(delivery, result);
      log.debug(
        { status: result.status, ms: result.endedAt - result.startedAt },
        'invocation finished',
      );
    } catch (error) {
      // The result could not be made durable (broker down): another attempt will record it.
      log.warn({ err: error }, 'result not recorded; invocation goes back to the queue');
      delivery.requeue();
    }
  }

  /** Dead-letters a delivery that must not run (core/retry-policy.ts refuseDelivery). */
  async #refuse(delivery: InvocationDelivery, error: ErrorData, log: Logger): Promise<void> {
    try {
      await delivery.deadLetter({ error, node: this.#options.nodeId, ran: false });
      log.warn({ code: error.code }, `dead-lettered without running: ${error.message}`);
    } catch (failure) {
      log.warn({ err: failure }, 'could not dead-letter; invocation goes back to the queue');
      delivery.requeue();
    }
  }

  async #announce(): Promise<void> {
    try {
      await this.#options.broker.announce({ type: 'heartbeat', node: this.info() });
    } catch (error) {
      this.#log.debug({ err: error }, 'heartbeat not sent');
    }
  }
}

/** Acks a final result; a failed async attempt goes on to its retry or to the dead letters. */
async function settle(delivery: InvocationDelivery, result: InvocationResult): Promise<void> {
  const { next, error } = result;
  if (next?.action === 'retry') await delivery.retry(next.at - Date.now());
  else if (next?.action === 'dead' && error !== undefined) {
    await delivery.deadLetter({ error, node: result.node, ran: true });
  } else delivery.ack();
}
