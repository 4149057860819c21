import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ContainerExecutor } from '../../runtime/container/container-executor.ts';
import { DockerEngine } from '../../runtime/container/docker-engine.ts';
import { defaultDockerSocket } from '../../runtime/container/executor-options.ts';
import {
  errorOf,
  eventPayload,
  invocationContext,
  valueOf,
} from '../fixtures/bundles/invocations.ts';
import { waitFor } from '../support/inbox.ts';
import { baseImage, ContainerFixtures } from './support/container-fixtures.ts';
import { containersOf, docker, exists } from './support/docker-cli.ts';

describe('container executor: faults', () => {
  const fixtures = new ContainerFixtures();
  let executor: ContainerExecutor;

  before(async () => {
    executor = new ContainerExecutor({
      loadCode: fixtures.bundles.load,
      image: await baseImage(),
      nodeId: 'faults-test',
    });
  });
  after(() => executor.dispose());

  function busyContainer(name: string): string | undefined {
    return executor.containers().find((c) => c.fn === name && c.active > 0)?.containerId;
  }

  test('a function that hangs times out, and its container is replaced', async () => {
    const fn = await fixtures.spec('sleep');
    assert.equal(
      valueOf(await executor.invoke(fn, eventPayload({ ms: 0 }), invocationContext())),
      1,
    );
    const [first] = await containersOf(fn.name);
    assert.ok(first);

    const hung = await executor.invoke(
      fn,
      eventPayload({ ms: 600_000 }),
      invocationContext({ deadline: Date.now() + 500 }),
    );
    assert.equal(errorOf(hung).code, 'INVOCATION_TIMEOUT');
    assert.equal(hung.coldStart, false);

    await waitFor(async () => !(await exists(first)), { timeoutMs: 15_000 });
    const next = await executor.invoke(fn, eventPayload({ ms: 0 }), invocationContext());
    assert.equal(valueOf(next), 1, 'module state starts over in a new container');
    const now = await containersOf(fn.name);
    assert.equal(now.length, 1);
    assert.notEqual(now[0], first);
  });

  test('a container killed mid-invocation is FUNCTION_CRASHED, and the next invocation works', async () => {
    const fn = await fixtures.spec('sleep');
    valueOf(await executor.invoke(fn, eventPayload({ ms: 0 }), invocationContext()));
    const running = executor.invoke(
      fn,
      eventPayload({ ms: 60_000 }),
      invocationContext({ deadline: Date.now() + 60_000 }),
    );
    const id = await waitFor(() => busyContainer(fn.name));
    await docker('kill', id);
    const outcome = await running;
    const error = errorOf(outcome);
    assert.equal(error.code, 'FUNCTION_CRASHED');
    assert.match(error.message, /killed \(signal 9\)/);
    assert.equal(
      outcome.ok === false && outcome.error.retryable,
      true,
      'another attempt may succeed',
    );

    const next = await executor.invoke(fn, eventPayload({ ms: 0 }), invocationContext());
    assert.equal(valueOf(next), 1);
    await waitFor(async () => !(await exists(id)), { timeoutMs: 15_000 });
  });

  test('memory outside the JS heap: the OOM kill is MEMORY_LIMIT_EXCEEDED', async () => {
    const fn = await fixtures.spec('memory-hog', { memoryMb: 96 });
    const outcome = await executor.invoke(
      fn,
      eventPayload({}),
      invocationContext({ deadline: Date.now() + 60_000 }),
    );
    const error = errorOf(outcome);
    // The message says how the container ended when it is not recognised as out of memory.
    assert.equal(error.code, 'MEMORY_LIMIT_EXCEEDED', error.message);
    assert.match(error.message, /96 MB/);
  });

  test('a JS heap that outgrows the limit is MEMORY_LIMIT_EXCEEDED too', async () => {
    const fn = await fixtures.spec('memory-bomb', { memoryMb: 96 });
    const outcome = await executor.invoke(
      fn,
      eventPayload({}),
      invocationContext({ deadline: Date.now() + 60_000 }),
    );
    const error = errorOf(outcome);
    // The message says how the container ended when it is not recognised as out of memory.
    assert.equal(error.code, 'MEMORY_LIMIT_EXCEEDED', error.message);
  });

  test("an OOM kill inside the container is counted by its cgroup and logged as the engine's oom event", async () => {
    // The facts that tell an OOM kill when Docker's own flag misses it (container-faults.ts):
    // here a child process is the victim, so the container lives on to be looked at.
    const engine = new DockerEngine(defaultDockerSocket());
    const since = Date.now();
    const fn = await fixtures.spec('oom-child', { memoryMb: 128 });
    const outcome = await executor.invoke(
      fn,
      eventPayload({}),
      invocationContext({ deadline: Date.now() + 60_000 }),
    );
    assert.equal(valueOf(outcome), 'SIGKILL', 'the child was killed, the function lived on');
    const id = executor.containers().find((c) => c.fn === fn.name)?.containerId;
    assert.ok(id !== undefined);
    assert.ok((engine.oomKills(id) ?? 0) >= 1, `oom kills counted: ${engine.oomKills(id)}`);
    await waitFor(() => engine.oomEventSince(id, since), {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: "the engine's oom event",
    });
    await executor.evict(fn.name);
  });

  test('a module that throws while loading is FUNCTION_ERROR, and the container is removed', async () => {
    const fn = await fixtures.spec('init-throws');
    const outcome = await executor.invoke(fn, eventPayload({}), invocationContext());
    const error = errorOf(outcome);
    assert.equal(error.code, 'FUNCTION_ERROR');
    assert.match(error.message, /module initialization failed: module init failed on purpose/);
    assert.equal(error.name, 'RangeError');
    await waitFor(async () => (await containersOf(fn.name)).length === 0, { timeoutMs: 15_000 });
  });

  test('a bundle that does not compile is BUNDLE_REJECTED', async () => {
    const fn = fixtures.bundles.specForCode(`broken-${Date.now()}`, 'var __fjord_module = {', {
      runtime: 'container',
      memoryMb: 128,
    });
    const error = errorOf(await executor.invoke(fn, eventPayload({}), invocationContext()));
    assert.equal(error.code, 'BUNDLE_REJECTED');
    assert.match(error.message, /does not compile/);
  });

  test('an image that is not on the node is CONTAINER_IMAGE_UNAVAILABLE', async () => {
    const fn = await fixtures.spec('hello', { image: 'fjord/no-such-image:1' });
    const error = errorOf(await executor.invoke(fn, eventPayload({}), invocationContext()));
    assert.equal(error.code, 'CONTAINER_IMAGE_UNAVAILABLE');
    assert.match(error.message, /fjord\/no-such-image:1/);
  });
});
