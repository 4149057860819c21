/**
 * The host's side of asynchronous calls from an isolate (subtle crypto, fetch, ctx.queues). Calls belong to
 * one invocation: when it ends, or its deadline passes, everything it still runs is aborted and
 * late answers are dropped, so no work or reply leaks into the next invocation.
 */
import type { HostCallOp, HostCallReply, HostErrorCode, WireHostError } from './protocol.ts';

/** A failure reported to the function as a given error type, optionally with a platform code. */
export class HostCallError extends Error {
  readonly code: HostErrorCode | undefined;

  constructor(name: string, message: string, code?: HostErrorCode) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

/** What one invocation's host calls share. */
export interface CallScope {
  readonly generation: number;
  /** Epoch ms; host work is aborted then. */
  readonly deadline: number;
  /** Outgoing HTTP requests made so far (redirect hops count). */
  fetches: number;
  /** Messages sent with ctx.queues so far. */
  queueSends: number;
}

export type HostOperation = (
  args: unknown,
  scope: CallScope,
  signal: AbortSignal,
) => Promise<unknown>;

const MAX_MESSAGE = 2000;

function toWire(error: unknown): WireHostError {
  if (error instanceof HostCallError) {
    const wire: WireHostError = { name: error.name, message: error.message.slice(0, MAX_MESSAGE) };
    if (error.code !== undefined) wire.code = error.code;
    return wire;
  }
  if (error instanceof Error)
    return { name: error.name, message: error.message.slice(0, MAX_MESSAGE) };
  return { name: 'Error', message: String(error).slice(0, MAX_MESSAGE) };
}

/**
 * The controller and deadline timer exist only once the invocation made a host call: most make
 * none, and aborting a signal at every invocation end cost a DOMException and an Event each (2%
 * of a node's main thread in the async profile, BENCHMARKS.md).
 */
interface ActiveScope extends CallScope {
  controller: AbortController | undefined;
  timer: NodeJS.Timeout | undefined;
}

export class HostCalls {
  readonly #operations: Partial<Record<HostCallOp, HostOperation>>;
  readonly #deliver: (generation: number, id: number, reply: HostCallReply) => void;
  readonly #calls = new Map<number, AbortController>();
  #scope: ActiveScope | null = null;

  constructor(
    operations: Partial<Record<HostCallOp, HostOperation>>,
    deliver: (generation: number, id: number, reply: HostCallReply) => void,
  ) {
    this.#operations = operations;
    this.#deliver = deliver;
  }

  /** Host calls still running. */
  get pending(): number {
    return this.#calls.size;
  }

  /** Starts the scope of invocation `generation`, ending the previous one. */
  begin(generation: number, deadline: number): void {
    this.end();
    const scope: ActiveScope = {
      generation,
      deadline,
      fetches: 0,
      queueSends: 0,
      controller: undefined,
      timer: undefined,
    };
    this.#scope = scope;
  }

  /** Aborts whatever the current invocation still runs on the host. */
  end(): void {
    const scope = this.#scope;
    if (scope === null) return;
    this.#scope = null;
    clearTimeout(scope.timer);
    scope.controller?.abort();
    this.#calls.clear();
  }

  /** The signal aborted when the scope ends or its deadline passes, made on first use. */
  #scopeSignal(scope: ActiveScope): AbortSignal {
    if (scope.controller === undefined) {
      const controller = new AbortController();
      scope.controller = controller;
      if (Date.now() >= scope.deadline) controller.abort(); // as if the timer had run
      scope.timer = setTimeout(() => controller.abort(), Math.max(0, scope.deadline - Date.now()));
      scope.timer.unref();
    }
    return scope.controller.signal;
  }

  call(generation: unknown, id: unknown, op: unknown, args: unknown): void {
    const scope = this.#scope;
    if (scope === null || generation !== scope.generation || typeof id !== 'number') return;
    if (op === 'cancel') {
      const target = (args as { id?: unknown } | null)?.id;
      if (typeof target === 'number') this.#calls.get(target)?.abort();
      return;
    }
    const operation = typeof op === 'string' ? this.#operations[op as HostCallOp] : undefined;
    if (operation === undefined) {
      this.#deliver(scope.generation, id, {
        ok: false,
        error: { name: 'TypeError', message: `unknown host call ${String(op)}` },
      });
      return;
    }
    const controller = new AbortController();
    this.#calls.set(id, controller);
    const signal = AbortSignal.any([this.#scopeSignal(scope), controller.signal]);
    const settle = (reply: HostCallReply): void => {
      this.#calls.delete(id);
      // An answer for an invocation that has ended has nobody left to receive it.
      if (this.#scope === scope) this.#deliver(scope.generation, id, reply);
    };
    void operation(args, scope, signal).then(
      (value) => settle({ ok: true, value }),
      (error: unknown) => settle({ ok: false, error: toWire(error) }),
    );
  }
}
