/**
 * Intrinsics as Cloudflare Workers leaves them: nothing frozen (workerd freezes none of these, so
 * polyfills and code that patches prototypes keep working), and the isolation comes from every
 * function having isolates of its own: one function's changes never show in another's. The
 * prelude keeps its own JSON, so a patched `JSON.stringify` does not rewrite the result.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { FixtureBundles } from '../fixtures/bundles/fixture-bundles.ts';
import { eventPayload, invocationContext, valueOf } from '../fixtures/bundles/invocations.ts';
import { uniqueName } from '../support/fixtures.ts';

const PRISTINE = { frozen: [], array: null, response: null, json: '{"a":1}' };

describe('isolate executor: intrinsics', () => {
  const fixtures = new FixtureBundles();
  let executor: IsolateExecutor;

  before(() => {
    executor = new IsolateExecutor({ loadCode: fixtures.load });
  });
  after(() => executor.dispose());

  test('nothing is frozen; changes stay in the isolate that made them', async () => {
    // Same code, two functions: only the name (and so the isolates) differ.
    const patcher = await fixtures.spec('intrinsics', {
      name: uniqueName('patcher'),
      concurrency: 1,
    });
    const other = await fixtures.spec('intrinsics', { name: uniqueName('other'), concurrency: 1 });
    const look = async (fn: typeof patcher): Promise<unknown> =>
      valueOf(await executor.invoke(fn, eventPayload(null), invocationContext()));

    assert.deepEqual(await look(patcher), PRISTINE);
    assert.deepEqual(await look(other), PRISTINE, 'both isolates are warm now');
    const changed = await executor.invoke(
      patcher,
      eventPayload({ change: true }),
      invocationContext(),
    );
    assert.equal(valueOf(changed), 'changed');

    // The patch took effect, as it would in Workers: the warm isolate keeps it.
    const patched = await executor.invoke(patcher, eventPayload(null), invocationContext());
    assert.equal(patched.coldStart, false);
    assert.deepEqual(valueOf(patched), {
      frozen: [],
      array: 'array',
      response: 'response',
      json: '"patched"',
    });
    const beside = await executor.invoke(other, eventPayload(null), invocationContext());
    assert.equal(beside.coldStart, false, 'the other function ran in the isolate it already had');
    assert.deepEqual(valueOf(beside), PRISTINE);
  });
});
