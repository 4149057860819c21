/**
 * ctx.queues in fetch and event handlers, the same cases for every runtime: each send reaches the
 * node's publisher before the handler goes on, a send the publisher refuses rejects inside the
 * function with the platform's code (and fails the invocation with it when uncaught), and a node
 * without a publisher refuses every send. test/unit/queue-send-host.test.ts runs them on isolates
 * (inline and hosted), test/container/queue-sends.test.ts on containers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Executor } from '../../core/executor.ts';
import { FjordError } from '../../core/errors.ts';
import type { FunctionSpec, QueueSend } from '../../core/messages.ts';
import type { QueuePublisher } from '../../runtime/isolate/host-queue.ts';
import {
  bodyBytes,
  errorOf,
  eventPayload,
  httpPayload,
  invocationContext,
  responseOf,
  valueOf,
} from '../fixtures/bundles/invocations.ts';

/** Queues the test's publisher refuses, with the code it refuses them with. */
const REFUSED: Record<string, 'QUEUE_NOT_FOUND' | 'BROKER_UNAVAILABLE'> = {
  nowhere: 'QUEUE_NOT_FOUND',
  down: 'BROKER_UNAVAILABLE',
};

export interface QueueSendRuntime {
  /** An executor whose ctx.queues sends go to `publishQueue`. */
  executor(publishQueue: QueuePublisher): Promise<Executor>;
  /** An executor without a publisher (a node whose broker has no queues). */
  bare(): Promise<Executor>;
  /** The spec of a fixture under test/fixtures/functions, for this runtime. */
  spec(fixture: string): Promise<FunctionSpec>;
}

export function queueSendCases(label: string, runtime: QueueSendRuntime): void {
  describe(`ctx.queues in fetch and event handlers (${label})`, () => {
    const published: QueueSend[][] = [];
    const specs = new Map<string, Promise<FunctionSpec>>();
    let executor: Executor;
    let bare: Executor;

    before(async () => {
      const publishQueue = async (sends: readonly QueueSend[]): Promise<void> => {
        const refused = REFUSED[sends[0]?.queue ?? ''];
        if (refused !== undefined) throw new FjordError(refused, `refused ${sends[0]?.queue}`);
        published.push([...sends]);
      };
      executor = await runtime.executor(publishQueue);
      bare = await runtime.bare();
    });
    after(async () => {
      await executor?.dispose();
      await bare?.dispose();
    });

    /** One spec per fixture, so a container runtime keeps its warm container. */
    const spec = (fixture: string): Promise<FunctionSpec> => {
      let found = specs.get(fixture);
      if (found === undefined) {
        found = runtime.spec(fixture);
        specs.set(fixture, found);
      }
      return found;
    };

    const post = async (query: string, body: unknown, on: Executor = executor) =>
      on.invoke(
        await spec('queue-publisher'),
        httpPayload('POST', `http://fn.test/${query}`, { body: JSON.stringify(body) }),
        invocationContext(),
      );
    const json = (outcome: Awaited<ReturnType<typeof post>>) =>
      JSON.parse(bodyBytes(responseOf(outcome)).toString('utf8')) as Record<string, unknown>;

    test('send() and sendBatch() from fetch reach the publisher before the response', async () => {
      published.length = 0;
      assert.deepEqual(json(await post('?queue=orders', { n: 1 })), { sent: 1 });
      assert.deepEqual(json(await post('?queue=orders', [{ n: 2 }, 'three'])), { sent: 2 });
      assert.deepEqual(published, [
        [{ queue: 'orders', body: { json: { n: 1 } }, contentType: 'application/json' }],
        [
          { queue: 'orders', body: { json: { n: 2 } }, contentType: 'application/json' },
          { queue: 'orders', body: { json: 'three' }, contentType: 'application/json' },
        ],
      ]);
    });

    test('a refused send rejects with its code inside the function', async () => {
      const caught = await post('?queue=nowhere&catch', { n: 1 });
      assert.equal(responseOf(caught).status, 502);
      assert.deepEqual(json(caught), {
        code: 'QUEUE_NOT_FOUND',
        name: 'Error',
        message: 'refused nowhere',
      });
      const thrown = errorOf(await post('?queue=down', { n: 1 }));
      assert.equal(thrown.code, 'BROKER_UNAVAILABLE');
      assert.match(thrown.message, /refused down/);
    });

    test('a bad queue name rejects before anything is published', async () => {
      published.length = 0;
      const caught = json(await post('?queue=&catch', { n: 1 }));
      assert.equal(caught.name, 'TypeError');
      assert.match(String(caught.message), /queue name/);
      assert.deepEqual(published, []);
    });

    test('an event handler sends too', async () => {
      published.length = 0;
      const fn = await spec('queue-publish-event');
      const event = { queue: 'notes', body: 'hello', contentType: 'text' };
      const outcome = await executor.invoke(fn, eventPayload(event), invocationContext());
      assert.deepEqual(valueOf(outcome), { sent: 'notes' });
      assert.deepEqual(published, [
        [{ queue: 'notes', body: { text: 'hello' }, contentType: 'text/plain' }],
      ]);
    });

    test('publish() sends to an exchange with a routing key', async () => {
      published.length = 0;
      const fn = await spec('queue-publish-event');
      const event = { exchange: 'shop', routingKey: 'order.created', body: { n: 1 } };
      const outcome = await executor.invoke(fn, eventPayload(event), invocationContext());
      assert.deepEqual(valueOf(outcome), { sent: 'shop/order.created' });
      assert.deepEqual(published, [
        [
          {
            queue: '',
            exchange: 'shop',
            routingKey: 'order.created',
            body: { json: { n: 1 } },
            contentType: 'application/json',
          },
        ],
      ]);
      const bad = { exchange: '', routingKey: 'order.created', body: 1 };
      const refused = errorOf(await executor.invoke(fn, eventPayload(bad), invocationContext()));
      assert.match(refused.message, /exchange name/);
      assert.equal(published.length, 1, 'nothing published for a bad exchange name');
    });

    test('a node without a publisher fails sends with QUEUE_NOT_FOUND', async () => {
      const outcome = errorOf(await post('?queue=orders', { n: 1 }, bare));
      assert.equal(outcome.code, 'QUEUE_NOT_FOUND');
    });
  });
}
