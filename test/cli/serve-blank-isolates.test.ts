/**
 * `--blank-isolates N` on `fn up` and `fn node`: listed in their help, checked before anything
 * starts, and handed to the isolate executor. What blank isolates do is tested in
 * test/unit/isolate-blank.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../core/logger.ts';
import { IsolateExecutor } from '../../runtime/isolate/isolate-executor.ts';
import { openIsolateExecutor } from '../../server/open-adapters.ts';
import { runFn as fn } from './run-fn.ts';

describe('fn up / fn node --blank-isolates', () => {
  it('is listed in the help of both commands and must be a whole number', async () => {
    for (const command of ['up', 'node']) {
      const { code, out } = await fn(command, '--help');
      assert.equal(code, 0);
      assert.match(out, /--blank-isolates N +isolates per isolate host process booted ahead/);
    }
    const up = await fn('up', '--blank-isolates', 'some');
    assert.equal(up.code, 2);
    assert.match(up.out, /--blank-isolates must be a whole number, got "some"/);
  });

  it('sets how many blank isolates the executor keeps', async () => {
    for (const count of [0, 3]) {
      const executor = openIsolateExecutor('inline', {
        loadCode: async () => '',
        nodeId: 'n1',
        logger: silentLogger(),
        blankIsolates: count,
      });
      assert.ok(executor instanceof IsolateExecutor);
      try {
        await executor.fillBlanks();
        assert.equal(executor.blankIsolates, count);
      } finally {
        await executor.dispose();
      }
    }
  });
});
