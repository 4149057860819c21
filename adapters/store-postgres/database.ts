import pg from 'pg';
import type { Logger } from '../../core/logger.ts';
import { RETRY_SQLSTATES, toStoreError } from './store-error.ts';

/** What repositories run their SQL on: the pool, or the one client of a transaction. */
export interface Queryable {
  /** Rows typed by the caller: the SQL and the row interface live side by side. */
  query<Row>(sql: string, params?: readonly unknown[]): Promise<{ rows: Row[]; rowCount: number }>;
}

export interface DatabaseOptions {
  url: string;
  /** Tables live in this schema (created when missing); default the role's search_path. */
  schema?: string;
  /** Connections per gateway. */
  poolSize: number;
  /** How long a query waits for a connection (and a connection for the server). */
  connectTimeoutMs: number;
  logger: Logger;
}

const INT8_OID = 20;
const JSON_OIDS: ReadonlySet<number> = new Set([114, 3802]);
/** How often a transaction that lost a serialization or deadlock race is run again. */
const TRANSACTION_TRIES = 3;

/**
 * A pg Pool with the conversions the Store needs, set per pool rather than on pg's global
 * type registry: int8 (epoch ms, sequences, counts) becomes a number, refused above 2^53;
 * json/jsonb stay text, so SQL NULL (absent) and JSON null (a function that returned null)
 * remain two things. Every error leaves as a FjordError (see toStoreError).
 */
export class Database implements Queryable {
  readonly #pool: pg.Pool;

  constructor(options: DatabaseOptions) {
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs,
      ...(options.schema === undefined
        ? {}
        : { options: `-c search_path=${quoteIdentifier(options.schema)}` }),
      types: { getTypeParser: typeParser as pg.CustomTypesConfig['getTypeParser'] },
    });
    // An idle client losing its server emits here; without a listener that crashes the process.
    // The next query finds the pool short of that client and reconnects.
    this.#pool.on('error', (error) => {
      options.logger.warn({ err: error }, 'postgres connection lost');
    });
  }

  async query<Row>(
    sql: string,
    params: readonly unknown[] = [],
  ): Promise<{ rows: Row[]; rowCount: number }> {
    try {
      const result = await this.#pool.query(sql, params as unknown[]);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /**
   * Runs `work` in one READ COMMITTED transaction on one client, again from the start when
   * PostgreSQL aborted it for a serialization failure or a deadlock (so `work` must do nothing
   * but SQL).
   */
  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#transactionOnce(work);
      } catch (error) {
        const code = (error as { cause?: { code?: unknown } }).cause?.code;
        if (attempt >= TRANSACTION_TRIES || typeof code !== 'string' || !RETRY_SQLSTATES.has(code))
          throw error;
      }
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  async #transactionOnce<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw toStoreError(error);
    }
    const tx: Queryable = {
      async query<Row>(sql: string, params: readonly unknown[] = []) {
        const result = await client.query(sql, params as unknown[]);
        return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
      },
    };
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const value = await work(tx);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError;
      });
      throw toStoreError(error);
    } finally {
      // A client whose rollback failed is in an unknown state: destroyed, not reused.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }
}

/** Double-quotes an identifier for SQL, doubling quotes inside it. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function typeParser(oid: number, format?: string): (value: string) => unknown {
  if (oid === INT8_OID) return parseInt8;
  if (JSON_OIDS.has(oid)) return (value) => value;
  return pg.types.getTypeParser(oid, format as 'text') as (value: string) => unknown;
}

function parseInt8(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) {
    throw new RangeError(`int8 value ${value} does not fit a JavaScript number`);
  }
  return parsed;
}
