/** Token buckets and rate parsing, with the test's clock. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBuckets } from '../../gateway/middleware/rate-limit-buckets.ts';
import { parseRate, RateLimiter } from '../../gateway/middleware/rate-limit.ts';

test('a bucket starts full, empties by one per take and refills at its rate up to its burst', () => {
  let clock = 0;
  const buckets = new TokenBuckets(() => clock);
  const rate = { perSecond: 2, burst: 3 };
  for (let i = 0; i < 3; i++) assert.equal(buckets.take('a', rate), 0, `take ${i} of the burst`);
  assert.equal(buckets.take('a', rate), 500, 'the next token comes in half a second');
  clock += 250;
  assert.equal(buckets.take('a', rate), 250, 'half a token is not enough');
  clock += 250;
  assert.equal(buckets.take('a', rate), 0);
  clock += 60_000;
  for (let i = 0; i < 3; i++) assert.equal(buckets.take('a', rate), 0, 'refilled to the burst');
  assert.ok(buckets.take('a', rate) > 0, 'never beyond the burst');
  assert.equal(buckets.take('b', rate), 0, 'each key has its own bucket');
});

test('a clock going backwards never adds tokens', () => {
  let clock = 10_000;
  const buckets = new TokenBuckets(() => clock);
  const rate = { perSecond: 1, burst: 1 };
  assert.equal(buckets.take('a', rate), 0);
  clock -= 5000;
  assert.ok(buckets.take('a', rate) > 0);
});

test('the limiter checks the token first, then the function, and says which refused', () => {
  const clock = 0;
  const limiter = new RateLimiter(
    { perToken: { perSecond: 1, burst: 1 }, perFunction: { perSecond: 1, burst: 2 } },
    () => clock,
  );
  assert.equal(limiter.check('f', undefined, 't1'), undefined);
  assert.equal(limiter.check('f', undefined, 't1')?.reason, 'token_rate');
  assert.equal(limiter.check('f', undefined, 't2'), undefined);
  const refusal = limiter.check('f', undefined, 't3');
  assert.equal(refusal?.reason, 'function_rate');
  assert.equal(refusal.retryAfterSeconds, 1);
  assert.equal(limiter.check('g', { perSecond: 5, burst: 5 }, undefined), undefined);
});

test('rates read as N or N:BURST; anything else is refused', () => {
  assert.deepEqual(parseRate('50'), { perSecond: 50, burst: 50 });
  assert.deepEqual(parseRate('0.5'), { perSecond: 0.5, burst: 1 });
  assert.deepEqual(parseRate('10:100'), { perSecond: 10, burst: 100 });
  for (const bad of ['', '0', '-1', 'ten', '10:0', '10:', '1e3', '10/s']) {
    assert.equal(parseRate(bad), undefined, bad);
  }
});
