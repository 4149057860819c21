/**
 * Store contract: secrets, kept per function name as the sealed strings the vault hands over,
 * and the vault on top of each store (what reaches the table is never the plaintext).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SecretCipher } from '../../core/secrets-cipher.ts';
import { SecretVault } from '../../core/secrets-vault.ts';
import type { Opener } from './store.contract.ts';

export function secretCases({ open, subject }: Opener): void {
  test('secrets: put, list by key, read sealed values, replace, delete', async (t) => {
    let now = 1000;
    const { store } = await open(t, undefined, { now: () => now });
    assert.deepEqual(await store.putSecret('app', 'B_KEY', 'sealed-b'), {
      key: 'B_KEY',
      updatedAt: 1000,
    });
    now = 2000;
    await store.putSecret('app', 'A_KEY', 'sealed-a');
    await store.putSecret('other', 'A_KEY', 'sealed-other');
    assert.deepEqual(await store.listSecrets('app'), [
      { key: 'A_KEY', updatedAt: 2000 },
      { key: 'B_KEY', updatedAt: 1000 },
    ]);
    assert.deepEqual(await store.getSealedSecrets('app', ['B_KEY', 'MISSING']), [
      { key: 'B_KEY', updatedAt: 1000, sealed: 'sealed-b' },
    ]);
    assert.deepEqual(await store.getSealedSecrets('app', []), []);
    now = 3000;
    await store.putSecret('app', 'B_KEY', 'sealed-b2');
    assert.deepEqual(await store.getSealedSecrets('app', ['B_KEY']), [
      { key: 'B_KEY', updatedAt: 3000, sealed: 'sealed-b2' },
    ]);
    assert.equal(await store.deleteSecret('app', 'B_KEY'), true);
    assert.equal(await store.deleteSecret('app', 'B_KEY'), false);
    assert.deepEqual(await store.listSecrets('app'), [{ key: 'A_KEY', updatedAt: 2000 }]);
    assert.deepEqual(await store.listSecrets('other'), [{ key: 'A_KEY', updatedAt: 2000 }]);
    assert.deepEqual(await store.listSecrets('nobody'), []);
  });

  test('secrets: a second store on the same database sees them', async (t) => {
    const { store: first, location } = await open(t);
    const { store: second } = await open(t, location);
    await first.putSecret('shared', 'TOKEN_X', 'sealed');
    assert.deepEqual(
      (await second.getSealedSecrets('shared', ['TOKEN_X'])).map((s) => s.sealed),
      ['sealed'],
    );
  });

  test('secrets: through the vault the database holds no plaintext and a rotation wins', async (t) => {
    const { store, location } = await open(t);
    const vault = new SecretVault(store, new SecretCipher(Buffer.alloc(32, 7)));
    await vault.set('app', 'API_KEY', 'plain-value-one');
    await vault.set('app', 'API_KEY', 'plain-value-two');
    assert.deepEqual(await vault.reveal('app', ['API_KEY', 'UNSET']), {
      API_KEY: 'plain-value-two',
    });
    const rows = await subject.dump(location, 'secrets');
    assert.match(rows, /API_KEY/);
    assert.doesNotMatch(rows, /plain-value/);
    assert.equal(await subject.count(location, 'secrets'), 1);
  });
}
