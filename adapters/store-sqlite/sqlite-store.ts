import { FjordError } from '../../core/errors.ts';
import type { Manifest } from '../../core/manifest.ts';
import type { InvocationResult } from '../../core/messages.ts';
import type {
  FunctionRecord,
  InvocationRecord,
  LogQuery,
  LogRecord,
  Store,
  TokenRecord,
  TokenScope,
  VersionRecord,
} from '../../core/store.ts';
import { Connection } from './connection.ts';
import { FunctionRepository } from './function-repository.ts';
import { InvocationRepository } from './invocation-repository.ts';
import { LogRepository } from './log-repository.ts';
import { migrate } from './schema.ts';
import { TokenRepository } from './token-repository.ts';

export interface SqliteStoreOptions {
  /** Database file, created when missing, or `:memory:`. */
  path: string;
  /**
   * `normal` (default): a commit survives a crash of the process but may be lost on power
   * failure; `full` syncs every commit to disk, which caps recordResult throughput.
   */
  synchronous?: 'normal' | 'full';
  /** How long a write waits for another process holding the file's lock. Default 5000. */
  busyTimeoutMs?: number;
  /** Clock for createdAt/updatedAt; injectable for tests. */
  now?: () => number;
}

interface Open {
  connection: Connection;
  tokens: TokenRepository;
  functions: FunctionRepository;
  invocations: InvocationRepository;
  logs: LogRepository;
}

/**
 * The {@link Store} on node:sqlite: one file in WAL mode, schema versioned with
 * `PRAGMA user_version`. Calls run synchronously on the caller's thread; they are short
 * indexed statements, and the async signatures leave room for networked stores.
 */
export class SqliteStore implements Store {
  readonly #options: SqliteStoreOptions;
  #open: Open | undefined;

  constructor(options: SqliteStoreOptions) {
    this.#options = options;
  }

  async init(): Promise<void> {
    if (this.#open !== undefined) return;
    const now = this.#options.now ?? Date.now;
    const connection = new Connection({
      path: this.#options.path,
      synchronous: this.#options.synchronous ?? 'normal',
      busyTimeoutMs: this.#options.busyTimeoutMs ?? 5000,
    });
    try {
      migrate(connection);
    } catch (error) {
      connection.close();
      throw error;
    }
    this.#open = {
      connection,
      tokens: new TokenRepository(connection, now),
      functions: new FunctionRepository(connection, now),
      invocations: new InvocationRepository(connection),
      logs: new LogRepository(connection),
    };
  }

  async close(): Promise<void> {
    const open = this.#open;
    this.#open = undefined;
    open?.connection.close();
  }

  async createToken(
    scope: TokenScope,
    label: string,
  ): Promise<{ record: TokenRecord; token: string }> {
    return this.#use().tokens.create(scope, label);
  }

  async verifyToken(token: string): Promise<TokenRecord | undefined> {
    return this.#use().tokens.verify(token);
  }

  async createVersion(manifest: Manifest, bundle: string): Promise<VersionRecord> {
    return this.#use().functions.createVersion(manifest, bundle);
  }

  async getFunction(name: string): Promise<FunctionRecord | undefined> {
    return this.#use().functions.get(name);
  }

  async listFunctions(): Promise<FunctionRecord[]> {
    return this.#use().functions.list();
  }

  async listVersions(name: string): Promise<VersionRecord[]> {
    return this.#use().functions.listVersions(name);
  }

  async setActiveVersion(name: string, version: number): Promise<FunctionRecord> {
    return this.#use().functions.setActive(name, version);
  }

  /** Also removes the function's invocation records and logs, and bundles left unreferenced. */
  async deleteFunction(name: string): Promise<boolean> {
    const { connection, functions, invocations, logs } = this.#use();
    return connection.transaction(() => {
      if (!functions.delete(name)) return false;
      invocations.deleteForFunction(name);
      logs.deleteForFunction(name);
      return true;
    });
  }

  async getBundle(sha: string): Promise<string | undefined> {
    return this.#use().functions.getBundle(sha);
  }

  async createInvocation(record: InvocationRecord): Promise<void> {
    this.#use().invocations.create(record);
  }

  async markStarted(id: string, node: string, attempt: number, startedAt: number): Promise<void> {
    this.#use().invocations.markStarted(id, node, attempt, startedAt);
  }

  async recordResult(result: InvocationResult): Promise<void> {
    const { connection, invocations, logs } = this.#use();
    connection.transaction(() => {
      invocations.recordResult(result);
      logs.appendOnce(result);
    });
  }

  async getInvocation(id: string): Promise<InvocationRecord | undefined> {
    return this.#use().invocations.get(id);
  }

  async listLogs(fn: string, query?: LogQuery): Promise<LogRecord[]> {
    return this.#use().logs.list(fn, query);
  }

  #use(): Open {
    if (this.#open === undefined) {
      throw new FjordError('INTERNAL', 'SqliteStore used before init() or after close()');
    }
    return this.#open;
  }
}
