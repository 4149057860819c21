/**
 * What a node asks for after a broker reconnect, and how long deliveries wait for the answer
 * (runtime/cancellations.ts). The directory is a stand-in whose answers the test releases; the
 * end-to-end case on RabbitMQ is test/e2e/cancel-reconnect-rabbitmq.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../core/logger.ts';
import { Cancellations, RECALL_MARGIN_MS } from '../../runtime/cancellations.ts';
import type { FunctionDirectory } from '../../runtime/function-directory.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A directory that records each `since` asked and answers when the test says. */
function directory(): {
  source: FunctionDirectory;
  asked: number[];
  answer: (ids: string[] | Error) => void;
} {
  const asked: number[] = [];
  const waiting: ((ids: string[] | Error) => void)[] = [];
  return {
    asked,
    source: {
      list: () => Promise.resolve([]),
      cancelled: (since) => {
        asked.push(since);
        return new Promise((resolve, reject) =>
          waiting.push((ids) => (ids instanceof Error ? reject(ids) : resolve(ids))),
        );
      },
    },
    answer: (ids) => {
      const next = waiting.shift();
      assert.ok(next, 'a recall is waiting for its answer');
      next(ids);
    },
  };
}

/** Cancellations over a stand-in directory, on a clock the test moves (`clock.now`). */
function cancellations(clock: { now: number }) {
  const dir = directory();
  const memory = new Cancellations({
    directory: dir.source,
    logger: silentLogger(),
    now: () => clock.now,
  });
  return { dir, memory };
}

/** True when `promise` has settled by the time the microtasks and a macrotask have run. */
async function settled(promise: Promise<unknown> | undefined): Promise<boolean> {
  if (promise === undefined) return true;
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

test('after a reconnect the node asks from its previous answer, and deliveries wait for it', async () => {
  const clock = { now: 10 * DAY_MS };
  const { dir, memory } = cancellations(clock);

  const start = memory.recall();
  dir.answer(['b', 'a']);
  await start;
  assert.deepEqual(dir.asked, [clock.now - DAY_MS], 'at start: the last 24 hours');
  assert.ok(memory.has('a') && memory.has('b'));
  assert.equal(memory.pending, undefined, 'nothing holds deliveries back while connected');

  const firstAskedAt = clock.now;
  clock.now += 60 * 60 * 1000;
  memory.brokerState('down');
  const gate = memory.pending;
  assert.ok(gate, 'a lost connection holds deliveries back');
  memory.brokerState('connecting');
  memory.brokerState('up');
  assert.deepEqual(dir.asked.slice(1), [firstAskedAt - RECALL_MARGIN_MS]);
  assert.equal(await settled(gate), false, 'deliveries wait for the answer');
  dir.answer(['c']);
  assert.equal(await settled(gate), true);
  assert.equal(memory.pending, undefined);
  assert.ok(memory.has('c'));
});

test('a recall that fails lets deliveries go, and the next one asks from the last answer', async () => {
  const clock = { now: 10 * DAY_MS };
  const { dir, memory } = cancellations(clock);
  const start = memory.recall();
  dir.answer([]);
  await start;
  const answeredAt = clock.now;

  clock.now += 1000;
  memory.brokerState('down');
  const gate = memory.pending;
  memory.brokerState('up');
  dir.answer(new Error('gateway unreachable'));
  assert.equal(await settled(gate), true, 'an unanswered recall does not hold work forever');

  clock.now += 1000;
  memory.brokerState('down');
  memory.brokerState('up');
  assert.deepEqual(dir.asked.slice(1), [
    answeredAt - RECALL_MARGIN_MS,
    answeredAt - RECALL_MARGIN_MS,
  ]);
  dir.answer(['x']);
  await settled(memory.pending);
  assert.ok(memory.has('x'));
});

test('a connection lost again during the recall keeps deliveries waiting for the next one', async () => {
  const { dir, memory } = cancellations({ now: Date.now() });
  memory.brokerState('down');
  const gate = memory.pending;
  memory.brokerState('up');
  memory.brokerState('down');
  dir.answer([]);
  assert.equal(await settled(gate), false, 'the answer may predate the second loss');
  assert.equal(memory.pending, gate);
  memory.brokerState('up');
  dir.answer(['late']);
  assert.equal(await settled(gate), true);
  assert.ok(memory.has('late'));

  memory.brokerState('down');
  const closing = memory.pending;
  memory.brokerState('closed');
  assert.equal(await settled(closing), true, 'closing the broker releases what waits');
});
