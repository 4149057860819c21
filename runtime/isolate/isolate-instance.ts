/**
 * One warm isolate of one function version: boots it (prelude, host bridge, bundle), runs one
 * invocation at a time through isolated-vm's async APIs, and disposes it together with its
 * timers. No isolated-vm object is ever handed to user code: the host bridge reaches the isolate
 * as plain functions that the prelude captures and removes from the global scope.
 */
import { randomFillSync } from 'node:crypto';
import ivm from 'isolated-vm';
import { FjordError, type ErrorData } from '../../core/errors.ts';
import type { InvocationContext } from '../../core/executor.ts';
import type { FunctionSpec, HttpResponseData, InvocationPayload } from '../../core/messages.ts';
import type { Logger } from '../../core/logger.ts';
import type { BundleCache, CachedBundle } from './bundle-cache.ts';
import { decodeEventReply, decodeHttpReply, type Decoded } from './decode-reply.ts';
import { HostTimers } from './host-timers.ts';
import { errorMessage, isolateFailure, type DisposeReason } from './instance-faults.ts';
import type { LogCollector } from './log-collector.ts';
import type { Prelude } from './prelude.ts';
import {
  INSTALL_GLOBAL,
  MAX_RANDOM_BYTES,
  type LoadReply,
  type PreludeConfig,
  type WireContext,
  type WireRequest,
} from './protocol.ts';

/** Lifecycle of an instance. */
export type InstanceState =
  /** Created; its isolate starts with the first invocation (the cold start). */
  | 'new'
  /** Booted and able to take an invocation. */
  | 'ready'
  /** Disposed: never used again. */
  | 'disposed';

export interface InstanceDeps {
  prelude: Prelude;
  bundles: BundleCache;
  config: PreludeConfig;
  logger?: Logger;
}

export type DispatchResult =
  { ok: true; response?: HttpResponseData; value?: unknown } | { ok: false; error: ErrorData };

/** References into the prelude's runtime; they die with the isolate. */
interface RuntimeRefs {
  begin: ivm.Reference;
  load: ivm.Reference;
  dispatchHttp: ivm.Reference;
  dispatchEvent: ivm.Reference;
  fireTimer: ivm.Reference;
}

const MIN_MEMORY_MB = 8;

/** A copy that owns exactly its bytes: a Buffer may be a view into a shared pool. */
function ownBytes(view: Uint8Array): Uint8Array {
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  return copy;
}

function randomBytesFor(length: unknown): Uint8Array {
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    throw new TypeError('randomBytes: length must be a non-negative integer');
  }
  if (length > MAX_RANDOM_BYTES)
    throw new RangeError(`randomBytes: at most ${MAX_RANDOM_BYTES} bytes`);
  return randomFillSync(new Uint8Array(length));
}

export class IsolateInstance {
  readonly fn: FunctionSpec;
  readonly #deps: InstanceDeps;
  readonly #timers: HostTimers;
  #state: InstanceState = 'new';
  #isolate: ivm.Isolate | undefined;
  #context: ivm.Context | undefined;
  #refs: RuntimeRefs | undefined;
  #generation = 0;
  #logs: LogCollector | undefined;
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
  }

  get state(): InstanceState {
    return this.#state;
  }

  /** Host timers the isolate holds right now. */
  get pendingTimers(): number {
    return this.#timers.pending;
  }

  /** Attributes logs and timers to a new invocation; returns its generation. */
  begin(logs: LogCollector): number {
    this.#generation += 1;
    this.#logs = logs;
    this.#timers.begin(this.#generation);
    return this.#generation;
  }

  /** Ends the invocation: its pending timers are cancelled, late log lines dropped. */
  end(): void {
    this.#logs = undefined;
    this.#timers.begin(0);
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
    let bundle: CachedBundle;
    try {
      bundle = await this.#deps.bundles.get(this.fn.bundleSha);
    } catch (error) {
      const data = FjordError.from(error).toData();
      if (data.code === 'INTERNAL') {
        return new FjordError(
          'INTERNAL',
          `could not load bundle ${this.fn.bundleSha}: ${errorMessage(error)}`,
          {
            retryable: true,
          },
        ).toData();
      }
      return data;
    }
    const isolate = this.#deps.prelude.createIsolate({
      memoryLimit: Math.max(MIN_MEMORY_MB, this.fn.memoryMb),
      onCatastrophicError: (message) => {
        this.#deps.logger?.error({ fn: this.fn.name, message }, 'isolate catastrophic error');
      },
    });
    this.#isolate = isolate;
    if (this.#disposedBy !== undefined) isolate.dispose();
    const context = await isolate.createContext();
    this.#context = context;
    await this.#deps.prelude.install(isolate, context);
    this.#refs = await this.#install(context);
    await this.#refs.begin.apply(undefined, [generation]);

    const fault = await this.#runBundle(isolate, context, bundle);
    if (fault !== null) return fault;
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
    return null;
  }

  /** Runs one invocation; rejects when the isolate failed underneath it. */
  async dispatch(
    payload: InvocationPayload,
    ctx: InvocationContext,
    generation: number,
  ): Promise<DispatchResult> {
    const refs = this.#refs;
    if (this.#state !== 'ready' || refs === undefined) {
      throw new Error(`cannot dispatch to an instance in state ${this.#state}`);
    }
    const wire: WireContext = {
      generation,
      invocationId: ctx.id,
      callId: ctx.callId,
      attempt: ctx.attempt,
      deadline: ctx.deadline,
    };
    const options = { arguments: { copy: true }, result: { promise: true, copy: true } } as const;
    const limit = this.#deps.config.maxResponseBytes;
    if (payload.kind === 'http') {
      const { method, url, headers, body } = payload.request;
      const request: WireRequest = {
        method,
        url,
        headers,
        body: body === undefined || body === '' ? null : ownBytes(Buffer.from(body, 'base64')),
      };
      const reply: unknown = await refs.dispatchHttp.apply(undefined, [request, wire], options);
      return toResult(decodeHttpReply(reply, limit), (response) => ({ response }));
    }
    const event = JSON.stringify(payload.data) ?? 'null';
    const reply: unknown = await refs.dispatchEvent.apply(undefined, [event, wire], options);
    return toResult(decodeEventReply(reply, limit), (value) =>
      value === undefined ? {} : { value },
    );
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

  /** Disposes the isolate and cancels its timers. Idempotent. */
  dispose(reason: DisposeReason): void {
    if (this.#state === 'disposed') return;
    this.#state = 'disposed';
    this.#disposedBy = reason;
    this.#timers.begin(0);
    this.#logs = undefined;
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

  async #install(context: ivm.Context): Promise<RuntimeRefs> {
    const install = await context.global.get(INSTALL_GLOBAL, { reference: true });
    const runtime: ivm.Reference = await install.apply(
      undefined,
      [
        new ivm.Callback(randomBytesFor),
        new ivm.Callback(
          (generation: unknown, level: unknown, ts: unknown, message: unknown) => {
            if (generation === this.#generation) this.#logs?.add(level, ts, message);
          },
          { ignored: true },
        ),
        new ivm.Callback(
          (generation: unknown, id: unknown, delay: unknown) =>
            this.#timers.set(generation, id, delay),
          { ignored: true },
        ),
        new ivm.Callback((generation: unknown, id: unknown) => this.#timers.clear(generation, id), {
          ignored: true,
        }),
        new ivm.ExternalCopy(this.#deps.config).copyInto(),
      ],
      { result: { reference: true } },
    );
    install.release();
    // Property reads of an isolate nobody else runs in take microseconds: no thread hop needed.
    const ref = (name: string): ivm.Reference => runtime.getSync(name, { reference: true });
    const refs: RuntimeRefs = {
      begin: ref('begin'),
      load: ref('load'),
      dispatchHttp: ref('dispatchHttp'),
      dispatchEvent: ref('dispatchEvent'),
      fireTimer: ref('fireTimer'),
    };
    runtime.release();
    return refs;
  }

  /** Compiles and runs the bundle; the function's own faults resolve, isolate failures reject. */
  async #runBundle(
    isolate: ivm.Isolate,
    context: ivm.Context,
    bundle: CachedBundle,
  ): Promise<ErrorData | null> {
    const filename = `fjord:///${this.fn.name}@${this.fn.version}.js`;
    let script: ivm.Script;
    try {
      script = await isolate.compileScript(bundle.code, {
        filename,
        ...(bundle.cachedData === undefined
          ? { produceCachedData: true }
          : { cachedData: bundle.cachedData }),
      });
    } catch (error) {
      if (isolate.isDisposed) throw error;
      return new FjordError(
        'BUNDLE_REJECTED',
        `the bundle does not compile: ${errorMessage(error)}`,
      ).toData();
    }
    const produced = (script as ivm.Script & ivm.CachedDataResult).cachedData;
    if (produced !== undefined) bundle.cachedData = produced;
    try {
      await script.run(context, { release: true });
    } catch (error) {
      if (isolate.isDisposed) throw error;
      const data = new FjordError(
        'FUNCTION_ERROR',
        `module initialization failed: ${errorMessage(error)}`,
      ).toData();
      if (error instanceof Error) {
        data.name = error.name;
        if (typeof error.stack === 'string') data.stack = error.stack;
      }
      return data;
    }
    return null;
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

function toResult<T>(
  decoded: Decoded<T>,
  shape: (value: T) => { response?: HttpResponseData; value?: unknown },
): DispatchResult {
  return decoded.ok ? { ok: true, ...shape(decoded.value) } : { ok: false, error: decoded.error };
}
