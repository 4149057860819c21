/**
 * `fn token create` checks scopes and labels by the rules the gateway enforces (core/token-rules):
 * the two agree on every edge, so the CLI neither refuses what the gateway takes nor lets through
 * what it refuses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTokenLabel, isTokenScope, MAX_TOKEN_LABEL } from '../../core/token-rules.ts';
import { createTokenRequestValidator } from '../../gateway/routes/token-request.ts';

const validate = createTokenRequestValidator();
const accepted = (body: unknown): boolean => {
  try {
    validate(body);
    return true;
  } catch {
    return false;
  }
};

test('the CLI and the gateway take the same labels', () => {
  const labels = [
    'ci',
    'web app',
    'é'.repeat(MAX_TOKEN_LABEL),
    '😀'.repeat(MAX_TOKEN_LABEL),
    'x'.repeat(MAX_TOKEN_LABEL + 1),
    '😀'.repeat(MAX_TOKEN_LABEL + 1),
    '',
    ' ci',
    'ci ',
    'c\ti',
    'a\nb',
    'a\u200bb',
    'a\u0000b',
  ];
  for (const label of labels) {
    assert.equal(isTokenLabel(label), accepted({ scope: 'invoke', label }), JSON.stringify(label));
  }
  assert.equal(isTokenLabel('😀'.repeat(MAX_TOKEN_LABEL)), true, 'characters, not UTF-16 units');
});

test('the CLI and the gateway take the same scopes', () => {
  for (const scope of ['admin', 'deploy', 'invoke', 'node', 'Admin', 'root', '']) {
    assert.equal(isTokenScope(scope), accepted({ scope }), scope);
  }
});
