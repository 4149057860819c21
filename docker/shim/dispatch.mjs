// Runs one invocation on the loaded module: builds the Request or parses the event, calls the
// handler with (request, env, ctx), (event, ctx) or, for a schedule's tick, a Workers module's
// scheduled(event, env, ctx), waits for ctx.waitUntil work, and shapes the outcome into a reply.
// The same rules and messages as the isolate runtime's prelude.
import { inspect } from 'node:util';
import { describe } from './function-module.mjs';
import { hostDeliver } from './host-queue.mjs';
import { NO_EVENT_HANDLER, NO_FETCH_HANDLER, NO_QUEUE_HANDLER } from './missing-handlers.mts';
import { isQueueEvent, queueCall } from './queue-batch.mts';
import { QUEUE_RUNTIME } from './queue-runtime.mjs';
import { createQueueSender } from './queue-sender.mts';
import { errorReply, thrownReply } from './replies.mjs';

/**
 * @typedef {{ invocationId: string, callId: string, attempt: number, deadline: number, queueToken?: string }} WireContext
 * @typedef {{ shape: 'handler' | 'object', main: any, env: Readonly<Record<string, string>>, maxResponseBytes: number }} Loaded
 */

/**
 * @param {Loaded} loaded
 * @param {{ method: string, url: string, headers: [string, string][], body?: string }} wire
 * @param {WireContext} wctx
 * @param {object} log console-like object for ctx.log
 */
export async function dispatchHttp(loaded, wire, wctx, log) {
  // A default-exported function may carry a fetch method too, as the isolate runtime allows.
  const fetch = loaded.main.fetch;
  if (typeof fetch !== 'function') {
    return errorReply('HANDLER_NOT_FOUND', NO_FETCH_HANDLER);
  }
  let request;
  try {
    const body =
      wire.body === undefined || wire.body === '' ? null : Buffer.from(wire.body, 'base64');
    request = new Request(wire.url, { method: wire.method, headers: wire.headers, body });
  } catch (error) {
    return errorReply('BAD_REQUEST', `invalid request: ${inspect(error, { depth: 1 })}`);
  }
  return run(
    wctx,
    loaded.env,
    log,
    (ctx) => fetch.call(loaded.main, request, loaded.env, ctx),
    (value) => toHttpReply(value, loaded.maxResponseBytes),
  );
}

/**
 * @param {Loaded} loaded
 * @param {unknown} event
 * @param {WireContext} wctx
 * @param {object} log
 */
export async function dispatchEvent(loaded, event, wctx, log) {
  // A queue batch goes to queue(batch, env, ctx), or message by message to a handler.
  if (isQueueEvent(event)) {
    const call = queueCall(loaded.main, loaded.shape, event, loaded.env, QUEUE_RUNTIME);
    if (call === undefined) return errorReply('HANDLER_NOT_FOUND', NO_QUEUE_HANDLER);
    return run(wctx, loaded.env, log, call, toEventReply);
  }
  // A schedule's tick is an event like any other; a Workers module takes it in scheduled().
  const scheduled = loaded.shape === 'object' ? loaded.main.scheduled : undefined;
  if (typeof scheduled === 'function' && isScheduledEvent(event)) {
    return run(
      wctx,
      loaded.env,
      log,
      (ctx) => scheduled.call(loaded.main, event, loaded.env, ctx),
      () => ({ ok: true }),
    );
  }
  if (loaded.shape !== 'handler') {
    return errorReply('HANDLER_NOT_FOUND', NO_EVENT_HANDLER);
  }
  return run(wctx, loaded.env, log, (ctx) => loaded.main(event, ctx), toEventReply);
}

/** @param {unknown} event */
function isScheduledEvent(event) {
  return (
    typeof event === 'object' &&
    event !== null &&
    /** @type {{ type?: unknown }} */ (event).type === 'scheduled'
  );
}

/** Runs the handler with the invocation's ctx, then its waitUntil work, however it ended. */
async function run(wctx, env, log, call, finish) {
  /** @type {Promise<unknown>[]} */
  const pending = [];
  const ctx = {
    callId: wctx.callId,
    invocationId: wctx.invocationId,
    attempt: wctx.attempt,
    deadline: wctx.deadline,
    env,
    waitUntil: (promise) => void pending.push(Promise.resolve(promise)),
    passThroughOnException: () => {},
    log,
    // A queue handler's own replaces it (its sends are collected, see queue-batch.mts).
    queues: createQueueSender(hostDeliver(wctx.queueToken), QUEUE_RUNTIME.toBase64),
  };
  let value;
  try {
    value = await call(ctx);
  } catch (error) {
    await settle(pending, log);
    return thrownReply(error);
  }
  await settle(pending, log);
  return finish(value);
}

/** Waits for every waitUntil promise, including those added while waiting. */
async function settle(pending, log) {
  while (pending.length > 0) {
    for (const result of await Promise.allSettled(pending.splice(0))) {
      if (result.status === 'rejected') log.error('waitUntil promise rejected:', result.reason);
    }
  }
}

async function toHttpReply(value, maxResponseBytes) {
  if (!(value instanceof Response)) {
    return errorReply(
      'BAD_FUNCTION_RESPONSE',
      `fetch handler must return a Response, got ${describe(value)}`,
    );
  }
  if (value.type === 'error') {
    return errorReply('BAD_FUNCTION_RESPONSE', 'fetch handler returned Response.error()');
  }
  if (value.bodyUsed) {
    return errorReply('BAD_FUNCTION_RESPONSE', 'the returned Response body was already read');
  }
  const body = value.body === null ? null : Buffer.from(await value.arrayBuffer());
  if (body !== null && body.byteLength > maxResponseBytes) {
    return errorReply(
      'BAD_FUNCTION_RESPONSE',
      `response body of ${body.byteLength} bytes exceeds the limit of ${maxResponseBytes} bytes`,
    );
  }
  const response = { status: value.status, headers: [...value.headers] };
  if (body !== null && body.byteLength > 0) response.body = body.toString('base64');
  return { ok: true, response };
}

function toEventReply(value) {
  if (value === undefined) return { ok: true };
  let json;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    return errorReply(
      'BAD_FUNCTION_RESPONSE',
      `event handler must return a JSON-serializable value: ${inspect(error, { depth: 1 })}`,
    );
  }
  // The reply carries the value as JSON text so that undefined and JSON's own rules stay exact.
  return json === undefined ? { ok: true } : { ok: true, json };
}
