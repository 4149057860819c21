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
import { FunctionSlots } from './function-slots.ts';
import { leaseIsolate, type IsolateLease, type LeaseDeps } from './isolate-lease.ts';
import { VersionPools } from './version-pools.ts';
import { runContext } from '../latest-end.ts';

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
  readonly #pools: VersionPools;
  /** Isolates running per function name, across its versions (its `concurrency`). */
  readonly #slots = new FunctionSlots();
  readonly #leaseDeps: LeaseDeps;
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
    this.#pools = new VersionPools(this.#options.prewarmBudget, (fn, prelude) =>
      this.#newPool(fn, prelude),
    );
    this.#leaseDeps = {
      slots: this.#slots,
      pools: this.#pools,
      prelude: () => this.#loadPrelude(),
    };
    const every = Math.max(1000, Math.min(this.#options.idleTimeoutMs / 2, 30_000));
    this.#reaper = setInterval(() => this.#reap(), every);
    this.#reaper.unref();
  }

  get state(): ExecutorState {
    return this.#state;
  }

  /**
   * Runs `fn`. `onLeased` hears when the run got its isolate, with the run's own deadline (its
   * timeout counts from then): a host process tells its parent (host-child.ts), which then knows
   * the run started and when it must have ended.
   */
  async invoke(
    fn: FunctionSpec,
    payload: InvocationPayload,
    ctx: InvocationContext,
    onLeased?: (runDeadline: number) => void,
  ): Promise<ExecutionOutcome> {
    this.#inflight += 1;
    try {
      return await this.#invoke(fn, payload, ctx, onLeased);
    } finally {
      this.#inflight -= 1;
      this.#idleBlanks();
    }
  }

  async #invoke(
    fn: FunctionSpec,
    payload: InvocationPayload,
    ctx: InvocationContext,
    onLeased: ((runDeadline: number) => void) | undefined,
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
    // leasedAt: epoch ms the isolate was leased, the run's start after any wait for a busy one.
    const finish = (
      result: DispatchResult,
      cpuMs?: number,
      leasedAt?: number,
    ): ExecutionOutcome => ({
      coldStart,
      durationMs: performance.now() - startedAt,
      ...(leasedAt === undefined ? {} : { ran: { startedAt: leasedAt, endedAt: Date.now() } }),
      // A copy: lines of waitUntil work after the reply only reach onLog.
      logs: [...logs.entries],
      ...(cpuMs === undefined ? {} : { cpuMs }),
      ...result,
    });

    // Until a lease, the latest end bounds the wait; then the timeout counts from the lease.
    const deadline = new Deadline(ctx.deadline);
    let lease: IsolateLease;
    try {
      lease = await leaseIsolate(this.#leaseDeps, fn, deadline.signal);
      coldStart = lease.cold;
    } catch (error) {
      deadline.cancel();
      return finish({ ok: false, error: FjordError.from(error).toData() });
    }
    const leasedAt = Date.now();
    const runCtx = runContext(ctx, leasedAt);
    deadline.moveTo(runCtx.deadline);
    onLeased?.(runCtx.deadline);
    if (coldStart) this.#coldStarts += 1;
    const release = (): void => {
      deadline.cancel();
      lease.release();
    };
    let run: Awaited<ReturnType<typeof runLeased>>;
    try {
      // After the lease: a kept pool boots a replacement for it, not an extra isolate besides.
      this.#pools.touch(lease.pool);
      run = await runLeased({
        instance: lease.instance,
        fn,
        payload,
        ctx: runCtx,
        deadline,
        logs,
        release,
        background: (work) => {
          this.#draining.add(work);
          void work.finally(() => this.#draining.delete(work));
        },
        ...(this.#options.logger === undefined ? {} : { logger: this.#options.logger }),
      });
    } catch (error) {
      release();
      return finish({ ok: false, error: FjordError.from(error).toData() }, undefined, leasedAt);
    }
    const { result, cpuMs } = run;
    if (coldStart) this.#refillBlanks();
    return finish(result, cpuMs, leasedAt);
  }

  async evict(name: string, keepVersion?: number): Promise<void> {
    this.#pools.evict(name, keepVersion);
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
    const pool = this.#pools.for(fn, prelude);
    this.#pools.touch(pool);
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
    const instances = this.#pools.instances();
    return { instances, coldStarts: this.#coldStarts, invocations: this.#invocations };
  }

  async dispose(): Promise<void> {
    if (this.#state === 'disposed') return;
    this.#state = 'disposed';
    clearInterval(this.#reaper);
    this.#blanks?.close();
    // waitUntil work was promised to run: let it finish (each is bounded by its deadline).
    await Promise.allSettled([...this.#draining]);
    this.#slots.close();
    this.#pools.close();
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

  /** A new pool for `fn`'s version, its isolates made from `prelude`. */
  #newPool(fn: FunctionSpec, prelude: Prelude): VersionPool {
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
    return new VersionPool(
      fn.name,
      fn.version,
      limit,
      () => new IsolateInstance(fn, deps),
      (instance) => bootAhead(instance, boot),
    );
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
    this.#pools.reap(Date.now() - this.#options.idleTimeoutMs);
  }
}
