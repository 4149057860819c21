/**
 * ctx.queues in fetch and event handlers: each send is a host call that the node's publisher
 * answers, in the node's own process (inline) and through an isolate host process (IPC to the
 * parent, which holds the broker). A send the publisher refuses rejects inside the function
 * with the platform's code, and fails the invocation with that code when uncaught.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Executor } from '../../core/executor.ts';
import { FjordError } from '../../core/errors.ts';
import type { QueueSend } from '../../core/messages.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { IsolateHostExecutor } from '../../runtime/isolate-host/isolate-host-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
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

for (const host of ['inline', 'process'] as const) {
  describe(`ctx.queues in fetch and event handlers (${host})`, () => {
    const bundles = new FixtureBundles();
    const published: QueueSend[][] = [];
    let executor: Executor;
    let bare: IsolateExecutor;

    before(() => {
      const publishQueue = async (sends: readonly QueueSend[]): Promise<void> => {
        const refused = REFUSED[sends[0]?.queue ?? ''];
        if (refused !== undefined) throw new FjordError(refused, `refused ${sends[0]?.queue}`);
        published.push([...sends]);
      };
      executor =
        host === 'inline'
          ? new IsolateExecutor({ loadCode: bundles.load, publishQueue })
          : new IsolateHostExecutor({ loadCode: bundles.load, processes: 1, publishQueue });
      bare = new IsolateExecutor({ loadCode: bundles.load });
    });
    after(async () => {
      await executor.dispose();
      await bare.dispose();
    });

    const post = async (query: string, body: unknown, on: Executor = executor) =>
      on.invoke(
        await bundles.spec('queue-publisher'),
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
      const fn = await bundles.spec('queue-publish-event');
      const event = { queue: 'notes', body: 'hello', contentType: 'text' };
      const outcome = await executor.invoke(fn, eventPayload(event), invocationContext());
      assert.deepEqual(valueOf(outcome), { sent: 'notes' });
      assert.deepEqual(published, [
        [{ queue: 'notes', body: { text: 'hello' }, contentType: 'text/plain' }],
      ]);
    });

    test('a node without a publisher fails sends with QUEUE_NOT_FOUND', async () => {
      const outcome = errorOf(await post('?queue=orders', { n: 1 }, bare));
      assert.equal(outcome.code, 'QUEUE_NOT_FOUND');
    });
  });
}
