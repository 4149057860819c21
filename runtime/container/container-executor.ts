/**
 * The container Executor: runs function versions in Docker containers through dockerode, one
 * long-lived shim process per warm container, invocations over a unix socket. Containers are
 * hardened by default (see container-config.ts), kept warm per function version, reaped when
 * idle, removed on redeploy, and replaced when they time out or crash.
 *
 * A missing Docker engine never stops the node: invocations then fail with
 * CONTAINER_RUNTIME_UNAVAILABLE, and the engine is asked again on the next one.
 */
import { FjordError, type ErrorData } from '../../core/errors.ts';
import type {
  ExecutionOutcome,
  Executor,
  ExecutorStats,
  InvocationContext,
} from '../../core/executor.ts';
import type {
  FunctionSpec,
  HttpResponseData,
  InvocationPayload,
  LogEntry,
} from '../../core/messages.ts';
import { BundleCache } from '../bundle-cache.ts';
import { timeoutError } from '../timeout-error.ts';
import { ContainerInstance } from './container-instance.ts';
import { ContainerPool } from './container-pool.ts';
import { DockerEngine } from './docker-engine.ts';
import {
  resolveOptions,
  type ContainerExecutorOptions,
  type ResolvedOptions,
} from './executor-options.ts';
import { EngineSession } from './engine-session.ts';
import { RecentLoad } from './recent-load.ts';
import { processOwner } from './stray-containers.ts';

export type { ContainerExecutorOptions } from './executor-options.ts';

/** Lifecycle of the executor. */
export type ExecutorState =
  /** Taking invocations (each one finds out whether the engine answers). */
  | 'running'
  /** Disposed: every container is gone and invocations fail with NO_CAPACITY. */
  | 'disposed';

type Result =
  { ok: true; response?: HttpResponseData; value?: unknown } | { ok: false; error: ErrorData };

const ABORTED = Symbol('aborted');

export class ContainerExecutor implements Executor {
  readonly #options: ResolvedOptions;
  readonly #session: EngineSession;
  readonly #bundles: BundleCache<string>;
  readonly #owner = processOwner();
  readonly #pools = new Map<string, ContainerPool>();
  /** Recent peak concurrency by function name (across its versions): the warm pool's size. */
  readonly #load = new Map<string, RecentLoad>();
  /** Every container not yet removed, whichever pool it belongs to. */
  readonly #live = new Set<ContainerInstance>();
  readonly #reaper: NodeJS.Timeout;
  #state: ExecutorState = 'running';
  #coldStarts = 0;
  #invocations = 0;

  constructor(options: ContainerExecutorOptions) {
    this.#options = resolveOptions(options);
    const engine = new DockerEngine(this.#options.dockerSocket);
    this.#session = new EngineSession(engine, this.#options, this.#owner);
    this.#bundles = new BundleCache(
      options.loadCode,
      this.#options.maxCachedBundles,
      (_sha, code) => code,
    );
    const every = Math.max(250, Math.min(this.#options.idleTimeoutMs / 2, 30_000));
    this.#reaper = setInterval(() => this.#reap(), every);
    this.#reaper.unref();
  }

  get state(): ExecutorState {
    return this.#state;
  }

  /**
   * Connects to the engine and removes containers left behind by crashed nodes on this host.
   * Never throws: resolves false (and logs why) when the engine is unavailable.
   */
  async start(): Promise<boolean> {
    try {
      await this.#session.ready();
    } catch (error) {
      this.#options.logger?.warn(
        { err: error, socket: this.#session.engine.socketPath },
        'docker engine unavailable: container functions will fail until it answers',
      );
      return false;
    }
    // The first build of the base image takes seconds: better now than in the first invocation.
    this.#session.baseImage().catch((error: unknown) => {
      this.#options.logger?.error({ err: error }, 'container base image unavailable');
    });
    return true;
  }

  async invoke(
    fn: FunctionSpec,
    payload: InvocationPayload,
    ctx: InvocationContext,
  ): Promise<ExecutionOutcome> {
    const startedAt = performance.now();
    const budgetMs = ctx.deadline - Date.now();
    this.#invocations += 1;
    const logs: LogEntry[] = [];
    let coldStart = false;
    const finish = (result: Result): ExecutionOutcome => ({
      coldStart,
      durationMs: performance.now() - startedAt,
      logs,
      ...result,
    });
    const signal = AbortSignal.timeout(Math.max(0, budgetMs));

    let pool: ContainerPool;
    let instance: ContainerInstance;
    try {
      if (this.#state === 'disposed')
        throw new FjordError('NO_CAPACITY', 'the executor is shut down');
      await this.#session.ready();
      pool = this.#poolFor(fn);
      const lease = await pool.acquire(signal);
      instance = lease.instance;
      coldStart = lease.cold;
      this.#loadOf(fn.name).record(pool.inFlight);
    } catch (error) {
      return finish({ ok: false, error: FjordError.from(error).toData() });
    }
    if (coldStart) this.#coldStarts += 1;
    try {
      const boot = await untilAborted(instance.booted, signal);
      // The container goes on starting for the next invocation.
      if (boot === ABORTED)
        return finish({ ok: false, error: timeoutError(budgetMs, fn.timeoutMs) });
      logs.push(...instance.takeBootLogs());
      if (!boot.ok) {
        void instance.remove('broken');
        return finish({ ok: false, error: boot.error });
      }
      try {
        const reply = await instance.invoke(payload, ctx, signal);
        logs.push(...reply.logs);
        return finish(reply.ok ? { ok: true, ...reply.value } : { ok: false, error: reply.error });
      } catch {
        if (signal.aborted) {
          // The function may be spinning or awaiting forever: only removal stops it.
          void instance.remove('timeout');
          pool.prewarm(this.#warmTarget(fn.name));
          return finish({ ok: false, error: timeoutError(budgetMs, fn.timeoutMs) });
        }
        const error = await instance.fault();
        void instance.remove('broken');
        pool.prewarm(this.#warmTarget(fn.name));
        return finish({ ok: false, error });
      }
    } finally {
      pool.release(instance);
    }
  }

  async evict(name: string, keepVersion?: number): Promise<void> {
    for (const [key, pool] of this.#pools) {
      if (pool.name !== name || pool.version === keepVersion) continue;
      this.#pools.delete(key);
      pool.retire();
    }
  }

  /**
   * Starts up to `count` containers of `fn` ahead of invocations, so they find them warm, or as
   * many as the function's recent peak of concurrent invocations when that is more (a new
   * version takes over the load of the old one). Resolves once they are created; they boot in
   * the background.
   */
  async prewarm(fn: FunctionSpec, count: number): Promise<void> {
    if (this.#state === 'disposed') return;
    this.#poolFor(fn).prewarm(Math.max(count, this.#load.get(fn.name)?.peak() ?? 0));
  }

  stats(): ExecutorStats {
    return {
      instances: this.#live.size,
      coldStarts: this.#coldStarts,
      invocations: this.#invocations,
    };
  }

  /** The containers alive now, by function version (for operators and tests). */
  containers(): {
    fn: string;
    version: number;
    containerId?: string;
    state: string;
    active: number;
  }[] {
    return [...this.#live].map((i) => ({
      fn: i.fn.name,
      version: i.fn.version,
      ...(i.containerId === undefined ? {} : { containerId: i.containerId }),
      state: i.state,
      active: i.active,
    }));
  }

  async dispose(): Promise<void> {
    if (this.#state === 'disposed') return;
    this.#state = 'disposed';
    clearInterval(this.#reaper);
    for (const pool of this.#pools.values()) pool.close();
    this.#pools.clear();
    await Promise.all([...this.#live].map((instance) => instance.remove('shutdown')));
    this.#bundles.clear();
  }

  #poolFor(fn: FunctionSpec): ContainerPool {
    const key = `${fn.name}@${fn.version}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      const limit = Math.ceil(fn.concurrency / this.#options.invocationsPerContainer);
      const created: ContainerPool = new ContainerPool(fn.name, fn.version, limit, () =>
        this.#createInstance(fn, (removed) => created.forget(removed)),
      );
      pool = created;
      this.#pools.set(key, pool);
    }
    return pool;
  }

  #createInstance(
    fn: FunctionSpec,
    forget: (instance: ContainerInstance) => void,
  ): ContainerInstance {
    const instance = new ContainerInstance(fn, {
      engine: this.#session.engine,
      options: this.#options,
      image: () => this.#session.image(fn),
      code: () => this.#bundles.get(fn.bundleSha),
      owner: this.#owner,
      onRemoved: (removed) => {
        this.#live.delete(removed);
        forget(removed);
      },
      ...(this.#options.logger === undefined ? {} : { logger: this.#options.logger }),
    });
    this.#live.add(instance);
    return instance;
  }

  #loadOf(name: string): RecentLoad {
    let load = this.#load.get(name);
    if (load === undefined) {
      load = new RecentLoad({ windowMs: this.#options.loadWindowMs });
      this.#load.set(name, load);
    }
    return load;
  }

  /** Containers to keep warm for a function: its recent peak, at least one after a loss. */
  #warmTarget(name: string): number {
    return Math.max(1, this.#load.get(name)?.peak() ?? 0);
  }

  #reap(): void {
    const idleSince = Date.now() - this.#options.idleTimeoutMs;
    for (const [key, pool] of this.#pools) {
      pool.reap(idleSince, this.#load.get(pool.name)?.peak() ?? 0);
      if (pool.empty) this.#pools.delete(key);
    }
    for (const [name, load] of this.#load) {
      if (load.peak() === 0) this.#load.delete(name);
    }
  }
}

/** The promise's value, or ABORTED when `signal` aborts first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    });
  });
}
