import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toFunctionSpec } from '../../core/function-spec.ts';
import { createManifestValidator } from '../../core/manifest.ts';

const validate = createManifestValidator();

test('fn.json secrets: names reach the spec, never values', () => {
  const manifest = validate({ name: 'app', secrets: ['API_KEY', 'DB_URL'] });
  assert.deepEqual(manifest.secrets, ['API_KEY', 'DB_URL']);
  assert.deepEqual(toFunctionSpec(manifest, 1, 'a'.repeat(64)).secrets, ['API_KEY', 'DB_URL']);
  assert.equal(validate({ name: 'app' }).secrets, undefined);
  assert.equal(validate({ name: 'app', secrets: [] }).secrets, undefined);
});

test('fn.json secrets: bad names and duplicates are refused, naming the field', () => {
  assert.throws(() => validate({ name: 'app', secrets: ['api-key'] }), {
    code: 'INVALID_MANIFEST',
    message: /secrets\.0/,
  });
  assert.throws(() => validate({ name: 'app', secrets: ['A', 'A'] }), {
    code: 'INVALID_MANIFEST',
    message: /secrets/,
  });
  assert.throws(() => validate({ name: 'app', secrets: 'API_KEY' }), {
    code: 'INVALID_MANIFEST',
    message: /secrets/,
  });
});
