import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ContainerExecutor } from '../../runtime/container/container-executor.ts';
import { eventPayload, invocationContext, valueOf } from '../fixtures/bundles/invocations.ts';
import { waitFor } from '../support/inbox.ts';
import { baseImage, ContainerFixtures } from './support/container-fixtures.ts';
import { containersOf, exists, inspect } from './support/docker-cli.ts';

describe('container executor: warm containers', () => {
  const fixtures = new ContainerFixtures();
  const executors: ContainerExecutor[] = [];
  let image: string;
  let executor: ContainerExecutor;

  function create(options: Partial<ConstructorParameters<typeof ContainerExecutor>[0]> = {}) {
    const created = new ContainerExecutor({
      loadCode: fixtures.bundles.load,
      image,
      nodeId: 'lifecycle-test',
      ...options,
    });
    executors.push(created);
    return created;
  }

  before(async () => {
    image = await baseImage();
    executor = create();
  });
  after(() => Promise.all(executors.map((e) => e.dispose())));

  test('the second invocation reuses the warm container: no cold start, module state kept', async () => {
    const fn = await fixtures.spec('counter');
    const before = executor.stats().coldStarts;
    const first = await executor.invoke(fn, eventPayload(null), invocationContext());
    const second = await executor.invoke(fn, eventPayload(null), invocationContext());
    assert.equal(first.coldStart, true);
    assert.equal(second.coldStart, false);
    assert.deepEqual([valueOf(first), valueOf(second)], [1, 2]);
    assert.equal(executor.stats().coldStarts - before, 1);
    assert.equal((await containersOf(fn.name)).length, 1);
  });

  test('invocations beyond the concurrency wait for a free container', async () => {
    const fn = await fixtures.spec('sleep', { concurrency: 1 });
    const results = await Promise.all(
      [1, 2, 3].map(() => executor.invoke(fn, eventPayload({ ms: 100 }), invocationContext())),
    );
    assert.deepEqual(results.map(valueOf).sort(), [1, 2, 3], 'one container served all three');
    assert.equal((await containersOf(fn.name)).length, 1);
  });

  test('concurrency is spread over containers of `invocationsPerContainer` slots', async () => {
    const packed = create({ invocationsPerContainer: 2 });
    const fn = await fixtures.spec('sleep', { concurrency: 4 });
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => packed.invoke(fn, eventPayload({ ms: 300 }), invocationContext())),
    );
    assert.deepEqual(results.map(valueOf).sort(), [1, 1, 2, 2], 'two calls in each container');
    assert.equal((await containersOf(fn.name)).length, 2);
  });

  test('idle containers are reaped, and the next invocation is a cold start', async () => {
    const reaping = create({ idleTimeoutMs: 300 });
    const fn = await fixtures.spec('counter');
    valueOf(await reaping.invoke(fn, eventPayload(null), invocationContext()));
    const [id] = await containersOf(fn.name);
    assert.ok(id);
    // Docker may report the container gone a moment before the executor has counted it out.
    await waitFor(async () => !(await exists(id)) && reaping.stats().instances === 0, {
      timeoutMs: 15_000,
    });
    assert.equal(reaping.stats().instances, 0);
    const next = await reaping.invoke(fn, eventPayload(null), invocationContext());
    assert.equal(next.coldStart, true);
    assert.equal(valueOf(next), 1);
  });

  test('a redeploy evicts the old version; a busy container finishes its invocation first', async () => {
    const v1 = await fixtures.spec('sleep', { concurrency: 2 });
    const v2 = { ...v1, version: 2 };
    valueOf(await executor.invoke(v1, eventPayload({ ms: 0 }), invocationContext()));
    const busy = executor.invoke(v1, eventPayload({ ms: 800 }), invocationContext());
    await waitFor(() => executor.containers().some((c) => c.fn === v1.name && c.active > 0));
    await executor.evict(v1.name, 2);

    assert.equal(valueOf(await busy), 2, 'the running invocation completes on its container');
    const fresh = await executor.invoke(v2, eventPayload({ ms: 0 }), invocationContext());
    assert.equal(fresh.coldStart, true);
    await waitFor(async () => (await containersOf(v1.name)).length === 1, { timeoutMs: 15_000 });
    const [left] = await containersOf(v1.name);
    assert.equal((await inspect(left ?? '')).Config.Labels['fjord.version'], '2');
  });

  test('prewarm starts containers ahead of invocations', async () => {
    const fn = await fixtures.spec('counter', { concurrency: 2 });
    await executor.prewarm(fn, 2);
    await waitFor(
      () =>
        executor.containers().filter((c) => c.fn === fn.name && c.state === 'ready').length === 2,
      { timeoutMs: 20_000 },
    );
    const outcome = await executor.invoke(fn, eventPayload(null), invocationContext());
    assert.equal(outcome.coldStart, false);
    assert.equal((await containersOf(fn.name)).length, 2);
  });

  test('dispose removes every container', async () => {
    const disposable = create();
    const fn = await fixtures.spec('counter');
    valueOf(await disposable.invoke(fn, eventPayload(null), invocationContext()));
    assert.equal((await containersOf(fn.name)).length, 1);
    await disposable.dispose();
    assert.deepEqual(await containersOf(fn.name), []);
    assert.equal(disposable.stats().instances, 0);
  });
});
