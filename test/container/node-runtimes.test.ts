import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { ContainerExecutor } from '../../runtime/container/container-executor.ts';
import { ExecutorRouter } from '../../runtime/executor-router.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import {
  bodyBytes,
  errorOf,
  eventPayload,
  httpPayload,
  invocationContext,
  responseOf,
} from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';
import { baseImage, ContainerFixtures } from './support/container-fixtures.ts';
import { docker, exists } from './support/docker-cli.ts';

/** A pid that was just in use and no longer is. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  assert.ok(child.pid);
  return child.pid;
}

describe('a node with isolate and container runtimes', () => {
  const fixtures = new ContainerFixtures();
  const disposables: { dispose(): Promise<void> }[] = [];
  let image: string;

  before(async () => {
    image = await baseImage();
  });
  after(() => Promise.all(disposables.map((d) => d.dispose())));

  test('stray containers of a crashed node on this host are removed at start, others kept', async () => {
    const host = hostname();
    const label = (owner: string): string[] => [
      '--label',
      'fjord.managed=true',
      '--label',
      `fjord.owner=${owner}`,
      '--label',
      `fjord.fn=${uniqueName('stray')}`,
    ];
    const dead = await docker('create', ...label(`${host}/${await deadPid()}/1`), image);
    const alive = await docker('create', ...label(`${host}/1/1`), image);
    const elsewhere = await docker(
      'create',
      ...label(`some-other-host/${await deadPid()}/1`),
      image,
    );
    try {
      const executor = new ContainerExecutor({
        loadCode: fixtures.bundles.load,
        image,
        nodeId: 'stray-test',
      });
      disposables.push(executor);
      assert.equal(await executor.start(), true);
      assert.equal(await exists(dead), false, 'the dead owner’s container is gone');
      assert.equal(await exists(alive), true, 'a live process’s container stays');
      assert.equal(await exists(elsewhere), true, 'another host’s container is not ours to judge');
    } finally {
      await docker('rm', '-f', dead, alive, elsewhere).catch(() => undefined);
    }
  });

  test('without a Docker engine, container functions fail clearly and isolates keep working', async () => {
    const containers = new ContainerExecutor({
      loadCode: fixtures.bundles.load,
      image,
      nodeId: 'no-docker-test',
      dockerSocket: '/nonexistent/docker.sock',
    });
    const isolates = new IsolateExecutor({ loadCode: fixtures.bundles.load });
    const router = new ExecutorRouter({ isolate: isolates, container: containers });
    disposables.push(router);
    assert.deepEqual(router.runtimes, ['isolate', 'container']);
    assert.equal(await containers.start(), false, 'start reports the engine missing, never throws');

    const inContainer = await fixtures.spec('hello');
    const failed = await router.invoke(
      inContainer,
      httpPayload('GET', 'http://fjord.test/'),
      invocationContext(),
    );
    const error = errorOf(failed);
    assert.equal(error.code, 'CONTAINER_RUNTIME_UNAVAILABLE');
    assert.match(error.message, /\/nonexistent\/docker\.sock/);
    assert.equal(
      failed.ok === false && failed.error.retryable,
      true,
      'another node may have Docker',
    );

    const inIsolate = { ...(await fixtures.spec('hello')), runtime: 'isolate' as const };
    const response = responseOf(
      await router.invoke(inIsolate, httpPayload('GET', 'http://fjord.test/'), invocationContext()),
    );
    assert.equal(bodyBytes(response).toString(), 'hello from fjord');
  });

  test('the router runs each function on the executor of its runtime', async () => {
    const containers = new ContainerExecutor({
      loadCode: fixtures.bundles.load,
      image,
      nodeId: 'router-test',
    });
    const isolates = new IsolateExecutor({ loadCode: fixtures.bundles.load });
    const router = new ExecutorRouter({ isolate: isolates, container: containers });
    disposables.push(router);
    const fn = await fixtures.spec('probe');
    const inContainer = await router.invoke(fn, eventPayload({}), invocationContext());
    assert.equal(inContainer.ok, true);
    assert.equal(containers.stats().invocations, 1);
    assert.equal(isolates.stats().invocations, 0);
    assert.equal(router.stats().instances, 1);

    const isolateOnly = new ExecutorRouter({ isolate: isolates });
    const refused = await isolateOnly.invoke(fn, eventPayload({}), invocationContext());
    assert.equal(errorOf(refused).code, 'NO_CAPACITY');
  });
});
