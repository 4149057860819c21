import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';

/** Named parameters of one statement; `undefined` is bound as SQL NULL. */
export type SqlParams = Record<string, SQLInputValue | undefined>;

export interface ConnectionOptions {
  /** A file path or `:memory:`. */
  path: string;
  /** `normal` survives process crashes; `full` also survives power loss, at a cost per commit. */
  synchronous: 'normal' | 'full';
  /** How long a statement waits for another process's write lock before failing. */
  busyTimeoutMs: number;
}

/**
 * One SQLite connection with a per-instance cache of prepared statements: the hot paths
 * (recordResult, markStarted) then never re-parse their SQL.
 */
export class Connection {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #epoch = 0;

  constructor(options: ConnectionOptions) {
    this.#db = new DatabaseSync(options.path, {
      enableForeignKeyConstraints: true,
      timeout: options.busyTimeoutMs,
    });
    // WAL lets readers (logs, dashboard) proceed while results are being written.
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec(`PRAGMA synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.#db.exec('PRAGMA foreign_keys = ON');
  }

  /** True while a transaction is open on this connection. */
  get inTransaction(): boolean {
    return this.#db.isTransaction;
  }

  /**
   * Changes with every exec (BEGIN, COMMIT, SAVEPOINT, ROLLBACK...). Inside a write transaction
   * no other connection can write, so a fact read there holds, as far as others go, while the
   * epoch stays the same; a rollback of any kind changes it.
   */
  get epoch(): number {
    return this.#epoch;
  }

  exec(sql: string): void {
    this.#epoch++;
    this.#db.exec(sql);
  }

  run(sql: string, params: SqlParams = {}): { changes: number } {
    const { changes } = this.#statement(sql).run(bindable(params));
    return { changes: Number(changes) };
  }

  /**
   * Runs `sql` with positional parameters (`?1`, `?2`...; `undefined` binds NULL). For the hot
   * writes: node:sqlite binds a named parameter by looking its name up, which made a statement
   * of 17 named parameters cost about four times one of positional ones.
   */
  runValues(sql: string, values: (SQLInputValue | undefined)[]): { changes: number } {
    for (let i = 0; i < values.length; i++) values[i] ??= null;
    const { changes } = this.#statement(sql).run(...(values as SQLInputValue[]));
    return { changes: Number(changes) };
  }

  /** The first row, typed by the caller: the SQL and the row interface live side by side. */
  get<Row>(sql: string, params: SqlParams = {}): Row | undefined {
    return this.#statement(sql).get(bindable(params)) as Row | undefined;
  }

  all<Row>(sql: string, params: SqlParams = {}): Row[] {
    return this.#statement(sql).all(bindable(params)) as Row[];
  }

  /**
   * Runs `work` in one write transaction. BEGIN IMMEDIATE takes the write lock up front, so two
   * processes sharing the file wait on the busy timeout instead of failing on lock upgrade.
   * A call inside a running transaction joins it.
   */
  transaction<T>(work: () => T): T {
    if (this.#db.isTransaction) return work();
    this.#epoch++;
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const value = work();
      this.#epoch++;
      this.#db.exec('COMMIT');
      return value;
    } catch (error) {
      this.#epoch++;
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  close(): void {
    this.#statements.clear();
    this.#db.close();
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

/** A copy with `undefined` as null; for...in, not Object.entries: no array per statement. */
function bindable(params: SqlParams): Record<string, SQLInputValue> {
  const out: Record<string, SQLInputValue> = {};
  for (const key in params) out[key] = params[key] ?? null;
  return out;
}
