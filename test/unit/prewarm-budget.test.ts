import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { FunctionSpec } from '../../core/messages.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { resolveHostOptions } from '../../runtime/isolate-host/host-options.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { eventPayload, invocationContext, valueOf } from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';
import { waitFor } from '../support/inbox.ts';

describe('isolate executor: prewarm budget', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;
  let fns: FunctionSpec[];

  beforeEach(async () => {
    executor = new IsolateExecutor({ loadCode: fixtures.load, prewarmBudget: 2 });
    // Concurrency 1: a version's isolates are exactly the one it keeps warm.
    const counter = await fixtures.spec('counter', { concurrency: 1 });
    fns = Array.from({ length: 5 }, () => ({ ...counter, name: uniqueName('budget') }));
  });
  afterEach(() => executor.dispose());

  const invoke = (fn: FunctionSpec) => executor.invoke(fn, eventPayload(null), invocationContext());

  test('only the two most recently prewarmed of five versions keep a warm isolate', async () => {
    for (const fn of fns) await executor.prewarm(fn, 1);
    assert.equal(executor.stats().instances, 2);

    const [a, , , d, e] = fns as [
      FunctionSpec,
      FunctionSpec,
      FunctionSpec,
      FunctionSpec,
      FunctionSpec,
    ];
    assert.equal((await invoke(e)).coldStart, false);
    assert.equal((await invoke(d)).coldStart, false);
    const outside = await invoke(a);
    assert.equal(outside.coldStart, true, 'a version outside the budget runs cold');
    assert.equal(valueOf(outside), 1);
    assert.equal(executor.stats().coldStarts, 1);
    assert.equal(executor.stats().instances, 2, 'running a took the budget slot of e');
    assert.equal((await invoke(d)).coldStart, false, 'd was used more recently than e');
    assert.equal((await invoke(e)).coldStart, true, 'e lost its isolate to a');
  });

  test('five versions prewarmed at once leave warm isolates only for the last two', async () => {
    // As at a node's start: the isolates of versions that leave the budget stop booting.
    await Promise.all(fns.map((fn) => executor.prewarm(fn, 1)));
    assert.equal(executor.stats().instances, 2);
    const [a, , , d, e] = fns as [
      FunctionSpec,
      FunctionSpec,
      FunctionSpec,
      FunctionSpec,
      FunctionSpec,
    ];
    assert.equal((await invoke(e)).coldStart, false);
    assert.equal((await invoke(d)).coldStart, false);
    const outside = await invoke(a);
    assert.equal(outside.coldStart, true);
    assert.equal(valueOf(outside), 1);
  });

  test('a version back within the budget boots to its prewarm floor again', async () => {
    const [b, c] = fns.slice(1) as [FunctionSpec, FunctionSpec];
    const a = { ...(fns[0] as FunctionSpec), concurrency: 2 };
    await executor.prewarm(a, 1);
    await executor.prewarm(b, 1);
    await executor.prewarm(c, 1); // a leaves the budget.
    assert.equal(executor.stats().instances, 2, 'b and c');
    assert.equal((await invoke(a)).coldStart, true);
    // a is back (b left): besides the isolate it ran on, one boots for its floor of 1.
    await waitFor(() => executor.stats().instances === 3, { what: 'a booting to its floor' });
    const both = await Promise.all([invoke(a), invoke(a)]);
    assert.deepEqual(
      both.map((o) => o.coldStart),
      [false, false],
    );
  });

  test('the most recently invoked versions keep theirs, and regain their prewarm floor', async () => {
    for (const fn of fns) await invoke(fn);
    assert.equal(executor.stats().instances, 2);
    const [a, b] = fns as [FunctionSpec, FunctionSpec];
    await executor.prewarm(a, 1);
    await executor.prewarm(b, 1);
    assert.equal(executor.stats().instances, 2, 'a and b replaced the last two invoked');
    const again = await invoke(a);
    assert.equal(again.coldStart, false);
    assert.equal(valueOf(again), 1, 'a booted a new isolate for its floor');
  });

  test('an isolate host process gets its share of the node budget', () => {
    const shares = [1, 2, 3].map(
      (processes) =>
        resolveHostOptions({ loadCode: fixtures.load, processes, executor: { prewarmBudget: 5 } })
          .executor.prewarmBudget,
    );
    assert.deepEqual(shares, [5, 3, 2]);
  });
});
