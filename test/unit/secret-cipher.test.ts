import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqliteStore } from '../../adapters/store-sqlite/index.ts';
import { SecretCipher } from '../../core/secrets-cipher.ts';
import { SecretVault } from '../../core/secrets-vault.ts';

const KEY = Buffer.alloc(32, 1);

test('a sealed value opens with its key, function and name, and differs each time', () => {
  const cipher = new SecretCipher(KEY);
  const first = cipher.seal('app', 'API_KEY', 'hunter2');
  const second = cipher.seal('app', 'API_KEY', 'hunter2');
  assert.notEqual(first, second, 'a fresh IV per seal');
  assert.ok(!first.includes('hunter2'));
  assert.match(first, new RegExp(`^v1\\.${cipher.keyId}\\.`));
  assert.equal(cipher.open('app', 'API_KEY', first), 'hunter2');
  assert.equal(cipher.open('app', 'API_KEY', cipher.seal('app', 'API_KEY', 'é ✓')), 'é ✓');
});

test('another key fails with SECRET_DECRYPT_FAILED naming both key ids and what to do', () => {
  const sealed = new SecretCipher(KEY).seal('app', 'API_KEY', 'the-secret-value');
  const other = new SecretCipher(Buffer.alloc(32, 2));
  assert.throws(
    () => other.open('app', 'API_KEY', sealed),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'SECRET_DECRYPT_FAILED');
      assert.match(error.message, new RegExp(new SecretCipher(KEY).keyId));
      assert.match(error.message, new RegExp(other.keyId));
      assert.match(error.message, /FN_SECRETS_KEY|--secrets-key-file/);
      assert.ok(!error.message.includes('the-secret-value'));
      return true;
    },
  );
});

test('a value moved to another function or key, or altered, does not open', () => {
  const cipher = new SecretCipher(KEY);
  const sealed = cipher.seal('app', 'API_KEY', 'value');
  const code = { code: 'SECRET_DECRYPT_FAILED' };
  assert.throws(() => cipher.open('other', 'API_KEY', sealed), code);
  assert.throws(() => cipher.open('app', 'OTHER_KEY', sealed), code);
  const body = Buffer.from(sealed.split('.')[2] ?? '', 'base64');
  body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 1;
  const altered = `v1.${cipher.keyId}.${body.toString('base64')}`;
  assert.throws(() => cipher.open('app', 'API_KEY', altered), code);
  assert.throws(() => cipher.open('app', 'API_KEY', 'plaintext'), code);
});

test('a key must be 32 bytes of base64', () => {
  const generated = SecretCipher.generateBase64();
  assert.equal(Buffer.from(generated, 'base64').length, 32);
  assert.ok(SecretCipher.fromBase64(`${generated}\n`, 'key file').keyId.length === 16);
  for (const bad of ['', 'c2hvcnQ=', 'not base64 at all!', Buffer.alloc(33).toString('base64')]) {
    assert.throws(() => SecretCipher.fromBase64(bad, 'FN_SECRETS_KEY'), {
      code: 'SECRETS_KEY_INVALID',
      message: /^FN_SECRETS_KEY: .*openssl rand -base64 32/,
    });
  }
});

test('the vault checks keys and values, and without a key can list and remove only', async (t) => {
  const store = new SqliteStore({ path: ':memory:' });
  await store.init();
  t.after(() => store.close());
  const vault = new SecretVault(store, new SecretCipher(KEY));
  for (const key of ['1ABC', 'A-B', '', 'x'.repeat(129)]) {
    await assert.rejects(vault.set('app', key, 'v'), { code: 'INVALID_SECRET' });
  }
  await assert.rejects(vault.set('app', 'EMPTY', ''), { code: 'INVALID_SECRET' });
  await assert.rejects(vault.set('app', 'BIG', 'x'.repeat(64 * 1024 + 1)), {
    code: 'INVALID_SECRET',
  });
  await vault.set('app', 'API_KEY', 'v1');
  await assert.rejects(vault.remove('app', 'NOPE'), { code: 'SECRET_NOT_FOUND' });

  const keyless = new SecretVault(store, undefined);
  assert.deepEqual(
    (await keyless.list('app')).map((s) => s.key),
    ['API_KEY'],
  );
  await assert.rejects(keyless.set('app', 'OTHER', 'v'), {
    code: 'SECRETS_KEY_MISSING',
    message: /FN_SECRETS_KEY.*--secrets-key-file/,
  });
  await assert.rejects(keyless.reveal('app', ['API_KEY']), { code: 'SECRETS_KEY_MISSING' });
  assert.deepEqual(await keyless.reveal('app', ['UNSET']), {});
  await keyless.remove('app', 'API_KEY');
  assert.deepEqual(await keyless.list('app'), []);
});
