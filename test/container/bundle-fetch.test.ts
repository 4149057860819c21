/**
 * The bundle of a cold start is fetched while its container is created and started, not before:
 * the container exists while the fetch is still under way, and a fetch that fails fails the
 * invocation with the fetch's own error (not a container fault) and leaves no container behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BundleSource } from '../../core/executor.ts';
import { FjordError } from '../../core/errors.ts';
import type { FunctionSpec } from '../../core/messages.ts';
import { ContainerExecutor } from '../../runtime/container/container-executor.ts';
import {
  errorOf,
  eventPayload,
  invocationContext,
  valueOf,
} from '../fixtures/bundles/invocations.ts';
import { waitFor } from '../support/inbox.ts';
import { baseImage, ContainerFixtures } from './support/container-fixtures.ts';
import { containersOf } from './support/docker-cli.ts';

describe('container executor: the bundle fetch of a cold start', () => {
  const fixtures = new ContainerFixtures();
  let executor: ContainerExecutor;
  /** What the next fetch does instead of serving the fixture, when set. */
  let intercept: ((sha: string) => Promise<string>) | undefined;
  const loadCode: BundleSource = (sha) => intercept?.(sha) ?? fixtures.bundles.load(sha);

  before(async () => {
    executor = new ContainerExecutor({ loadCode, image: await baseImage(), nodeId: 'fetch-test' });
  });
  after(async () => {
    intercept = undefined;
    await executor.dispose();
  });

  /** The probe with a bundle of its own, so the executor's bundle cache has never seen it. */
  async function freshSpec(label: string): Promise<FunctionSpec> {
    const fn = await fixtures.spec('probe');
    const code = await fixtures.bundles.load(fn.bundleSha);
    return { ...fn, bundleSha: fixtures.bundles.add(`${code}\n// ${fn.name} ${label}\n`) };
  }

  test('runs while the container starts', async () => {
    const fn = await freshSpec('overlap');
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    intercept = async (sha) => {
      await released;
      return fixtures.bundles.load(sha);
    };
    const outcome = executor.invoke(fn, eventPayload({}), invocationContext());
    // The fetch has not returned, yet the container is there.
    await waitFor(async () => (await containersOf(fn.name)).length === 1, {
      timeoutMs: 30_000,
      what: 'a container created before the bundle arrived',
    });
    release();
    const done = await outcome;
    valueOf(done);
    assert.equal(done.coldStart, true);
  });

  test('a failed fetch fails with its own error and leaves no container', async () => {
    const fn = await freshSpec('failing');
    intercept = () =>
      Promise.reject(
        new FjordError('BUNDLE_UNAVAILABLE', 'the gateway is away', { retryable: true }),
      );
    const failed = await executor.invoke(fn, eventPayload({}), invocationContext());
    assert.equal(errorOf(failed).code, 'BUNDLE_UNAVAILABLE');
    assert.match(errorOf(failed).message, /the gateway is away/);
    await waitFor(async () => (await containersOf(fn.name)).length === 0, {
      timeoutMs: 30_000,
      what: 'the container of the failed cold start to be removed',
    });
    // The next invocation fetches again and runs.
    intercept = undefined;
    valueOf(await executor.invoke(fn, eventPayload({}), invocationContext()));
  });
});
