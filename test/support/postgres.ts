/**
 * The PostgreSQL the tests use: started by scripts/ensure-postgres.sh (which prints this
 * default URL), never skipped. Every test gets a schema of its own, dropped with everything in
 * it when the test ends, so parallel runs never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL =
  process.env.FJORD_TEST_POSTGRES_URL ??
  'postgres://fjord_test:fjord_test@127.0.0.1:5432/fjord_test';

/** Runs `work` on a connection of its own (the test's view from outside the store). */
export async function withPostgres<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot reach ${POSTGRES_URL} (run scripts/ensure-postgres.sh)`, {
      cause: error,
    });
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Where a cleanup registers: a TestContext, or `{ after }` of node:test for a whole file. */
export interface CleanupScope {
  after(cleanup: () => Promise<unknown>): unknown;
}

/** A unique schema name, dropped (if it was created) when the test (or file) ends. */
export function testSchema(t: CleanupScope): string {
  const schema = `fjord_t_${randomBytes(6).toString('hex')}`;
  t.after(() => withPostgres((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)));
  return schema;
}

/** The store URL for `--store`: the test database, Fjord's tables in `schema`. */
export function storeUrl(schema: string): string {
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('schema', schema);
  return url.toString();
}
