import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QueueBatcher } from '../../runtime/queue-batcher.ts';

/** A batcher whose batches stay running until the test finishes them. */
function harness(options: { batchSize: number; maxWaitMs: number; concurrency: number }) {
  const started: number[][] = [];
  const finish: (() => void)[] = [];
  const batcher = new QueueBatcher<number>({
    ...options,
    run: (batch) =>
      new Promise<void>((resolve) => {
        started.push(batch);
        finish.push(resolve);
      }),
    onError: (error) => assert.fail(String(error)),
  });
  return { batcher, started, finish };
}

test('a full batch runs at once, a partial one after maxWaitMs', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { batcher, started } = harness({ batchSize: 3, maxWaitMs: 1000, concurrency: 4 });
  for (const n of [1, 2, 3, 4]) batcher.add(n);
  assert.deepEqual(started, [[1, 2, 3]]);
  t.mock.timers.tick(999);
  assert.deepEqual(started, [[1, 2, 3]]);
  t.mock.timers.tick(1);
  assert.deepEqual(started, [[1, 2, 3], [4]]);
});

test('at most concurrency batches run; a sealed batch waits for a slot', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { batcher, started, finish } = harness({ batchSize: 2, maxWaitMs: 50, concurrency: 1 });
  for (const n of [1, 2, 3, 4, 5]) batcher.add(n);
  assert.deepEqual(started, [[1, 2]]);
  finish[0]?.();
  await new Promise(setImmediate);
  assert.deepEqual(started, [
    [1, 2],
    [3, 4],
  ]);
  t.mock.timers.tick(50); // [5] is sealed but waits for the slot
  assert.equal(started.length, 2);
  finish[1]?.();
  await new Promise(setImmediate);
  assert.deepEqual(started.at(-1), [5]);
});

test('stop() hands back what did not run and waits for running batches', async () => {
  const { batcher, started, finish } = harness({ batchSize: 2, maxWaitMs: 60_000, concurrency: 1 });
  for (const n of [1, 2, 3, 4, 5]) batcher.add(n);
  let stopped = false;
  const left = batcher.stop().then((items) => {
    stopped = true;
    return items;
  });
  await new Promise(setImmediate);
  assert.equal(stopped, false, 'a batch is still running');
  finish[0]?.();
  assert.deepEqual(await left, [3, 4, 5]);
  assert.deepEqual(started, [[1, 2]]);
  assert.throws(() => batcher.add(6), /stopped/);
});

test('a batch that rejects is reported and frees its slot', async () => {
  const errors: unknown[] = [];
  const runs: number[][] = [];
  const batcher = new QueueBatcher<number>({
    batchSize: 1,
    maxWaitMs: 0,
    concurrency: 1,
    run: async (batch) => {
      runs.push(batch);
      if (batch[0] === 1) throw new Error('first fails');
    },
    onError: (error) => errors.push(error),
  });
  batcher.add(1);
  batcher.add(2); // sealed while the first batch holds the only slot
  assert.deepEqual(await batcher.stop(), [2]);
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /first fails/);
  assert.equal(batcher.running, 0, 'the failed batch freed its slot');
});
