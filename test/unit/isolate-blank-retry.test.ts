/**
 * A blank isolate that fails to boot (runtime/isolate/blank-isolates.ts) stops the blanks only
 * for a while: they boot again after a backoff, so a passing cause (memory pressure) does not
 * leave every later cold start without one. The isolates here are real; the first creation fails.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlankIsolates } from '../../runtime/isolate/blank-isolates.ts';
import { resolveOptions } from '../../runtime/isolate/executor-options.ts';
import { preludeConfig } from '../../runtime/isolate/instance-deps.ts';
import { Prelude } from '../../runtime/isolate/prelude.ts';
import { waitFor } from '../support/inbox.ts';

test('a failed blank boot is tried again after a backoff, not given up for good', async () => {
  const prelude = await Prelude.build('snapshot');
  const create = prelude.createIsolate.bind(prelude);
  let attempts = 0;
  prelude.createIsolate = (options) => {
    attempts += 1;
    if (attempts === 1) throw new Error('out of memory (the test)');
    return create(options);
  };
  const config = preludeConfig(resolveOptions({ loadCode: () => Promise.resolve('') }));
  const blanks = new BlankIsolates(prelude, { count: 1, memoryMb: 128, config, retryMs: 200 });
  try {
    blanks.fill();
    await blanks.settled();
    assert.equal(blanks.ready, 0, 'the first boot failed');
    blanks.fill();
    assert.equal(attempts, 1, 'no boot before the backoff has passed');
    await waitFor(() => blanks.ready === 1, { what: 'a blank booted after the backoff' });
    assert.equal(attempts, 2);
  } finally {
    blanks.close();
  }
});
