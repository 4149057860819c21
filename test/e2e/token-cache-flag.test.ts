/**
 * `--token-cache-ms` of `fn up` (and `fn gateway`): how long a gateway believes a verified token
 * without asking the store. A token deleted behind the gateway's back (as another gateway on the
 * same PostgreSQL store would) keeps working for that long; with 0 it is refused at once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import type { TokenCreateResponse } from '../../core/api.ts';
import { runFn, startFn } from './support/fn-process.ts';

for (const [flag, refusedAtOnce] of [
  ['0', true],
  ['600000', false],
] as const) {
  test(`fn up --token-cache-ms ${flag}: a token deleted in the store is ${refusedAtOnce ? 'refused at once' : 'still believed'}`, async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fjord-token-cache-'));
    const up = await startFn(
      ['up', '--port', '0', '--data-dir', dataDir, '--no-examples', '--token-cache-ms', flag],
      { env: { FN_HOME: dataDir } },
    );
    t.after(async () => {
      await up.stop('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    });
    const { gateway, token: admin } = JSON.parse(
      await readFile(join(dataDir, 'credentials.json'), 'utf8'),
    ) as { gateway: string; token: string };
    const created = await fetch(`${gateway}/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'invoke', label: 'app' }),
    });
    assert.equal(created.status, 201);
    const { token, record } = (await created.json()) as TokenCreateResponse;
    const list = () =>
      fetch(`${gateway}/v1/functions`, { headers: { authorization: `Bearer ${token}` } });
    const first = await list();
    assert.equal(first.status, 200, 'the new token works (and is cached, unless disabled)');
    await first.body?.cancel();

    // Deleted behind the gateway's back, as another gateway sharing the store would.
    const db = new DatabaseSync(join(dataDir, 'fjord.db'));
    try {
      db.exec('PRAGMA busy_timeout = 5000');
      assert.equal(db.prepare('DELETE FROM tokens WHERE id = ?').run(record.id).changes, 1);
    } finally {
      db.close();
    }
    const second = await list();
    await second.body?.cancel();
    assert.equal(second.status, refusedAtOnce ? 401 : 200);
  });
}

test('fn gateway --token-cache-ms soon is a usage error', async () => {
  const result = await runFn([
    'gateway',
    '--broker',
    'amqp://127.0.0.1:1',
    '--token-cache-ms',
    'soon',
  ]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /--token-cache-ms must be a whole number, got "soon"/);
});
