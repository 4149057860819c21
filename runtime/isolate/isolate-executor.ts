/**
 * The isolate Executor: runs function versions in V8 isolates (isolated-vm) with Web APIs from a
 * prelude, one invocation per isolate at a time, keeping isolates warm between invocations.
 *
 * Module state survives between invocations of a warm isolate, as in Cloudflare Workers: a
 * counter at module scope keeps counting until the isolate is evicted, reaped or replaced.
 * Wall-clock deadlines are enforced from the host; an isolate that timed out, ran out of memory
 * or crashed is disposed and never reused, and none of this can take the Node process down.
 */
import { FjordError } from '../../core/errors.ts';
import type {
  ExecutionOutcome,
  Executor,
  ExecutorStats,
  InvocationContext,
} from '../../core/executor.ts';
import type { FunctionSpec, InvocationPayload } from '../../core/messages.ts';
import type { BlankIsolates } from './blank-isolates.ts';
import { bootAhead } from './boot-ahead.ts';
import { IsolateBundleCache } from './bundle-cache.ts';
import { Deadline } from './deadline.ts';
import {
  resolveOptions,
  type IsolateExecutorOptions,
  type ResolvedOptions,
} from './executor-options.ts';
import { HostCrypto } from './host-crypto.ts';
import { blankIsolatesFor, instanceDeps } from './instance-deps.ts';
import { IsolateInstance, type DispatchResult } from './isolate-instance.ts';
import { runLeased } from './leased-run.ts';
import { LogCollector } from './log-collector.ts';
import { Prelude } from './prelude.ts';
import { VersionPool } from './version-pool.ts';

export type { IsolateExecutorOptions, LiveLogEvent } from './executor-options.ts';

/** Lifecycle of the executor. */
export type ExecutorState =
  /** Taking invocations. */
  | 'running'
  /** Disposed: every isolate is gone and invocations fail with NO_CAPACITY. */
  | 'disposed';

export class IsolateExecutor implements Executor {
  readonly #options: ResolvedOptions;
  readonly #bundles: IsolateBundleCache;
  readonly #pools = new Map<string, VersionPool>();
  /** Pools within the prewarm budget, least recently invoked or prewarmed first. */
  readonly #recent = new Map<string, VersionPool>();
  /** Evicted pools whose busy isolates have not finished yet. */
  readonly #retired = new Set<VersionPool>();
  readonly #reaper: NodeJS.Timeout;
  readonly #crypto = new HostCrypto();
  /** Invocations that replied and still run ctx.waitUntil work. */
  readonly #draining = new Set<Promise<void>>();
  #prelude: Promise<Prelude> | undefined;
  /** Made with the prelude; filled after cold starts, so a first invocation does not wait. */
  #blanks: BlankIsolates | undefined;
  #inflight = 0;
  #state: ExecutorState = 'running';
  #coldStarts = 0;
  #invocations = 0;

  constructor(options: IsolateExecutorOptions) {
    this.#options = resolveOptions(options);
    this.#bundles = new IsolateBundleCache(options.loadCode, this.#options.maxCachedBundles);
    const every = Math.max(1000, Math.min(this.#options.idleTimeoutMs / 2, 30_000));
    this.#reaper = setInterval(() => this.#reap(), every);
    this.#reaper.unref();
  }

  get state(): ExecutorState {
    return this.#state;
  }

  async invoke(
    fn: FunctionSpec,
    payload: InvocationPayload,
    ctx: InvocationContext,
  ): Promise<ExecutionOutcome> {
    this.#inflight += 1;
    try {
      return await this.#invoke(fn, payload, ctx);
    } finally {
      this.#inflight -= 1;
      this.#idleBlanks();
    }
  }

  async #invoke(
    fn: FunctionSpec,
    payload: InvocationPayload,
    ctx: InvocationContext,
  ): Promise<ExecutionOutcome> {
    const startedAt = performance.now();
    this.#invocations += 1;
    const { onLog } = this.#options;
    const logs = new LogCollector(
      this.#options.logLimitBytes,
      onLog &&
        ((entry) => onLog({ fn: fn.name, version: fn.version, invocationId: ctx.id, entry })),
    );
    let coldStart = false;
    const finish = (result: DispatchResult, cpuMs?: number): ExecutionOutcome => ({
      coldStart,
      durationMs: performance.now() - startedAt,
      // A copy: lines of waitUntil work after the reply only reach onLog.
      logs: [...logs.entries],
      ...(cpuMs === undefined ? {} : { cpuMs }),
      ...result,
    });

    const deadline = new Deadline(ctx.deadline);
    let pool: VersionPool;
    let instance: IsolateInstance;
    try {
      const prelude = await this.#loadPrelude();
      pool = this.#poolFor(fn, prelude);
      const lease = await pool.acquire(deadline.signal);
      instance = lease.instance;
      coldStart = lease.cold;
    } catch (error) {
      deadline.cancel();
      return finish({ ok: false, error: FjordError.from(error).toData() });
    }
    if (coldStart) this.#coldStarts += 1;
    // After the lease: a kept pool boots a replacement for it, not an extra isolate besides.
    this.#touch(pool);
    const leased = instance;
    const { result, cpuMs } = await runLeased({
      instance,
      fn,
      payload,
      ctx,
      deadline,
      logs,
      release: () => {
        deadline.cancel();
        leased.end();
        pool.release(leased);
        if (this.#retired.has(pool) && pool.empty) this.#retired.delete(pool);
      },
      background: (work) => {
        this.#draining.add(work);
        void work.finally(() => this.#draining.delete(work));
      },
      ...(this.#options.logger === undefined ? {} : { logger: this.#options.logger }),
    });
    if (coldStart) this.#refillBlanks();
    return finish(result, cpuMs);
  }

  async evict(name: string, keepVersion?: number): Promise<void> {
    for (const [key, pool] of this.#pools) {
      if (pool.name !== name || pool.version === keepVersion) continue;
      this.#pools.delete(key);
      this.#recent.delete(key);
      pool.retire();
      if (!pool.empty) this.#retired.add(pool);
    }
  }

  /**
   * Boots `count` isolates of `fn` ahead of invocations and keeps that many warm and idle from
   * then on (within the function's concurrency). Resolves once they are ready; a boot that
   * fails is logged, never thrown: the invocations report the real error.
   */
  async prewarm(fn: FunctionSpec, count: number): Promise<void> {
    let prelude: Prelude;
    try {
      prelude = await this.#loadPrelude();
    } catch {
      return; // Logged by #loadPrelude; the next invocation builds it again.
    }
    if (this.#state === 'disposed') return;
    const pool = this.#poolFor(fn, prelude);
    this.#touch(pool);
    await pool.prewarm(count);
    this.#refillBlanks();
  }

  /** Blank isolates ready for the cold starts of new versions (see {@link BlankIsolates}). */
  get blankIsolates(): number {
    return this.#blanks?.ready ?? 0;
  }

  /**
   * Boots the blank isolates now (building the prelude if needed) and resolves once they are
   * ready; without it they are booted after the first cold start. A failure is only logged.
   */
  async fillBlanks(): Promise<void> {
    try {
      await this.#loadPrelude();
    } catch {
      return; // Logged by #loadPrelude.
    }
    this.#blanks?.fill();
    await this.#blanks?.settled();
  }

  stats(): ExecutorStats {
    let instances = 0;
    for (const pool of [...this.#pools.values(), ...this.#retired]) instances += pool.size;
    return { instances, coldStarts: this.#coldStarts, invocations: this.#invocations };
  }

  async dispose(): Promise<void> {
    if (this.#state === 'disposed') return;
    this.#state = 'disposed';
    clearInterval(this.#reaper);
    this.#blanks?.close();
    // waitUntil work was promised to run: let it finish (each is bounded by its deadline).
    await Promise.allSettled([...this.#draining]);
    for (const pool of [...this.#pools.values(), ...this.#retired]) pool.close();
    this.#pools.clear();
    this.#recent.clear();
    this.#retired.clear();
    this.#bundles.clear();
  }

  /** Builds the prelude on first use; a failed build is retried by the next invocation. */
  #loadPrelude(): Promise<Prelude> {
    if (this.#state === 'disposed') {
      return Promise.reject(new FjordError('NO_CAPACITY', 'the executor is shut down'));
    }
    if (this.#prelude === undefined) {
      const building = Prelude.build(this.#options.prelude, this.#options.logger);
      this.#prelude = building;
      building.then(
        (prelude) => {
          if (this.#state === 'running') this.#blanks = blankIsolatesFor(prelude, this.#options);
        },
        () => {},
      );
      building.catch((error: unknown) => {
        this.#options.logger?.error(
          { err: error, node: this.#options.nodeId },
          'prelude build failed',
        );
        if (this.#prelude === building) this.#prelude = undefined;
      });
    }
    return this.#prelude;
  }

  #poolFor(fn: FunctionSpec, prelude: Prelude): VersionPool {
    const key = `${fn.name}@${fn.version}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      const limit = Math.min(fn.concurrency, this.#options.maxIsolatesPerFunction ?? Infinity);
      const deps = instanceDeps(this.#options, {
        prelude,
        ...(this.#blanks === undefined ? {} : { blanks: this.#blanks }),
        bundles: this.#bundles,
        crypto: this.#crypto,
      });
      const boot = {
        logLimitBytes: this.#options.logLimitBytes,
        ...(this.#options.logger === undefined ? {} : { logger: this.#options.logger }),
      };
      pool = new VersionPool(
        fn.name,
        fn.version,
        limit,
        () => new IsolateInstance(fn, deps),
        (instance) => bootAhead(instance, boot),
      );
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /**
   * Makes `pool` the most recently active one within the prewarm budget; the least recently
   * active pool beyond the budget stops keeping idle isolates.
   */
  #touch(pool: VersionPool): void {
    const key = `${pool.name}@${pool.version}`;
    if (this.#pools.get(key) !== pool) return; // Evicted meanwhile.
    this.#recent.delete(key);
    this.#recent.set(key, pool);
    pool.keep(true);
    for (const [oldKey, old] of this.#recent) {
      if (this.#recent.size <= this.#options.prewarmBudget) break;
      this.#recent.delete(oldKey);
      old.keep(false);
    }
  }

  /**
   * Blanks were used (a cold start took one, or a prewarm may have): a refill is due, at the
   * next idle moment.
   */
  #refillBlanks(): void {
    this.#blanks?.refillSoon();
    this.#idleBlanks();
  }

  /** Tells the blanks when no invocation is in flight: a due refill may start then. */
  #idleBlanks(): void {
    if (this.#inflight === 0) this.#blanks?.idle(() => this.#inflight > 0);
  }

  #reap(): void {
    const idleSince = Date.now() - this.#options.idleTimeoutMs;
    for (const [key, pool] of this.#pools) {
      pool.reap(idleSince);
      if (!pool.empty) continue;
      this.#pools.delete(key);
      this.#recent.delete(key);
    }
    for (const pool of this.#retired) if (pool.empty) this.#retired.delete(pool);
  }
}
