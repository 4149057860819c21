/**
 * Warm pools sized from recent load, on real containers: after two invocations ran at once, a
 * new version of the function is prewarmed to two containers, not one. (The window itself is
 * tested on an injected clock in recent-load.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ContainerExecutor } from '../../runtime/container/container-executor.ts';
import { eventPayload, invocationContext, valueOf } from '../fixtures/bundles/invocations.ts';
import { waitFor } from '../support/inbox.ts';
import { baseImage, ContainerFixtures } from './support/container-fixtures.ts';
import { containersOf } from './support/docker-cli.ts';

describe('container pools sized from recent load', () => {
  const fixtures = new ContainerFixtures();
  let executor: ContainerExecutor;

  before(async () => {
    executor = new ContainerExecutor({
      loadCode: fixtures.bundles.load,
      image: await baseImage(),
      nodeId: 'load-sized-pool-test',
    });
  });
  after(() => executor.dispose());

  test('a new version is prewarmed to the peak concurrency of the old one', async () => {
    const v1 = await fixtures.spec('sleep', { concurrency: 4 });
    const results = await Promise.all(
      [1, 2].map(() => executor.invoke(v1, eventPayload({ ms: 200 }), invocationContext())),
    );
    assert.deepEqual(results.map(valueOf), [1, 1], 'two containers, one call each');

    const v2 = { ...v1, version: v1.version + 1 };
    await executor.evict(v1.name, v2.version);
    // What the agent does on a deploy: prewarm one, by default.
    await executor.prewarm(v2, 1);
    const settled = (): boolean => {
      const live = executor.containers().filter((c) => c.fn === v1.name);
      return (
        live.length === 2 && live.every((c) => c.version === v2.version && c.state === 'ready')
      );
    };
    await waitFor(settled, { what: 'two ready containers of v2 and none of v1' });
    assert.equal((await containersOf(v1.name)).length, 2, 'what Docker sees agrees');
  });

  test('without recent load, a prewarm starts what it is asked for', async () => {
    const fn = await fixtures.spec('counter', { concurrency: 4 });
    await executor.prewarm(fn, 1);
    await waitFor(() => executor.containers().some((c) => c.fn === fn.name && c.state === 'ready'));
    assert.equal(executor.containers().filter((c) => c.fn === fn.name).length, 1);
  });
});
