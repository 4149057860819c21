import { FjordError } from '../../core/errors.ts';
import { silentLogger, type Logger } from '../../core/logger.ts';
import type { Manifest } from '../../core/manifest.ts';
import type { DeadLetter, InvocationMessage, InvocationResult } from '../../core/messages.ts';
import type { SealedSecret, SecretInfo } from '../../core/secrets.ts';
import type {
  AttemptRecord,
  CallbackOutcome,
  CallbackTask,
  CancelOutcome,
  DeadLetterQuery,
  DeadLetterRecord,
  FunctionRecord,
  IdempotencyClaim,
  InvocationRecord,
  LogQuery,
  LogRecord,
  ScheduledRunClaim,
  Store,
  TokenRecord,
  TokenScope,
  VersionRecord,
} from '../../core/store.ts';
import { Database } from './database.ts';
import { repositories, type Repositories } from './repositories.ts';
import { migrate } from './schema.ts';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` (pg's connection string syntax). */
  url: string;
  /**
   * The schema Fjord's tables live in, created when missing (lowercase letters, digits and
   * underscores). Default: the role's search_path, usually `public`.
   */
  schema?: string;
  /** Connections this gateway keeps at most. Default 10. */
  poolSize?: number;
  /** How long a call waits for a connection before failing with STORE_UNAVAILABLE. Default 5000. */
  connectTimeoutMs?: number;
  /** Clock for createdAt/updatedAt and for when a callback becomes due; injectable for tests. */
  now?: () => number;
  logger?: Logger;
}

interface Open {
  db: Database;
  repos: Repositories;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The {@link Store} on PostgreSQL through a pg Pool, for several gateways sharing one state.
 * Same semantics as the SQLite store; what SQLite gets from its single writer, this adapter
 * gets from single statements (INSERT ... ON CONFLICT, guarded UPDATEs), row locks and
 * transaction-scoped advisory locks. Errors are FjordErrors; an unreachable server is
 * STORE_UNAVAILABLE (503, retryable).
 */
export class PostgresStore implements Store {
  readonly #options: PostgresStoreOptions;
  readonly #now: () => number;
  #open: Open | undefined;

  constructor(options: PostgresStoreOptions) {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new FjordError(
        'BAD_REQUEST',
        `store schema "${options.schema}" must be lowercase letters, digits and underscores`,
      );
    }
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async init(): Promise<void> {
    if (this.#open !== undefined) return;
    const { schema } = this.#options;
    const db = new Database({
      url: this.#options.url,
      ...(schema === undefined ? {} : { schema }),
      poolSize: this.#options.poolSize ?? 10,
      connectTimeoutMs: this.#options.connectTimeoutMs ?? 5000,
      logger: this.#options.logger ?? silentLogger(),
    });
    try {
      await migrate(db, schema);
    } catch (error) {
      await db.close();
      throw error;
    }
    this.#open = { db, repos: repositories(db, this.#now) };
  }

  async close(): Promise<void> {
    const open = this.#open;
    this.#open = undefined;
    await open?.db.close();
  }

  async createToken(
    scope: TokenScope,
    label: string,
  ): Promise<{ record: TokenRecord; token: string }> {
    return this.#use().repos.tokens.create(scope, label);
  }

  async verifyToken(token: string): Promise<TokenRecord | undefined> {
    return this.#use().repos.tokens.verify(token);
  }

  async listTokens(): Promise<TokenRecord[]> {
    return this.#use().repos.tokens.list();
  }

  async deleteToken(id: string): Promise<boolean> {
    return this.#use().repos.tokens.delete(id);
  }

  async putSecret(fn: string, key: string, sealed: string): Promise<SecretInfo> {
    return this.#use().repos.secrets.put(fn, key, sealed);
  }

  async listSecrets(fn: string): Promise<SecretInfo[]> {
    return this.#use().repos.secrets.list(fn);
  }

  async getSealedSecrets(fn: string, keys: readonly string[]): Promise<SealedSecret[]> {
    return this.#use().repos.secrets.sealed(fn, keys);
  }

  async deleteSecret(fn: string, key: string): Promise<boolean> {
    return this.#use().repos.secrets.delete(fn, key);
  }

  async createVersion(manifest: Manifest, bundle: string): Promise<VersionRecord> {
    return this.#transaction((r) => r.functions.createVersion(manifest, bundle));
  }

  async getFunction(name: string): Promise<FunctionRecord | undefined> {
    return this.#use().repos.functions.get(name);
  }

  async listFunctions(): Promise<FunctionRecord[]> {
    return this.#use().repos.functions.list();
  }

  async listVersions(name: string): Promise<VersionRecord[]> {
    return this.#use().repos.functions.listVersions(name);
  }

  async setActiveVersion(name: string, version: number): Promise<FunctionRecord> {
    return this.#transaction((r) => r.functions.setActive(name, version));
  }

  /**
   * Also removes the function's invocation records, attempts, logs, dead letters, idempotency
   * keys, callbacks and schedule claims, and bundles left unreferenced.
   */
  async deleteFunction(name: string): Promise<boolean> {
    return this.#transaction(async (r) => {
      if (!(await r.functions.delete(name))) return false;
      await r.invocations.deleteForFunction(name);
      await r.attempts.deleteForFunction(name);
      await r.logs.deleteForFunction(name);
      await r.deadLetters.purge(name);
      await r.idempotency.deleteForFunction(name);
      await r.callbacks.deleteForFunction(name);
      await r.schedules.deleteForFunction(name);
      return true;
    });
  }

  async getBundle(sha: string): Promise<string | undefined> {
    return this.#use().repos.functions.getBundle(sha);
  }

  async createInvocation(
    record: InvocationRecord,
    options: { callbackUrl?: string } = {},
  ): Promise<void> {
    const { callbackUrl } = options;
    // A single statement needs no explicit transaction: the hot path stays one round trip.
    if (callbackUrl === undefined) return this.#use().repos.invocations.create(record);
    await this.#transaction(async (r) => {
      await r.invocations.create(record);
      await r.callbacks.create(record.id, record.fn, callbackUrl, this.#now());
    });
  }

  async markStarted(id: string, node: string, attempt: number, startedAt: number): Promise<void> {
    await this.#use().repos.invocations.markStarted(id, node, attempt, startedAt);
  }

  async recordResult(result: InvocationResult): Promise<void> {
    await this.recordResults([result]);
  }

  async recordResults(results: readonly InvocationResult[]): Promise<void> {
    if (results.length === 0) return;
    // One transaction (one BEGIN and COMMIT round trip) for the whole burst.
    await this.#transaction(async (r) => {
      for (const result of results) {
        await r.invocations.recordResult(result);
        await r.attempts.record(result);
        // Only a final status makes the callback due; activate() checks the status it ended in.
        if (result.next?.action !== 'retry') await r.callbacks.activate(result.id, this.#now());
      }
      // Last: they hold the log-order lock until commit (see appendOnce).
      for (const result of results) await r.logs.appendOnce(result);
    });
  }

  async getInvocation(id: string): Promise<InvocationRecord | undefined> {
    const { invocations, callbacks } = this.#use().repos;
    const [record, callback] = await Promise.all([invocations.get(id), callbacks.get(id)]);
    if (record !== undefined && callback !== undefined) record.callback = callback;
    return record;
  }

  async listAttempts(id: string): Promise<AttemptRecord[]> {
    return this.#use().repos.attempts.list(id);
  }

  async cancelInvocation(id: string, at: number): Promise<CancelOutcome | undefined> {
    const cancelled = await this.#transaction(async (r) => {
      const done = await r.outcomes.cancel(id, at);
      if (done) await r.callbacks.activate(id, at);
      return done;
    });
    const record = await this.getInvocation(id);
    return record && { cancelled, record };
  }

  async listCancelled(since: number, limit: number): Promise<string[]> {
    return this.#use().repos.outcomes.listCancelled(since, limit);
  }

  async recordDeadLetter(letter: DeadLetter): Promise<void> {
    await this.#transaction(async (r) => {
      if (await r.outcomes.isStale(letter)) return;
      if (!(await r.deadLetters.functionExists(letter.message.fn.name))) {
        // A deleted function keeps no dead letters; a record its last result left behind after
        // the delete ends `dead` all the same, not `running` for good.
        if ((await r.invocations.get(letter.message.id)) !== undefined) {
          await r.outcomes.markDead(letter);
        }
        return;
      }
      await r.deadLetters.insert(letter);
      if (!letter.ran) await r.attempts.recordRefused(letter);
      await r.outcomes.markDead(letter);
      await r.callbacks.activate(letter.message.id, this.#now());
    });
  }

  async listDeadLetters(fn: string, query?: DeadLetterQuery): Promise<DeadLetterRecord[]> {
    return this.#use().repos.deadLetters.list(fn, query);
  }

  async countDeadLetters(fn: string): Promise<number> {
    return this.#use().repos.deadLetters.count(fn);
  }

  async getDeadLetter(
    fn: string,
    invocationId: string,
  ): Promise<(DeadLetterRecord & { message: InvocationMessage }) | undefined> {
    return this.#use().repos.deadLetters.get(fn, invocationId);
  }

  async markRedriven(fn: string, invocationId: string): Promise<boolean> {
    return this.#transaction(async (r) => {
      const attempt = await r.deadLetters.take(fn, invocationId);
      if (attempt === undefined) return false;
      await r.outcomes.markRedriven(invocationId, attempt);
      await r.callbacks.reset(invocationId);
      return true;
    });
  }

  async purgeDeadLetters(fn: string): Promise<number> {
    return this.#use().repos.deadLetters.purge(fn);
  }

  async claimIdempotencyKey(
    claim: IdempotencyClaim,
  ): Promise<{ invocationId: string; fingerprint: string } | undefined> {
    return this.#use().repos.idempotency.claim(claim);
  }

  async releaseIdempotencyKey(fn: string, key: string, invocationId: string): Promise<void> {
    await this.#use().repos.idempotency.release(fn, key, invocationId);
  }

  async claimCallbacks(now: number, limit: number, leaseUntil: number): Promise<CallbackTask[]> {
    return this.#use().repos.callbacks.claim(now, limit, leaseUntil);
  }

  async recordCallbackAttempt(invocationId: string, outcome: CallbackOutcome): Promise<void> {
    await this.#use().repos.callbacks.record(invocationId, outcome);
  }

  async claimScheduledRun(claim: ScheduledRunClaim): Promise<boolean> {
    return this.#use().repos.schedules.claim(claim);
  }

  async releaseScheduledRun(fn: string, scheduledAt: number, invocationId: string): Promise<void> {
    await this.#use().repos.schedules.release(fn, scheduledAt, invocationId);
  }

  async listLogs(fn: string, query?: LogQuery): Promise<LogRecord[]> {
    return this.#use().repos.logs.list(fn, query);
  }

  #transaction<T>(work: (r: Repositories) => Promise<T>): Promise<T> {
    const { db } = this.#use();
    return db.transaction((tx) => work(repositories(tx, this.#now)));
  }

  #use(): Open {
    if (this.#open === undefined) {
      throw new FjordError('INTERNAL', 'PostgresStore used before init() or after close()');
    }
    return this.#open;
  }
}
