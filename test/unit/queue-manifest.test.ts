import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toFunctionSpec } from '../../core/function-spec.ts';
import { createManifestValidator } from '../../core/manifest.ts';

const validate = createManifestValidator();

function rejects(queue: unknown, field: RegExp): void {
  assert.throws(
    () => validate({ name: 'orders', triggers: { queue } }),
    (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'INVALID_MANIFEST');
      assert.match(error.message ?? '', field);
      return true;
    },
  );
}

test('a queue trigger gets its defaults and travels in the function spec', () => {
  const manifest = validate({ name: 'orders', triggers: { queue: { queue: 'orders-in' } } });
  assert.deepEqual(manifest.triggers.queue, {
    queue: 'orders-in',
    batchSize: 10,
    maxWaitMs: 1000,
    maxRetries: 3,
    retryDelaySeconds: 0,
    concurrency: 1,
  });
  assert.deepEqual(toFunctionSpec(manifest, 1, 'sha').queue, manifest.triggers.queue);
});

test('an exchange binding defaults its queue to the function name and its key to #', () => {
  const manifest = validate({
    name: 'orders',
    triggers: { queue: { exchange: 'events', batchSize: 5, concurrency: 2 } },
  });
  assert.equal(manifest.triggers.queue?.queue, 'orders');
  assert.equal(manifest.triggers.queue?.exchange, 'events');
  assert.equal(manifest.triggers.queue?.routingKey, '#');
  assert.equal(manifest.triggers.queue?.batchSize, 5);
  assert.equal(manifest.triggers.queue?.concurrency, 2);
});

test('a function without a queue trigger has none in its spec', () => {
  const manifest = validate({ name: 'plain' });
  assert.equal(manifest.triggers.queue, undefined);
  assert.equal(toFunctionSpec(manifest, 1, 'sha').queue, undefined);
});

test('bad queue triggers fail with INVALID_MANIFEST naming the field', () => {
  rejects({}, /"triggers\.queue" needs "queue"/);
  rejects({ queue: 'q', routingKey: 'a.b' }, /"triggers\.queue\.routingKey" needs/);
  rejects({ queue: 'q', batchSize: 0 }, /"triggers\.queue\.batchSize"/);
  rejects({ queue: 'q', batchSize: 101 }, /"triggers\.queue\.batchSize"/);
  rejects({ queue: 'q', maxWaitMs: -1 }, /"triggers\.queue\.maxWaitMs"/);
  rejects({ queue: 'q', maxRetries: 1.5 }, /"triggers\.queue\.maxRetries"/);
  rejects({ queue: 'q', retryDelaySeconds: 3601 }, /"triggers\.queue\.retryDelaySeconds"/);
  rejects({ queue: 'q', concurrency: 0 }, /"triggers\.queue\.concurrency"/);
  rejects({ queue: 'amq.reserved' }, /"triggers\.queue\.queue"/);
  rejects({ queue: 'has space' }, /"triggers\.queue\.queue"/);
  rejects({ exchange: 'a/b' }, /"triggers\.queue\.exchange"/);
  rejects({ queue: 'q', prefetch: 3 }, /unknown field "triggers\.queue\.prefetch"/);
});
