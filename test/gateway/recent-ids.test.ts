/** The ids a gateway remembers for a while (gateway/recent-ids.ts), on an injected clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentIds } from '../../gateway/recent-ids.ts';

test('an id is remembered at least keepMs and forgotten within twice that', () => {
  let now = 1_000;
  const ids = new RecentIds(100, () => now);
  ids.add('a');
  assert.equal(ids.has('a'), true);
  assert.equal(ids.has('b'), false);
  now += 99;
  assert.equal(ids.has('a'), true, 'still in the current generation');
  now += 1;
  ids.add('b');
  assert.equal(ids.has('a'), true, 'kept in the previous generation');
  now += 100;
  assert.equal(ids.has('a'), false, 'gone two generations later');
  assert.equal(ids.has('b'), true);
});

test('after a quiet spell longer than two generations nothing is remembered', () => {
  let now = 0;
  const ids = new RecentIds(100, () => now);
  ids.add('a');
  now = 150;
  assert.equal(ids.has('a'), true, 'one generation ago');
  now = 1_000;
  assert.equal(ids.has('a'), false);
});

test('a full generation turns over early, so at most two generations of ids are held', () => {
  const ids = new RecentIds(60_000, () => 0, 2);
  for (const id of ['a', 'b', 'c', 'd', 'e']) ids.add(id);
  assert.deepEqual(
    ['a', 'b', 'c', 'd', 'e'].map((id) => ids.has(id)),
    [false, false, true, true, true],
    'a and b forgotten early; c and d (the previous generation) and e kept',
  );
});
