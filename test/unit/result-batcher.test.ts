import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resultsBody, type ResultEvent } from '../../core/messages.ts';
import { ResultBatcher } from '../../runtime/result-batcher.ts';
import { invocation, resultFor } from '../support/fixtures.ts';

/** A broker whose publishes wait until the test confirms (or fails) them, one by one. */
function pendingBroker() {
  const sent: {
    events: readonly ResultEvent[];
    body?: string | undefined;
    confirm: () => void;
    fail: (e: Error) => void;
  }[] = [];
  return {
    sent,
    broker: {
      publishResults: (events: readonly ResultEvent[], body?: string): Promise<void> =>
        new Promise<void>((resolve, reject) =>
          sent.push({ events, body, confirm: resolve, fail: reject }),
        ),
    },
  };
}

function finished(n: number, value: unknown = n): ResultEvent {
  return { type: 'finished', result: resultFor(invocation('batched', n), value) };
}

/** Which of `promises` have settled by now (after pending microtasks ran). */
async function settled(promises: Promise<unknown>[]): Promise<boolean[]> {
  const done = promises.map(() => false);
  promises.forEach(
    (p, i) =>
      void p.then(
        () => (done[i] = true),
        () => (done[i] = true),
      ),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

test('a lone result is published at once, alone, with no timer in between', async () => {
  const { sent, broker } = pendingBroker();
  const batcher = new ResultBatcher({ broker });
  const event = finished(1);
  const published = batcher.publishResult(event);
  assert.equal(sent.length, 1, 'published synchronously');
  assert.deepEqual(sent[0]?.events, [event]);
  assert.deepEqual(await settled([published]), [false], 'not before its confirm');
  sent[0]?.confirm();
  await published;
});

test('results that come while a publish awaits its confirm go together in the next one', async () => {
  const { sent, broker } = pendingBroker();
  const batcher = new ResultBatcher({ broker, eager: 1 });
  const first = batcher.publishResult(finished(1));
  const later = [2, 3, 4].map((n) => batcher.publishResult(finished(n)));
  assert.equal(sent.length, 1, 'the later ones wait for the confirm under way');
  sent[0]?.confirm();
  await first;
  assert.equal(sent.length, 2);
  assert.deepEqual(
    sent[1]?.events.map((e) => e.type === 'finished' && e.result.value),
    [2, 3, 4],
  );
  assert.deepEqual(await settled(later), [false, false, false], 'acked only once confirmed');
  sent[1]?.confirm();
  await Promise.all(later);
});

test('a burst holds at most maxEvents; full bursts go without waiting, up to maxInFlight', async () => {
  const { sent, broker } = pendingBroker();
  const batcher = new ResultBatcher({ broker, maxEvents: 3, maxInFlight: 2, eager: 1 });
  const all = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => batcher.publishResult(finished(n)));
  // 1 alone at once; then 2-4 is full while 1 awaits its confirm; 5-7 would be a third.
  assert.deepEqual(
    sent.map((s) => s.events.length),
    [1, 3],
  );
  sent[0]?.confirm();
  await all[0];
  assert.deepEqual(
    sent.map((s) => s.events.length),
    [1, 3, 3],
  );
  sent[1]?.confirm();
  sent[2]?.confirm();
  await Promise.all(all.slice(0, 7));
  assert.deepEqual(
    sent.map((s) => s.events.length),
    [1, 3, 3, 1],
  );
  sent[3]?.confirm();
  await Promise.all(all);
});

test('a burst stays under maxBytes, and an event larger than that goes alone', async () => {
  const { sent, broker } = pendingBroker();
  const batcher = new ResultBatcher({ broker, maxBytes: 2000, eager: 1 });
  const big = 'x'.repeat(3000);
  const all = [
    batcher.publishResult(finished(1)),
    batcher.publishResult(finished(2)),
    batcher.publishResult(finished(3, big)),
    batcher.publishResult(finished(4)),
  ];
  const values = () =>
    sent.map((s) => s.events.map((e) => e.type === 'finished' && e.result.value));
  // 1 goes at once; with the big one waiting the waiting bytes are over maxBytes, so 2 (all that
  // fits beside it) and then the big one go without waiting; 4 waits for the confirms.
  assert.deepEqual(values(), [[1], [2], [big]]);
  for (const s of sent.slice()) s.confirm();
  await Promise.all(all.slice(0, 3));
  assert.deepEqual(values(), [[1], [2], [big], [4]]);
  sent[3]?.confirm();
  await Promise.all(all);
});

test('a failed publish rejects every result of its burst and no other', async () => {
  const { sent, broker } = pendingBroker();
  const batcher = new ResultBatcher({ broker, eager: 1 });
  const first = batcher.publishResult(finished(1));
  const burst = [2, 3].map((n) => batcher.publishResult(finished(n)));
  sent[0]?.confirm();
  await first;
  const after = batcher.publishResult(finished(4));
  sent[1]?.fail(new Error('no confirm'));
  for (const p of burst) await assert.rejects(p, /no confirm/);
  assert.equal(sent.length, 3);
  sent[2]?.confirm();
  await after;
});

test('by default two messages may await their confirm before results wait to go together', async () => {
  const { sent, broker } = pendingBroker();
  const batcher = new ResultBatcher({ broker });
  const all = [1, 2, 3, 4].map((n) => batcher.publishResult(finished(n)));
  const values = () =>
    sent.map((s) => s.events.map((e) => e.type === 'finished' && e.result.value));
  assert.deepEqual(values(), [[1], [2]], 'the first two at once, each alone');
  sent[1]?.confirm();
  await all[1];
  assert.deepEqual(values(), [[1], [2], [3, 4]], 'the rest as soon as one is confirmed');
  sent[0]?.confirm();
  sent[2]?.confirm();
  await Promise.all(all);
});

test('each event is encoded once: the body handed to the broker is the JSON of its message', async () => {
  const { sent, broker } = pendingBroker();
  const batcher = new ResultBatcher({ broker, eager: 1 });
  const first = batcher.publishResult(finished(1, { text: 'é ✓' }));
  const later = [2, 3].map((n) => batcher.publishResult(finished(n)));
  sent[0]?.confirm();
  await first;
  sent[1]?.confirm();
  await Promise.all(later);
  assert.deepEqual(
    sent.map((message) => message.body),
    sent.map((message) => JSON.stringify(resultsBody(message.events))),
  );
  assert.deepEqual(
    sent.map((message) => message.events.length),
    [1, 2],
  );
});
