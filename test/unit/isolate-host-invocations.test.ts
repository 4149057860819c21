/**
 * The parent sends the invocations dispatched in the same event loop turn to a host process in
 * one message (runtime/isolate-host/invoke-batch.ts); one the channel cannot encode fails alone,
 * with INTERNAL, and the others of its batch still run. Runs sent ahead of a free isolate keep
 * their own timeout across the channel.
 */
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import type { FjordError } from '../../core/errors.ts';
import type { InvocationPayload } from '../../core/messages.ts';
import type { ParentMessage } from '../../runtime/isolate-host/host-protocol.ts';
import { InvokeBatch, type Invocation } from '../../runtime/isolate-host/invoke-batch.ts';
import { IsolateHostExecutor } from '../../runtime/isolate-host/isolate-host-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import {
  errorOf,
  eventPayload,
  invocationContext,
  valueOf,
} from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';

function invocation(id: number, json: unknown = { n: id }): Invocation {
  return {
    type: 'invoke',
    id,
    fn: { name: 'f', version: 1 } as Invocation['fn'],
    payload: eventPayload(json),
    ctx: invocationContext(),
  };
}

/** Sends as Node's 'json' IPC serialization does: stringified (throwing) and parsed again. */
function jsonChannel(): { sent: ParentMessage[]; send: (message: ParentMessage) => void } {
  const sent: ParentMessage[] = [];
  return {
    sent,
    send: (message) => sent.push(JSON.parse(JSON.stringify(message)) as ParentMessage),
  };
}

const idsOf = (message: ParentMessage | undefined): number[] => {
  if (message?.type === 'invoke') return [message.id];
  if (message?.type === 'invokes') return message.invocations.map((i) => i.id);
  return [];
};

test('invocations of one turn, promise chains included, leave as one message', async () => {
  const channel = jsonChannel();
  const batch = new InvokeBatch(channel.send, () => assert.fail('nothing fails'));
  batch.add(invocation(1));
  void Promise.resolve()
    .then(() => undefined)
    .then(() => batch.add(invocation(2)));
  batch.add(invocation(3));
  assert.equal(channel.sent.length, 0, 'more may come in this turn');
  await nextTurn();
  assert.equal(channel.sent.length, 1);
  assert.equal(channel.sent[0]?.type, 'invokes');
  assert.deepEqual(idsOf(channel.sent[0]), [1, 3, 2]);
  const alone = invocation(4);
  batch.add(alone);
  await nextTurn();
  assert.deepEqual(channel.sent[1], alone, 'one alone goes in the single form');
  batch.add(invocation(5));
  batch.flush();
  assert.deepEqual(idsOf(channel.sent[2]), [5], 'flush sends at once');
  await nextTurn();
  assert.equal(channel.sent.length, 3, 'nothing is sent twice');
});

test('an invocation the channel cannot encode fails alone; the others of its batch are sent', async () => {
  const channel = jsonChannel();
  const failed: [number, FjordError][] = [];
  const batch = new InvokeBatch(channel.send, (id, error) => failed.push([id, error]));
  batch.add(invocation(1));
  batch.add(invocation(2, { n: 2n }));
  batch.add(invocation(3));
  await nextTurn();
  assert.deepEqual(channel.sent.flatMap(idsOf), [1, 3]);
  assert.deepEqual(
    failed.map(([id, error]) => [id, error.code]),
    [[2, 'INTERNAL']],
  );
  assert.match(failed[0]?.[1].message ?? '', /could not be sent to its host process.*BigInt/);
  batch.add(invocation(4, { n: 4n }));
  await nextTurn();
  assert.deepEqual(
    failed.map(([id]) => id),
    [2, 4],
    'alone, too',
  );
});

test('through a host process: the unencodable invocation fails, its batch mates answer', async () => {
  const bundles = new FixtureBundles();
  const host = new IsolateHostExecutor({ loadCode: bundles.load, processes: 1 });
  try {
    const fn = await bundles.spec('event-echo', { name: uniqueName('echo'), concurrency: 4 });
    const roomy = () => invocationContext({ deadline: Date.now() + 120_000 });
    valueOf(await host.invoke(fn, eventPayload({ name: 'warm' }), roomy()));
    const bad = { ...eventPayload({ name: 'bad' }), size: 1n } as unknown as InvocationPayload;
    const [first, refused, last] = await Promise.all([
      host.invoke(fn, eventPayload({ name: 'a' }), roomy()),
      host.invoke(fn, bad, roomy()),
      host.invoke(fn, eventPayload({ name: 'b' }), roomy()),
    ]);
    assert.equal((valueOf(first) as { greeting: string }).greeting, 'hello a');
    assert.equal((valueOf(last) as { greeting: string }).greeting, 'hello b');
    assert.equal(errorOf(refused).code, 'INTERNAL');
    assert.equal(host.restarts, 0, 'the process was not killed for it');
  } finally {
    await host.dispose();
  }
});

test('through a host process: runs sent ahead wait for the isolate, their timeout from the lease', async () => {
  const bundles = new FixtureBundles();
  const host = new IsolateHostExecutor({ loadCode: bundles.load, processes: 1 });
  try {
    const fn = await bundles.spec('sleep', { name: uniqueName('sleep'), concurrency: 1 });
    // As the node sends runs ahead (runtime/latest-end.ts): a latest end several timeouts
    // away, and the timeout itself.
    const ahead = () => invocationContext({ deadline: Date.now() + 4 * 1000, timeoutMs: 1000 });
    // Warm first: a cold start counts against the timeout, and a new process boots slowly.
    valueOf(await host.invoke(fn, eventPayload({ ms: 0 }), invocationContext()));
    const [first, second, third] = await Promise.all([
      host.invoke(fn, eventPayload({ ms: 600 }), ahead()),
      host.invoke(fn, eventPayload({ ms: 600 }), ahead()),
      host.invoke(fn, eventPayload({ ms: 1500 }), ahead()),
    ]);
    assert.equal(valueOf(first), 2);
    assert.equal(
      valueOf(second),
      3,
      'ended ~1200 ms after the call: its timeout counted from its lease',
    );
    // It waited ~1200 ms, then ran past its 1000 ms: the timeout, not the latest end, stopped it.
    assert.equal(errorOf(third).code, 'INVOCATION_TIMEOUT');
  } finally {
    await host.dispose();
  }
});
