/**
 * Broker contract, results in bursts: publishResults() sends several events as one message and
 * consumeResultBursts() hands a message over whole, in either wire form (one event alone, as
 * every node version publishes it, or a burst). Registered by {@link brokerContract}.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Broker } from '../../core/broker.ts';
import type { ResultEvent } from '../../core/messages.ts';
import { Inbox } from '../support/inbox.ts';
import { invocation, resultFor, uniqueName } from '../support/fixtures.ts';

/** The function an event belongs to. */
function fnOf(event: ResultEvent): string {
  return event.type === 'started' ? event.fn : event.result.fn;
}

/** What each event is, for comparing bursts: `started:ID` or `finished:ID`. */
function describe(events: readonly ResultEvent[]): string[] {
  return events.map((e) => `${e.type}:${e.type === 'started' ? e.id : e.result.id}`);
}

export function resultBurstCases(create: () => Promise<Broker>): void {
  test('a result in the single form reaches a burst consumer as a burst of one', async () => {
    const broker = await create();
    const fn = uniqueName();
    const bursts = new Inbox<readonly ResultEvent[]>();
    const sub = await broker.consumeResultBursts(async (events) => {
      if (events.some((e) => fnOf(e) === fn)) bursts.push(events);
    });
    const result = resultFor(invocation(fn, 'x'), 1);
    await broker.publishResult({ type: 'finished', result });
    assert.deepEqual(await bursts.next(), [{ type: 'finished', result }]);
    await sub.cancel();
  });

  test('a burst arrives whole and in order, and one event at a time on consumeResults', async () => {
    const broker = await create();
    const fn = uniqueName();
    const first = invocation(fn, 1);
    const burst: ResultEvent[] = [
      { type: 'started', id: first.id, fn, node: 'n', attempt: 1, startedAt: Date.now() },
      { type: 'finished', result: resultFor(first, 1) },
      { type: 'finished', result: resultFor(invocation(fn, 2), 2) },
    ];
    const bursts = new Inbox<readonly ResultEvent[]>();
    const sub = await broker.consumeResultBursts(async (events) => {
      if (events.some((e) => fnOf(e) === fn)) bursts.push(events);
    });
    await broker.publishResults(burst);
    assert.deepEqual(describe(await bursts.next()), describe(burst));
    await sub.cancel();

    const single = new Inbox<ResultEvent>();
    const one = await broker.consumeResults(async (event) => {
      if (fnOf(event) === fn) single.push(event);
    });
    await broker.publishResults(burst);
    const got = [await single.next(), await single.next(), await single.next()];
    assert.deepEqual(describe(got), describe(burst));
    await one.cancel();
  });

  test('a burst whose handler threw is delivered again, whole', async () => {
    const broker = await create();
    const fn = uniqueName();
    const burst: ResultEvent[] = [1, 2, 3].map((n) => ({
      type: 'finished',
      result: resultFor(invocation(fn, n), n),
    }));
    const seen = new Inbox<readonly ResultEvent[]>();
    let failOnce = true;
    const sub = await broker.consumeResultBursts(async (events) => {
      if (!events.some((e) => fnOf(e) === fn)) return;
      seen.push(events);
      if (failOnce) {
        failOnce = false;
        throw new Error('store hiccup');
      }
    });
    await broker.publishResults(burst);
    const failed = await seen.next();
    const again = await seen.next();
    assert.deepEqual(describe(failed), describe(burst));
    assert.deepEqual(describe(again), describe(burst));
    await sub.cancel();
  });
}
