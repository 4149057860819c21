/**
 * A bundle the node fetched once reaches all of its isolate host processes without being fetched
 * again: a host process that lacks it (restarted after a crash, or given a version while that
 * version's own process was down) gets it from the parent, so a node keeps running what it has
 * run while no gateway answers.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FjordError } from '../../core/errors.ts';
import {
  IsolateHostExecutor,
  stickyIndex,
} from '../../runtime/isolate-host/isolate-host-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { eventPayload, invocationContext, valueOf } from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';
import { waitFor } from '../support/inbox.ts';

const bundles = new FixtureBundles();
const executors: IsolateHostExecutor[] = [];
after(async () => {
  await Promise.all(executors.map((e) => e.dispose()));
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a host process that lacks a bundle gets it from the node, not from the gone gateway', async () => {
  let gatewayUp = true;
  const fetched: string[] = [];
  const host = new IsolateHostExecutor({
    processes: 2,
    loadCode: async (sha) => {
      fetched.push(sha);
      if (!gatewayUp) throw new FjordError('BUNDLE_UNAVAILABLE', 'the gateway did not answer');
      return bundles.load(sha);
    },
  });
  executors.push(host);
  let fn = await bundles.spec('counter', { name: uniqueName('counter') });
  while (stickyIndex(fn, 2) !== 0) {
    fn = await bundles.spec('counter', { name: uniqueName('counter') });
  }
  const ctx = () => invocationContext({ deadline: Date.now() + 30_000 });
  assert.equal(valueOf(await host.invoke(fn, eventPayload(null), ctx())), 1);
  assert.equal(fetched.length, 1);

  gatewayUp = false;
  const [victim] = host.pids;
  assert.ok(victim !== undefined);
  process.kill(victim, 'SIGKILL');
  await waitFor(() => !alive(victim) && host.restarts === 1, { what: 'the process to restart' });
  // On whichever process it lands (the restarted one or the other), neither has the code.
  const again = await host.invoke(fn, eventPayload(null), ctx());
  assert.equal(again.ok, true, JSON.stringify(again));
  assert.equal(valueOf(again), 1, 'a fresh isolate');
  assert.equal(fetched.length, 1, 'the bundle was fetched once');
});
