/**
 * A function's concurrency across its versions (runtime/isolate/function-slots.ts): slots are
 * taken without a promise while free, waiters are served in order, a wait gives up when its
 * signal aborts (INVOCATION_TIMEOUT), and a closed executor fails whoever waits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FjordError } from '../../core/errors.ts';
import { FunctionSlots } from '../../runtime/isolate/function-slots.ts';

const never = new AbortController().signal;

test('slots are taken at once up to the limit, then handed over in order', async () => {
  const slots = new FunctionSlots();
  assert.equal(slots.acquire('f', 2, never), undefined);
  assert.equal(slots.acquire('f', 2, never), undefined);
  assert.equal(slots.acquire('g', 2, never), undefined, 'another function has slots of its own');
  const order: string[] = [];
  const third = slots.acquire('f', 2, never)?.then(() => order.push('third'));
  const fourth = slots.acquire('f', 2, never)?.then(() => order.push('fourth'));
  assert.ok(third !== undefined && fourth !== undefined, 'both wait');
  assert.equal(slots.taken('f'), 2);
  slots.release('f');
  await third;
  assert.deepEqual(order, ['third']);
  assert.equal(slots.taken('f'), 2, 'the slot went to the waiter');
  slots.release('f');
  await fourth;
  assert.deepEqual(order, ['third', 'fourth']);
  slots.release('f');
  slots.release('f');
  assert.equal(slots.taken('f'), 0);
});

test('a newcomer does not overtake a waiter, even when a slot is free for it', async () => {
  const slots = new FunctionSlots();
  assert.equal(slots.acquire('f', 1, never), undefined);
  const waiter = slots.acquire('f', 1, never);
  assert.ok(waiter !== undefined);
  // A version deployed with a higher concurrency must still queue behind the waiter.
  const newcomer = slots.acquire('f', 2, never);
  assert.ok(newcomer !== undefined, 'it waits in line');
  slots.release('f');
  await waiter;
  await newcomer;
  assert.equal(slots.taken('f'), 2);
});

test('a wait gives up with INVOCATION_TIMEOUT when its signal aborts, and leaves the line', async () => {
  const slots = new FunctionSlots();
  assert.equal(slots.acquire('f', 1, never), undefined);
  const deadline = new AbortController();
  const late = slots.acquire('f', 1, deadline.signal);
  const next = slots.acquire('f', 1, never);
  deadline.abort();
  await assert.rejects(late ?? Promise.resolve(), (error: unknown) => {
    assert.ok(error instanceof FjordError);
    assert.equal(error.code, 'INVOCATION_TIMEOUT');
    assert.match(error.message, /no isolate of f became free before the deadline/);
    assert.equal(error.retryable, true, 'it never ran: another attempt may');
    return true;
  });
  slots.release('f');
  await next;
  assert.equal(slots.taken('f'), 1, 'the slot went to the one still waiting');
});

test('closing fails every waiter with NO_CAPACITY and refuses new ones', async () => {
  const slots = new FunctionSlots();
  assert.equal(slots.acquire('f', 1, never), undefined);
  const waiting = slots.acquire('f', 1, never);
  slots.close();
  await assert.rejects(waiting ?? Promise.resolve(), /the executor is shut down/);
  await assert.rejects(slots.acquire('g', 1, never) ?? Promise.resolve(), /shut down/);
});
