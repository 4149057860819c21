import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { bundleFunction } from '../../cli/bundle/bundle-function.ts';
import type { QueueBatchEvent, QueueBatchOutcome } from '../../core/messages.ts';
import { ContainerExecutor } from '../../runtime/container/container-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { eventPayload, httpPayload, invocationContext } from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';
import { baseImage } from './support/container-fixtures.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/functions/stack-trace/', import.meta.url));

describe('container executor: stacks mapped through the source map', () => {
  const bundles = new FixtureBundles();
  let executor: ContainerExecutor;

  before(async () => {
    executor = new ContainerExecutor({
      loadCode: bundles.load,
      image: await baseImage(),
      nodeId: 'stack-map-test',
    });
  });
  after(() => executor.dispose());

  const spec = async (sourcemap: boolean) => {
    const options = { typecheck: false, sourcemap, cwd: tmpdir() };
    const { code } = await bundleFunction(FIXTURE, options);
    const overrides = { runtime: 'container' as const, memoryMb: 128, concurrency: 1 };
    return bundles.specForCode(uniqueName('stack'), code, overrides);
  };

  test('a thrown error names the source file, line and column (queue batches too); without a map it does not', async () => {
    const mapped = await spec(true);
    for (const payload of [httpPayload('GET', 'http://fjord.test/'), eventPayload(null)]) {
      const outcome = await executor.invoke(mapped, payload, invocationContext());
      assert.ok(!outcome.ok && outcome.error.code === 'FUNCTION_ERROR', JSON.stringify(outcome));
      assert.match(outcome.error.stack ?? '', /\n {4}at fail \(src\/index\.ts:5:9\)\n/);
    }
    const message = { id: 'm', timestamp: 1, attempts: 1, headers: {}, body: { text: 'x' } };
    const event: QueueBatchEvent = { type: 'queue', queue: 'q', messages: [message] };
    const batch = await executor.invoke(mapped, eventPayload(event), invocationContext());
    assert.ok(batch.ok, JSON.stringify(batch));
    const { error } = batch.value as QueueBatchOutcome;
    assert.match(error?.stack ?? '', /\n {4}at fail \(src\/index\.ts:5:9\)\n/, 'queue batch');

    const plain = await spec(false);
    const outcome = await executor.invoke(plain, eventPayload(null), invocationContext());
    assert.ok(!outcome.ok, JSON.stringify(outcome));
    const bundleFrame = new RegExp(`\\n {4}at fail \\(fjord:///${plain.name}@1\\.js:\\d+:\\d+\\)`);
    assert.match(outcome.error.stack ?? '', bundleFrame);
  });
});
