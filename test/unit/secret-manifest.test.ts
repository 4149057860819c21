import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { toFunctionSpec } from '../../core/function-spec.ts';
import { createLogger } from '../../core/logger.ts';
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

test('the structured logger redacts a function env wherever a spec is logged', () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ destination, level: 'info' });
  const fn = { name: 'app', env: { API_KEY: 'the-secret-value' } };
  logger.info({ fn }, 'spec');
  logger.info({ message: { fn } }, 'message');
  logger.info({ env: fn.env }, 'env');
  assert.equal(lines.length, 3);
  for (const line of lines) assert.ok(!line.includes('the-secret-value'), line);
  assert.match(lines[0] ?? '', /"name":"app"/);
});
