/**
 * `--prewarm N` on `fn up` and `fn node`: listed in their help, and checked before anything
 * starts. How the agent and the executor keep that many isolates warm is tested in
 * test/unit/isolate-prewarm.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFn as fn } from './run-fn.ts';

describe('fn up / fn node --prewarm', () => {
  it('is listed in the help of both commands', async () => {
    for (const command of ['up', 'node']) {
      const { code, out } = await fn(command, '--help');
      assert.equal(code, 0);
      assert.match(out, /--prewarm N +booted isolates kept idle .*0 disables/);
    }
  });

  it('must be a whole number', async () => {
    const up = await fn('up', '--prewarm', 'two');
    assert.equal(up.code, 2);
    assert.match(up.out, /--prewarm must be a whole number, got "two"/);
    const node = await fn(
      'node',
      '--broker',
      'amqp://127.0.0.1',
      '--gateway',
      'http://x',
      '--token',
      't',
      '--prewarm=1.5',
    );
    assert.equal(node.code, 2);
    assert.match(node.out, /--prewarm must be a whole number, got "1.5"/);
  });

  it('--prewarm-budget is listed in the help of both commands and must be a whole number', async () => {
    for (const command of ['up', 'node']) {
      const { code, out } = await fn(command, '--help');
      assert.equal(code, 0);
      assert.match(out, /--prewarm-budget N +function versions that keep idle isolates/);
    }
    const up = await fn('up', '--prewarm-budget', 'many');
    assert.equal(up.code, 2);
    assert.match(up.out, /--prewarm-budget must be a whole number, got "many"/);
  });
});
