/**
 * Hints by error code win over the HTTP status's: a function without the handler a request
 * needs (404 HANDLER_NOT_FOUND) is told how to write one, not to list functions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hintFor } from '../../cli/hints.ts';

test('HANDLER_NOT_FOUND says how to export a handler instead of the 404 hint', () => {
  const hint = hintFor('HANDLER_NOT_FOUND', 404);
  assert.notEqual(hint, hintFor(undefined, 404));
  assert.match(hint ?? '', /export default \{ fetch \}/);
  assert.match(hint ?? '', /fn invoke NAME/);
});
