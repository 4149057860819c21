/**
 * The message of INVOCATION_TIMEOUT (runtime/timeout-error.ts): the timeout the user set when the
 * run had all of it (less a few ms of dispatch), else the time it had left and the timeout.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timeoutError } from '../../runtime/timeout-error.ts';

test('a run that had its whole timeout is told so in the units of fn.json', () => {
  const error = timeoutError(1496.4, 1500);
  assert.equal(error.code, 'INVOCATION_TIMEOUT');
  assert.equal(error.message, 'function did not finish within its timeout (timeoutMs 1500)');
});

test('a run cut short by an earlier deadline says how long it had', () => {
  assert.equal(
    timeoutError(800, 1500).message,
    'function did not finish within the 800 ms it had left (of its timeoutMs 1500)',
  );
  assert.match(timeoutError(-5, 1500).message, /within the 0 ms it had left/);
});
