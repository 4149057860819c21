/**
 * The side of the invocation protocol that lives in the isolate: finds the user's module,
 * builds the Request, calls the handler with (request, env, ctx) or (event, ctx), waits for
 * ctx.waitUntil work, and turns the outcome into a plain reply for the host.
 */
import { MODULE_GLOBAL } from '../../../core/api.ts';
import type {
  Draining,
  EventReply,
  HttpReply,
  LoadReply,
  ModuleShape,
  PreludeRuntime,
  WireContext,
  WireContextArgs,
  WireError,
  WireRequest,
} from '../protocol.ts';
import { BodyTooLarge } from './body.ts';
import type { LogSink } from './console.ts';
import { inspect } from './format.ts';
import {
  createFunctionContext,
  settleWaitUntil,
  type FunctionContext,
} from './function-context.ts';
import { functionError, wireError } from './function-errors.ts';
import {
  NO_EVENT_HANDLER,
  NO_FETCH_HANDLER,
  NO_QUEUE_HANDLER,
} from '../../../docker/shim/missing-handlers.mts';
import { isQueueEvent, queueCall } from './queue-batch.ts';
import { createQueueSender } from './queue-sender.ts';
import type { HostCalls } from './host-calls.ts';
import { PARSED_URL, Request } from './request.ts';
import { Response } from './response.ts';
import type { Timers } from './timers.ts';

/**
 * Taken before any user code runs: intrinsics stay writable, as in Workers, and a function that
 * patches JSON must not change how its events arrive and its results leave.
 */
const { parse, stringify } = JSON;

type Handler = (event: unknown, ctx: FunctionContext) => unknown;
interface HandlerObject {
  fetch?: (request: Request, env: unknown, ctx: FunctionContext) => unknown;
  scheduled?: (event: unknown, env: unknown, ctx: FunctionContext) => unknown;
}

export interface RuntimeParts {
  logs: LogSink;
  timers: Timers;
  host: HostCalls;
  maxResponseBytes: number;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return typeof value;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' ? `an object (${name})` : 'an object';
}

/** A copy that owns exactly its bytes, so the host never receives a larger backing buffer. */
function wireContext([
  generation,
  invocationId,
  callId,
  attempt,
  deadline,
]: WireContextArgs): WireContext {
  return { generation, invocationId, callId, attempt, deadline };
}

function tight(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : bytes.slice();
}

export function createRuntime({
  logs,
  timers,
  host,
  maxResponseBytes,
}: RuntimeParts): PreludeRuntime {
  const log = logs.console();
  let shape: ModuleShape | null = null;
  let entry: unknown;
  let env: Readonly<Record<string, string>> = Object.freeze({});

  /** The invocation's waitUntil work still running after its reply went out. */
  let waiting: { generation: number; done: Promise<void> } | null = null;

  const begin = (generation: number): void => {
    logs.reset(generation);
    timers.reset(generation);
    host.reset(generation);
  };
  const end = (): void => {
    logs.reset(0);
    timers.reset(0);
    host.reset(0);
  };

  /**
   * Runs the handler with the invocation's ctx and builds its reply. The reply goes out at once;
   * waitUntil work keeps the invocation open (its timers, I/O and logs) until {@link drain}.
   */
  const run = async <T extends HttpReply | EventReply>(
    wire: WireContext,
    call: (ctx: FunctionContext) => unknown,
    finish: (value: unknown) => T | Promise<T>,
  ): Promise<Draining<T | WireError>> => {
    const pending: Promise<unknown>[] = [];
    // Sends go out through the host as they are made (queue handlers replace this sender).
    const queues = createQueueSender(async (sends) => {
      await host.call('queue', { sends });
    });
    const ctx = createFunctionContext(wire, env, log, pending, queues);
    let reply: T | WireError;
    try {
      reply = await finish(await call(ctx));
    } catch (error) {
      reply = functionError(error);
    }
    if (pending.length === 0) {
      const sent = logs.sent;
      end();
      return { ...reply, waitUntil: false, logs: sent };
    }
    const done = settleWaitUntil(pending, (reason) =>
      log.error('waitUntil promise rejected:', reason),
    );
    waiting = { generation: wire.generation, done };
    return { ...reply, waitUntil: true, logs: logs.sent };
  };

  /** Replies without running the handler (nothing can be pending). */
  const refuse = (error: WireError): Draining<WireError> => {
    const sent = logs.sent;
    end();
    return { ...error, waitUntil: false, logs: sent };
  };

  /** Reads the response to its end: a streamed body is buffered, then sent in one piece. */
  const toHttpReply = async (value: unknown): Promise<HttpReply> => {
    if (!(value instanceof Response)) {
      return wireError(
        'BAD_FUNCTION_RESPONSE',
        `fetch handler must return a Response, got ${describe(value)}`,
      );
    }
    if (value.type === 'error') {
      return wireError('BAD_FUNCTION_RESPONSE', 'fetch handler returned Response.error()');
    }
    if (value.bodyUsed) {
      return wireError('BAD_FUNCTION_RESPONSE', 'the returned Response body was already read');
    }
    let body: Uint8Array;
    try {
      body = await value.readAll(maxResponseBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return wireError(
          'BAD_FUNCTION_RESPONSE',
          `response body exceeds the limit of ${maxResponseBytes} bytes`,
        );
      }
      return functionError(error);
    }
    return {
      ok: true,
      status: value.status,
      headers: [...value.headers],
      body: body.byteLength === 0 ? null : tight(body),
    };
  };

  const toEventReply = (value: unknown): EventReply => {
    if (value === undefined) return { ok: true };
    try {
      const json = stringify(value);
      if (json === undefined) return { ok: true };
      // Measured as the host measures it, so a result is never cut by one and passed by the other.
      if (json.length > maxResponseBytes) {
        return wireError(
          'BAD_FUNCTION_RESPONSE',
          `event result exceeds the limit of ${maxResponseBytes} bytes`,
        );
      }
      return { ok: true, json };
    } catch (error) {
      return wireError(
        'BAD_FUNCTION_RESPONSE',
        `event handler must return a JSON-serializable value: ${inspect(error, 1)}`,
      );
    }
  };

  return {
    begin,

    load(variables) {
      // The bundle's top-level `var` makes a non-configurable global: it stays, harmlessly.
      const module = (globalThis as Record<string, unknown>)[MODULE_GLOBAL];
      if (typeof module !== 'object' || module === null) {
        return {
          ok: false,
          message: `the bundle did not assign globalThis.${MODULE_GLOBAL}: build it with esbuild format "iife" and globalName "${MODULE_GLOBAL}"`,
        } satisfies LoadReply;
      }
      const main = (module as { default?: unknown }).default;
      const methods = ['fetch', 'queue', 'scheduled'];
      if (typeof main === 'function') shape = 'handler';
      else if (
        typeof main === 'object' &&
        main !== null &&
        methods.some((m) => typeof (main as Record<string, unknown>)[m] === 'function')
      ) {
        shape = 'object';
      } else {
        return {
          ok: false,
          message: `default export must be a function (event, ctx) or an object with a fetch, queue or scheduled method; got ${describe(main)}`,
        };
      }
      entry = main;
      env = Object.freeze({ ...variables });
      return { ok: true, shape };
    },

    async dispatchHttp(wire: WireRequest, ...args: WireContextArgs): Promise<Draining<HttpReply>> {
      const wctx = wireContext(args);
      begin(wctx.generation);
      const fetch = shape === null ? undefined : (entry as HandlerObject).fetch;
      if (typeof fetch !== 'function') {
        return refuse(wireError('HANDLER_NOT_FOUND', NO_FETCH_HANDLER));
      }
      let request: Request;
      try {
        const init = { method: wire.method, headers: wire.headers, body: wire.body };
        request = new Request(
          wire.url,
          wire.parsed === true ? Object.assign(init, { [PARSED_URL]: true }) : init,
        );
      } catch (error) {
        return refuse(wireError('BAD_REQUEST', `invalid request: ${inspect(error, 1)}`));
      }
      return run(wctx, (ctx) => fetch.call(entry, request, env, ctx), toHttpReply);
    },

    async dispatchEvent(
      eventJson: string,
      ...args: WireContextArgs
    ): Promise<Draining<EventReply>> {
      const wctx = wireContext(args);
      begin(wctx.generation);
      const event = parse(eventJson) as unknown;
      // A queue batch goes to queue(batch, env, ctx), or message by message to a handler.
      if (shape !== null && isQueueEvent(event)) {
        const call = queueCall(entry, shape, event, env);
        if (call === undefined) {
          return refuse(wireError('HANDLER_NOT_FOUND', NO_QUEUE_HANDLER));
        }
        return run(wctx, call, toEventReply);
      }
      // A schedule's tick is an event like any other; a Workers module takes it in scheduled().
      const scheduled = shape === 'object' ? (entry as HandlerObject).scheduled : undefined;
      if (typeof scheduled === 'function' && isScheduledEvent(event)) {
        return run(
          wctx,
          (ctx) => scheduled.call(entry, event, env, ctx),
          () => ({ ok: true }),
        );
      }
      if (shape !== 'handler') {
        return refuse(wireError('HANDLER_NOT_FOUND', NO_EVENT_HANDLER));
      }
      return run(wctx, (ctx) => (entry as Handler)(event, ctx), toEventReply);
    },

    async drain(generation: number): Promise<number> {
      const current = waiting;
      if (current === null || current.generation !== generation) return 0;
      try {
        await current.done;
        return logs.sent;
      } finally {
        waiting = null;
        end();
      }
    },

    fireTimer(generation: number, id: number): void {
      timers.fire(generation, id);
    },

    settle(generation, id, reply): void {
      host.settle(generation, id, reply);
    },
  };
}

/** The event a schedule's tick carries (gateway/scheduler.ts). */
function isScheduledEvent(event: unknown): boolean {
  return (
    typeof event === 'object' &&
    event !== null &&
    (event as { type?: unknown }).type === 'scheduled'
  );
}
