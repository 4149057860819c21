/**
 * The executor conformance cases: the same example functions, invoked the same way, must give
 * the same results on every Executor. Each case checks its own expectations on each executor, and
 * conformance.test.ts compares the executors' outcomes with each other.
 */
import assert from 'node:assert/strict';
import type { ExecutionOutcome, InvocationContext } from '../../core/executor.ts';
import type {
  FunctionSpec,
  InvocationPayload,
  QueueBatchEvent,
  QueueMessageData,
} from '../../core/messages.ts';
import {
  bodyBytes,
  errorOf,
  eventPayload,
  httpPayload,
  invocationContext,
  responseOf,
  valueOf,
} from '../fixtures/bundles/invocations.ts';

export interface ConformanceCase {
  name: string;
  /** A folder under test/fixtures/functions. */
  fixture: string;
  spec?: Partial<FunctionSpec>;
  payload: InvocationPayload;
  /** Fixed, so that what the function sees of ctx is comparable across executors. */
  ctx: () => InvocationContext;
  check: (outcome: ExecutionOutcome) => void;
  /** What must be equal across executors; by default everything but timings and stacks. */
  comparable?: (outcome: ExecutionOutcome) => unknown;
}

/** A queue trigger's batch event (runtime/queue-batch-run.ts builds these). */
function queueBatch(bodies: QueueMessageData['body'][]): QueueBatchEvent {
  return {
    type: 'queue',
    queue: 'orders',
    messages: bodies.map((body, i) => ({
      id: `m${i}`,
      timestamp: 1_700_000_000_000,
      attempts: 1,
      headers: {},
      body,
    })),
  };
}

const ctx = (id: string) => (): InvocationContext =>
  invocationContext({ id: `inv-${id}`, callId: `call-${id}`, attempt: 2 });

/** The outcome without what legitimately differs: timings, CPU time, stack traces, log times. */
export function comparableOutcome(outcome: ExecutionOutcome): unknown {
  return {
    ...outcome,
    durationMs: undefined,
    cpuMs: undefined,
    ran: undefined,
    ...(outcome.ok ? {} : { error: { ...outcome.error, stack: undefined } }),
    logs: outcome.logs.map(({ level, message }) => ({ level, message })),
  };
}

/**
 * Console lines compared by level and first line, with quotes unified: containers format values
 * with Node's util.inspect ('two'), isolates with the prelude's JSON-like inspect ("two"), and
 * stack frames differ by runtime.
 */
function comparableLogs(outcome: ExecutionOutcome): unknown {
  return outcome.logs.map(({ level, message }) => ({
    level,
    message: (message.split('\n')[0] ?? '').replaceAll("'", '"'),
  }));
}

export const CONFORMANCE_CASES: ConformanceCase[] = [
  {
    name: 'fetch: status, headers and body',
    fixture: 'hello',
    payload: httpPayload('GET', 'http://fjord.test/'),
    ctx: ctx('hello'),
    check: (outcome) => {
      const response = responseOf(outcome);
      assert.equal(response.status, 201);
      assert.deepEqual(response.headers, [
        ['content-type', 'text/plain;charset=UTF-8'],
        ['set-cookie', 'a=1'],
        ['x-fixture', 'hello'],
      ]);
      assert.equal(bodyBytes(response).toString(), 'hello from fjord');
      assert.equal(outcome.coldStart, true);
    },
  },
  {
    name: 'fetch: method, url, headers, JSON body and env as the function sees them',
    fixture: 'echo-request',
    spec: { env: { REGION: 'north', TOKEN: 's3cret' } },
    payload: httpPayload('PUT', 'http://fjord.test/api/cart?q=shoes', {
      headers: [
        ['content-type', 'application/json'],
        ['x-custom', 'custom-value'],
      ],
      body: JSON.stringify({ items: [1, 2, 3] }),
    }),
    ctx: ctx('echo-request'),
    check: (outcome) => {
      const seen = JSON.parse(bodyBytes(responseOf(outcome)).toString()) as unknown;
      assert.deepEqual(seen, {
        method: 'PUT',
        url: 'http://fjord.test/api/cart?q=shoes',
        path: '/api/cart',
        query: 'shoes',
        contentType: 'application/json',
        custom: 'custom-value',
        json: { items: [1, 2, 3] },
        env: { REGION: 'north', TOKEN: 's3cret' },
        envFrozen: true,
      });
    },
  },
  {
    name: 'fetch: a binary body makes the round trip unchanged',
    fixture: 'echo-binary',
    payload: httpPayload('POST', 'http://fjord.test/bin', {
      body: Uint8Array.from({ length: 256 }, (_, i) => i),
    }),
    ctx: ctx('echo-binary'),
    check: (outcome) => {
      const response = responseOf(outcome);
      assert.deepEqual(
        [...bodyBytes(response)],
        Array.from({ length: 256 }, (_, i) => i),
      );
      assert.equal(new Map(response.headers).get('x-length'), '256');
    },
  },
  {
    name: 'event: the JSON value built from the event and ctx',
    fixture: 'event-echo',
    spec: { env: { MODE: 'test' } },
    payload: eventPayload({ name: 'Ada', nested: { list: [1, null, 'x'] } }),
    ctx: ctx('event-echo'),
    check: (outcome) => {
      assert.deepEqual(valueOf(outcome), {
        greeting: 'hello Ada',
        event: { name: 'Ada', nested: { list: [1, null, 'x'] } },
        callId: 'call-event-echo',
        invocationId: 'inv-event-echo',
        attempt: 2,
        deadlineIsNumber: true,
        env: { MODE: 'test' },
      });
    },
  },
  {
    name: 'event: a thrown error is FUNCTION_ERROR with its message and name',
    fixture: 'throws',
    payload: eventPayload(null),
    ctx: ctx('throws-event'),
    check: (outcome) => {
      const error = errorOf(outcome);
      assert.equal(error.code, 'FUNCTION_ERROR');
      assert.equal(error.message, 'the fixture failed on purpose');
      assert.equal(error.name, 'TypeError');
    },
  },
  {
    name: 'fetch: a thrown error is FUNCTION_ERROR too',
    fixture: 'throws',
    payload: httpPayload('GET', 'http://fjord.test/'),
    ctx: ctx('throws-http'),
    check: (outcome) => assert.equal(errorOf(outcome).code, 'FUNCTION_ERROR'),
  },
  {
    name: 'console output is captured per invocation, at every level',
    fixture: 'console-log',
    payload: eventPayload({ tag: 't1' }),
    ctx: ctx('console-log'),
    check: (outcome) => {
      assert.equal(valueOf(outcome), 't1');
      assert.deepEqual(
        outcome.logs.map((entry) => entry.level),
        ['info', 'info', 'debug', 'warn', 'error', 'info'],
      );
      assert.equal(outcome.logs[1]?.message, 'info t1=42');
      assert.match(outcome.logs[4]?.message ?? '', /^error t1 TypeError: shown with its stack\n/);
    },
    comparable: comparableLogs,
  },
  {
    name: 'fetch returning something other than a Response is BAD_FUNCTION_RESPONSE',
    fixture: 'bad-response',
    payload: httpPayload('GET', 'http://fjord.test/'),
    ctx: ctx('bad-response'),
    check: (outcome) => {
      const error = errorOf(outcome);
      assert.equal(error.code, 'BAD_FUNCTION_RESPONSE');
      assert.equal(error.message, 'fetch handler must return a Response, got an object (Object)');
    },
  },
  {
    name: 'an event handler returning what JSON cannot hold is BAD_FUNCTION_RESPONSE',
    fixture: 'bigint-result',
    payload: eventPayload(null),
    ctx: ctx('bigint-result'),
    check: (outcome) => {
      const error = errorOf(outcome);
      assert.equal(error.code, 'BAD_FUNCTION_RESPONSE');
      assert.match(
        error.message,
        /^event handler must return a JSON-serializable value: TypeError/,
      );
    },
    comparable: (outcome) => (outcome.ok ? outcome : outcome.error.code),
  },
  {
    name: "a schedule's tick goes to a Workers module's scheduled(event, env, ctx)",
    fixture: 'scheduled-module',
    spec: { env: { LABEL: 'nightly' } },
    payload: eventPayload({
      type: 'scheduled',
      scheduledTime: 1_700_000_000_000,
      cron: '0 3 * * *',
    }),
    ctx: ctx('scheduled-module'),
    check: (outcome) => {
      assert.equal(valueOf(outcome), undefined);
      assert.deepEqual(
        outcome.logs.map((entry) => entry.message),
        ['tick scheduled 1700000000000 0 3 * * * nightly'],
      );
    },
  },
  {
    name: 'a queue batch goes to queue(batch, env, ctx): per-message decisions, bodies by type',
    fixture: 'queue-recorder',
    payload: eventPayload(
      queueBatch([{ json: { action: 'retry-once' } }, { text: 'hi' }, { base64: 'AP8=' }]),
    ),
    ctx: ctx('queue-batch'),
    check: (outcome) => {
      assert.deepEqual(valueOf(outcome), {
        type: 'queue-outcome',
        decisions: [{ action: 'retry' }, { action: 'ack' }, { action: 'ack' }],
      });
      assert.deepEqual(
        outcome.logs.map((entry) => (JSON.parse(entry.message) as { body: unknown }).body),
        [{ action: 'retry-once' }, 'hi', [0, 255]],
      );
    },
  },
  {
    name: 'ctx.queues.send() in a queue handler is collected for the host to publish',
    fixture: 'queue-chain',
    spec: { env: { NEXT: 'next-q', NOTE: 'yes' } },
    payload: eventPayload(queueBatch([{ json: { hop: 1 } }])),
    ctx: ctx('queue-send'),
    check: (outcome) => {
      assert.deepEqual((valueOf(outcome) as { sends: unknown }).sends, [
        { queue: 'next-q', body: { json: { hop: 2 } }, contentType: 'application/json' },
        { queue: 'next-q', body: { text: 'forwarded m0' }, contentType: 'text/plain' },
      ]);
    },
  },
  {
    name: 'a queue handler that throws keeps its explicit decisions and reports the error',
    fixture: 'queue-settle',
    payload: eventPayload(queueBatch([{ text: 'ack' }, { text: 'throw' }])),
    ctx: ctx('queue-throw'),
    check: (outcome) => {
      const value = valueOf(outcome) as { decisions: unknown; error: { name: string } };
      assert.deepEqual(value.decisions, [{ action: 'ack' }, null]);
      assert.equal(value.error.name, 'TypeError');
    },
    comparable: (outcome) => {
      const value = (outcome.ok ? outcome.value : outcome.error) as {
        decisions?: unknown;
        error?: { code: string; message: string };
      };
      return [value.decisions, value.error?.code, value.error?.message];
    },
  },
  {
    name: 'an HTTP request to an event-only function is HANDLER_NOT_FOUND',
    fixture: 'event-echo',
    payload: httpPayload('GET', 'http://fjord.test/'),
    ctx: ctx('no-fetch'),
    check: (outcome) => {
      assert.equal(errorOf(outcome).code, 'HANDLER_NOT_FOUND');
      assert.match(errorOf(outcome).message, /^function has no fetch handler: it takes events/);
    },
  },
  {
    name: 'an event to a fetch-only function is HANDLER_NOT_FOUND',
    fixture: 'hello',
    payload: eventPayload({}),
    ctx: ctx('no-event'),
    check: (outcome) => {
      assert.equal(errorOf(outcome).code, 'HANDLER_NOT_FOUND');
      assert.match(errorOf(outcome).message, /^function has no event handler/);
    },
  },
  {
    name: 'a module without a default export is BUNDLE_REJECTED',
    fixture: 'no-default',
    payload: eventPayload({}),
    ctx: ctx('no-default'),
    check: (outcome) => {
      const error = errorOf(outcome);
      assert.equal(error.code, 'BUNDLE_REJECTED');
      assert.match(error.message, /^default export must be a function \(event, ctx\)/);
    },
  },
  {
    name: 'a module that throws while loading is FUNCTION_ERROR',
    fixture: 'init-throws',
    payload: eventPayload({}),
    ctx: ctx('init-throws'),
    check: (outcome) => {
      const error = errorOf(outcome);
      assert.equal(error.code, 'FUNCTION_ERROR');
      assert.equal(error.message, 'module initialization failed: module init failed on purpose');
      assert.equal(error.name, 'RangeError');
    },
  },
  {
    name: 'Web APIs: URL, encoding, timers, Headers, Response, Request, base64, structuredClone',
    fixture: 'web-apis',
    payload: eventPayload(null),
    ctx: ctx('web-apis'),
    check: (outcome) => {
      const seen = valueOf(outcome) as { uuid: string[]; random: { length: number } };
      assert.equal(seen.uuid.length, 2);
      assert.notEqual(seen.uuid[0], seen.uuid[1]);
      assert.equal(seen.random.length, 32);
    },
    // Random values differ by nature; everything else must match.
    comparable: (outcome) => {
      const value = valueOf(outcome) as Record<string, unknown>;
      return { ...value, uuid: undefined, random: undefined };
    },
  },
];
