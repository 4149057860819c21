/**
 * One warm isolate of one function version: boots it (prelude, host bridge, bundle), runs one
 * invocation at a time through isolated-vm's async APIs, and disposes it together with its
 * timers and host calls. No isolated-vm object is ever handed to user code: the host bridge
 * reaches the isolate as plain functions that the prelude captures and removes from the global
 * scope.
 */
import type ivm from 'isolated-vm';
import { FjordError, type ErrorData } from '../../core/errors.ts';
import type { InvocationContext } from '../../core/executor.ts';
import type { FunctionSpec, InvocationPayload } from '../../core/messages.ts';
import { bootIsolate } from './blank-isolates.ts';
import { mapDispatchedStack, mapErrorStack, type BundleStacks } from './bundle-source-map.ts';
import { loadBundle, RichCache, runBundle } from './run-bundle.ts';
import type { Dispatched } from './decode-reply.ts';
import { EgressPolicy } from './egress-policy.ts';
import type { BridgeHandlers, RuntimeRefs } from './host-bridge.ts';
import { HostCalls } from './host-calls.ts';
import { HostFetch } from './host-fetch.ts';
import { queueOperation } from './host-queue.ts';
import { HostTimers } from './host-timers.ts';
import type { InstanceDeps } from './instance-deps.ts';
import { errorMessage, isolateFailure, type DisposeReason } from './instance-faults.ts';
import { dispatchInIsolate, drainIsolate } from './isolate-dispatch.ts';
import { LogArrivals, linesSentBeforeNow } from './log-arrivals.ts';
import type { LogCollector } from './log-collector.ts';
import type { HostCallReply, LoadReply } from './protocol.ts';

export type { DispatchResult, Dispatched } from './decode-reply.ts';

/** Lifecycle of an instance. */
export type InstanceState =
  /** Created; its isolate starts with the first invocation (the cold start). */
  | 'new'
  /** Booted and able to take an invocation. */
  | 'ready'
  /** Disposed: never used again. */
  | 'disposed';

const MIN_MEMORY_MB = 8;

export class IsolateInstance {
  readonly fn: FunctionSpec;
  readonly #deps: InstanceDeps;
  readonly #timers: HostTimers;
  readonly #calls: HostCalls;
  readonly #fetcher: HostFetch;
  #policyError: string | undefined;
  /** Makes the code cache of the bundle this instance booted rich, after its first request. */
  readonly #richCache = new RichCache();
  /** The booted bundle's source map and the file name its stack frames carry. */
  #stacks: BundleStacks | undefined;
  #state: InstanceState = 'new';
  #isolate: ivm.Isolate | undefined;
  #context: ivm.Context | undefined;
  #refs: RuntimeRefs | undefined;
  #generation = 0;
  #logs: LogCollector | undefined;
  readonly #arrivals = new LogArrivals();
  #disposedBy: DisposeReason | undefined;
  /** Epoch ms the last invocation ended, for idle reaping. */
  lastUsedAt = Date.now();

  constructor(fn: FunctionSpec, deps: InstanceDeps) {
    this.fn = fn;
    this.#deps = deps;
    this.#timers = new HostTimers(
      (generation, id) => this.#fire(generation, id),
      deps.config.maxTimers,
    );
    let policy = new EgressPolicy();
    try {
      policy = new EgressPolicy(fn.egress?.allow ?? [], {
        allowPrivate: fn.egress?.allowPrivate === true,
      });
    } catch (error) {
      // Reported by boot(): an instance that cannot apply its policy never runs.
      this.#policyError = errorMessage(error);
    }
    const fetcher = new HostFetch(policy, deps.fetchLimits, deps.lookup);
    this.#fetcher = fetcher;
    this.#calls = new HostCalls(
      {
        crypto: (args) => deps.crypto.run(args),
        fetch: (args, scope, signal) => fetcher.run(args, scope, signal),
        queue: queueOperation(deps.publishQueue),
      },
      (generation, id, reply) => this.#settle(generation, id, reply),
    );
  }

  get state(): InstanceState {
    return this.#state;
  }

  /** Host timers the isolate holds right now. */
  get pendingTimers(): number {
    return this.#timers.pending;
  }

  /** Attributes logs, timers and host calls to a new invocation; returns its generation. */
  begin(logs: LogCollector, deadline: number): number {
    this.#generation += 1;
    this.#logs = logs;
    this.#arrivals.reset();
    this.#timers.begin(this.#generation);
    this.#calls.begin(this.#generation, deadline);
    return this.#generation;
  }

  /** Ends the invocation: its timers and host calls are cancelled, late log lines dropped. */
  end(): void {
    this.#logs = undefined;
    this.#timers.begin(0);
    this.#calls.end();
    this.lastUsedAt = Date.now();
  }

  /** CPU time used by the isolate so far, in ns; undefined once disposed. */
  cpuTime(): bigint | undefined {
    const isolate = this.#isolate;
    if (isolate === undefined || isolate.isDisposed) return undefined;
    try {
      return isolate.cpuTime;
    } catch {
      return undefined;
    }
  }

  /**
   * The cold start: creates the isolate, runs the prelude and the bundle, checks the module.
   * Resolves with the function's fault (bundle rejected, module init threw) or null when ready;
   * rejects when the isolate itself failed (see {@link failure}).
   */
  async boot(generation: number): Promise<ErrorData | null> {
    if (this.#state !== 'new') throw new Error(`cannot boot an instance in state ${this.#state}`);
    const bundle = await loadBundle(this.#deps.bundles, this.fn.bundleSha);
    if (!('sha' in bundle)) return bundle;
    if (this.#policyError !== undefined) {
      return new FjordError('INVALID_MANIFEST', this.#policyError).toData();
    }
    const memoryMb = Math.max(MIN_MEMORY_MB, this.fn.memoryMb);
    const onCatastrophicError = (message: string): void => {
      this.#deps.logger?.error({ fn: this.fn.name, message }, 'isolate catastrophic error');
    };
    const { blanks, prelude, config } = this.#deps;
    const opened = blanks?.take(memoryMb) ?? (await bootIsolate(prelude, memoryMb, config));
    opened.adopt(this.#handlers(), onCatastrophicError);
    const { isolate, context } = opened;
    this.#isolate = isolate;
    this.#context = context;
    this.#refs = opened.refs;
    // Disposed while it booted (a deadline, an eviction): the calls below fail as they should.
    if (this.#disposedBy !== undefined) isolate.dispose();
    await this.#refs.begin.apply(undefined, [generation]);

    const filename = `fjord:///${this.fn.name}@${this.fn.version}.js`;
    this.#stacks = { map: bundle.sourceMap, filename };
    const fault = await runBundle(isolate, context, bundle, filename);
    if (fault !== null) return mapErrorStack(fault, bundle.sourceMap, filename);
    const loaded = (await this.#refs.load.apply(undefined, [this.fn.env], {
      arguments: { copy: true },
      result: { copy: true },
    })) as LoadReply;
    if (loaded?.ok !== true) {
      const message =
        typeof loaded?.message === 'string' ? loaded.message : 'the bundle was rejected';
      return new FjordError('BUNDLE_REJECTED', message).toData();
    }
    this.#state = 'ready';
    this.#richCache.arm(isolate, bundle, filename);
    return null;
  }

  /** The code cache being taken in the isolate (see {@link richCache}), if any. */
  get caching(): Promise<void> | undefined {
    return this.#richCache.caching;
  }

  /** After a successful request: the bundle's rich code cache, once, in the background. */
  richCache(): void {
    this.#richCache.take();
  }

  /** Runs one invocation; rejects when the isolate failed underneath it. */
  async dispatch(
    payload: InvocationPayload,
    ctx: InvocationContext,
    generation: number,
  ): Promise<Dispatched> {
    const refs = this.#refs;
    if (this.#state !== 'ready' || refs === undefined) {
      throw new Error(`cannot dispatch to an instance in state ${this.#state}`);
    }
    const limit = this.#deps.config.maxResponseBytes;
    const dispatched = dispatchInIsolate(refs, this.#arrivals, payload, ctx, generation, limit);
    return mapDispatchedStack(await dispatched, this.#stacks);
  }

  /** Resolves once the invocation's ctx.waitUntil work has settled; rejects if the isolate failed. */
  async drain(generation: number): Promise<void> {
    const refs = this.#refs;
    if (refs !== undefined) await drainIsolate(refs, this.#arrivals, generation);
  }

  /**
   * Disposes the isolate in the middle of an invocation (a limit was hit) and resolves once the
   * lines it logged before have reached the invocation's log.
   */
  stop(reason: DisposeReason): Promise<void> {
    this.dispose(reason);
    return linesSentBeforeNow();
  }

  /** Explains a rejection of {@link boot} or {@link dispatch}; the instance is disposed. */
  failure(error: unknown): ErrorData {
    const isolateDisposed = this.#isolate?.isDisposed ?? false;
    const data = isolateFailure(error, {
      disposedBy: this.#disposedBy,
      isolateDisposed,
      memoryMb: Math.max(MIN_MEMORY_MB, this.fn.memoryMb),
    });
    this.dispose('broken');
    return data;
  }

  /**
   * Disposes the isolate and cancels its timers. Idempotent. Lines it sent before still reach
   * the invocation's log until {@link end}: see {@link stop}.
   */
  dispose(reason: DisposeReason): void {
    if (this.#state === 'disposed') return;
    this.#state = 'disposed';
    this.#disposedBy = reason;
    this.#timers.begin(0);
    this.#calls.end();
    this.#fetcher.close();
    this.#arrivals.reset();
    this.#refs = undefined;
    this.#context?.release();
    this.#context = undefined;
    const isolate = this.#isolate;
    if (isolate !== undefined && !isolate.isDisposed) {
      try {
        isolate.dispose();
      } catch {
        // Already gone: nothing left to release.
      }
    }
  }

  /** The bridge callbacks; each checks that its invocation is still the current one. */
  #handlers(): BridgeHandlers {
    return {
      log: (generation, level, ts, message) => {
        if (generation !== this.#generation) return;
        this.#arrivals.arrived();
        this.#logs?.add(level, ts, message);
      },
      setTimer: (generation, id, delay) => this.#timers.set(generation, id, delay),
      clearTimer: (generation, id) => this.#timers.clear(generation, id),
      hostCall: (generation, id, op, args) => this.#calls.call(generation, id, op, args),
    };
  }

  #settle(generation: number, id: number, reply: HostCallReply): void {
    const refs = this.#refs;
    if (refs === undefined || generation !== this.#generation) return;
    try {
      refs.settle.applyIgnored(undefined, [generation, id, reply], { arguments: { copy: true } });
    } catch {
      // The isolate went away while the host worked for it.
    }
  }

  #fire(generation: number, id: number): void {
    const refs = this.#refs;
    if (refs === undefined || generation !== this.#generation) return;
    try {
      refs.fireTimer.applyIgnored(undefined, [generation, id]);
    } catch {
      // The isolate went away between the host timer firing and this call.
    }
  }
}
