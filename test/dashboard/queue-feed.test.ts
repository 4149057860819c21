/** The `queues` event: queue depths and dead letters pushed to an open event stream on change. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueueCounts } from '../../gateway/dashboard/wire.ts';
import { startHarness } from '../gateway/harness.ts';
import { openSse } from './sse-client.ts';

test('an open stream gets every function’s queue depth and dead letters as they change', async (t) => {
  const h = await startHarness(t, { dashboard: { queueFeedMs: 20 } });
  await h.deploy('feed-a');
  await h.deploy('feed-b');
  h.broker.depths.set('feed-a', 7);
  const stream = await openSse(`${h.url}/v1/events`, {
    authorization: `Bearer ${h.tokens.invoke}`,
  });
  t.after(() => stream.close());
  const next = async (): Promise<QueueCounts[]> =>
    (JSON.parse((await stream.next('queues')).data) as { functions: QueueCounts[] }).functions;

  assert.deepEqual(await next(), [
    { name: 'feed-a', deadLetters: 0, queued: 7 },
    { name: 'feed-b', deadLetters: 0, queued: 0 },
  ]);
  // Only a change is sent again: the next event is the one that says 2.
  h.broker.depths.set('feed-a', 2);
  assert.deepEqual(await next(), [
    { name: 'feed-a', deadLetters: 0, queued: 2 },
    { name: 'feed-b', deadLetters: 0, queued: 0 },
  ]);
  stream.close();
});
