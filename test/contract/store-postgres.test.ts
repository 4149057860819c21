/**
 * The PostgreSQL store: the Store contract against a real PostgreSQL (each test in a schema of
 * its own), then what only a networked, shared store has: concurrent start-up migrations,
 * schema versions, and a server that cannot be reached or goes away.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PostgresStore } from '../../adapters/store-postgres/index.ts';
import { SCHEMA_VERSION } from '../../adapters/store-postgres/schema.ts';
import { waitFor } from '../support/inbox.ts';
import { POSTGRES_URL, testSchema, withPostgres } from '../support/postgres.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { storeContract } from './store.contract.ts';
import { manifest } from './store-fixtures.ts';

function create(
  t: test.TestContext,
  schema: string,
  options: { now?: () => number; url?: string } = {},
): PostgresStore {
  const store = new PostgresStore({ url: POSTGRES_URL, schema, poolSize: 4, ...options });
  t.after(() => store.close());
  return store;
}

storeContract({
  async location(t) {
    return testSchema(t);
  },
  create,
  async count(schema, table) {
    return withPostgres(async (client) => {
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${schema}.${table}`,
      );
      return Number(rows[0]?.n);
    });
  },
  async dump(schema, table) {
    return withPostgres(async (client) => {
      const { rows } = await client.query(`SELECT * FROM ${schema}.${table}`);
      return JSON.stringify(rows);
    });
  },
});

test('postgres: gateways starting together on an empty schema migrate it once', async (t) => {
  const schema = testSchema(t);
  const stores = Array.from({ length: 4 }, () => create(t, schema));
  await Promise.all(stores.map((store) => store.init()));
  const applied = await withPostgres(async (client) => {
    const { rows } = await client.query<{ version: number }>(
      `SELECT version FROM ${schema}.fjord_migrations ORDER BY version`,
    );
    return rows.map((row) => row.version);
  });
  assert.deepEqual(
    applied,
    Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
  );
  await stores[0]?.createVersion(manifest('hello'), 'code');
  assert.equal((await stores[3]?.getFunction('hello'))?.activeVersion, 1);
});

test('postgres: a schema newer than the code is refused', async (t) => {
  const schema = testSchema(t);
  await create(t, schema).init();
  await withPostgres((client) =>
    client.query(`INSERT INTO ${schema}.fjord_migrations (version, applied_at) VALUES (99, 0)`),
  );
  await assert.rejects(create(t, schema).init(), { code: 'INTERNAL', message: /newer/ });
});

test('postgres: a schema name that is not a plain identifier is refused', () => {
  assert.throws(() => new PostgresStore({ url: POSTGRES_URL, schema: 'x; DROP TABLE y' }), {
    code: 'BAD_REQUEST',
  });
});

test('postgres: a server that cannot be reached is STORE_UNAVAILABLE (503, retryable)', async (t) => {
  const proxy = new TcpProxy({ host: '127.0.0.1', port: Number(new URL(POSTGRES_URL).port) });
  await proxy.start();
  t.after(() => proxy.close());
  proxy.cut();
  const url = new URL(POSTGRES_URL);
  url.port = String(proxy.port);
  const store = create(t, testSchema(t), { url: url.toString() });
  await assert.rejects(store.init(), { code: 'STORE_UNAVAILABLE', status: 503, retryable: true });
});

test('postgres: a lost connection fails calls with STORE_UNAVAILABLE, then the store recovers', async (t) => {
  const proxy = new TcpProxy({ host: '127.0.0.1', port: Number(new URL(POSTGRES_URL).port) });
  await proxy.start();
  t.after(() => proxy.close());
  const url = new URL(POSTGRES_URL);
  url.port = String(proxy.port);
  const store = create(t, testSchema(t), { url: url.toString() });
  await store.init();
  await store.createVersion(manifest('hello'), 'code');

  proxy.cut();
  await assert.rejects(store.getFunction('hello'), { code: 'STORE_UNAVAILABLE' });
  await assert.rejects(store.createVersion(manifest('hello'), 'code 2'), {
    code: 'STORE_UNAVAILABLE',
  });
  proxy.restore();
  // Connections the cut broke are dropped as the pool notices them; a retry then succeeds.
  const fn = await waitFor(() => store.getFunction('hello').catch(() => undefined), {
    what: 'the store to answer again',
  });
  assert.equal(fn.activeVersion, 1);
});

test('postgres: times, counters and sequences read back as numbers, JSON null as null', async (t) => {
  const store = create(t, testSchema(t));
  await store.init();
  const at = Date.UTC(2030, 0, 1);
  await store.createInvocation({
    id: 'inv-n',
    callId: 'c',
    fn: 'hello',
    version: 1,
    mode: 'async',
    trigger: 'event',
    status: 'queued',
    attempts: 0,
    queuedAt: at,
  });
  const record = await store.getInvocation('inv-n');
  assert.strictEqual(record?.queuedAt, at);
  assert.equal('result' in (record ?? {}), false, 'SQL NULL reads as absent');
});
