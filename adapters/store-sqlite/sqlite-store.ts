import { FjordError } from '../../core/errors.ts';
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
import { AttemptRepository } from './attempt-repository.ts';
import { CallbackRepository } from './callback-repository.ts';
import { Connection } from './connection.ts';
import { DeadLetterRepository } from './dead-letter-repository.ts';
import { FunctionRepository } from './function-repository.ts';
import { IdempotencyRepository } from './idempotency-repository.ts';
import { InvocationOutcomes } from './invocation-outcomes.ts';
import { InvocationRepository } from './invocation-repository.ts';
import { LogRepository } from './log-repository.ts';
import { ScheduleRepository } from './schedule-repository.ts';
import { SecretRepository } from './secret-repository.ts';
import { migrate } from './schema.ts';
import { TokenRepository } from './token-repository.ts';
import { WriteBatch } from './write-batch.ts';

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
  /** Clock for createdAt/updatedAt and for when a callback becomes due; injectable for tests. */
  now?: () => number;
}

interface Open {
  connection: Connection;
  batch: WriteBatch;
  tokens: TokenRepository;
  functions: FunctionRepository;
  invocations: InvocationRepository;
  outcomes: InvocationOutcomes;
  attempts: AttemptRepository;
  logs: LogRepository;
  deadLetters: DeadLetterRepository;
  idempotency: IdempotencyRepository;
  callbacks: CallbackRepository;
  schedules: ScheduleRepository;
  secrets: SecretRepository;
}

/**
 * The {@link Store} on node:sqlite: one file in WAL mode, schema versioned with
 * `PRAGMA user_version`. Calls run synchronously on the caller's thread; they are short
 * indexed statements, and the async signatures leave room for networked stores.
 */
export class SqliteStore implements Store {
  readonly #options: SqliteStoreOptions;
  readonly #now: () => number;
  #open: Open | undefined;

  constructor(options: SqliteStoreOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async init(): Promise<void> {
    if (this.#open !== undefined) return;
    const now = this.#now;
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
      batch: new WriteBatch(connection),
      tokens: new TokenRepository(connection, now),
      functions: new FunctionRepository(connection, now),
      invocations: new InvocationRepository(connection),
      outcomes: new InvocationOutcomes(connection),
      attempts: new AttemptRepository(connection),
      logs: new LogRepository(connection),
      deadLetters: new DeadLetterRepository(connection),
      idempotency: new IdempotencyRepository(connection),
      callbacks: new CallbackRepository(connection),
      schedules: new ScheduleRepository(connection),
      secrets: new SecretRepository(connection, now),
    };
  }

  async close(): Promise<void> {
    const open = this.#open;
    this.#open = undefined;
    open?.batch.flush();
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

  async listTokens(): Promise<TokenRecord[]> {
    return this.#use().tokens.list();
  }

  async deleteToken(id: string): Promise<boolean> {
    return this.#use().tokens.delete(id);
  }

  async putSecret(fn: string, key: string, sealed: string): Promise<SecretInfo> {
    return this.#use().secrets.put(fn, key, sealed);
  }

  async listSecrets(fn: string): Promise<SecretInfo[]> {
    return this.#use().secrets.list(fn);
  }

  async getSealedSecrets(fn: string, keys: readonly string[]): Promise<SealedSecret[]> {
    return this.#use().secrets.sealed(fn, keys);
  }

  async deleteSecret(fn: string, key: string): Promise<boolean> {
    return this.#use().secrets.delete(fn, key);
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

  /**
   * Also removes the function's invocation records, attempts, logs, dead letters, idempotency
   * keys, callbacks and schedule claims, and bundles left unreferenced.
   */
  async deleteFunction(name: string): Promise<boolean> {
    const open = this.#use();
    return open.connection.transaction(() => {
      if (!open.functions.delete(name)) return false;
      open.invocations.deleteForFunction(name);
      open.attempts.deleteForFunction(name);
      open.logs.deleteForFunction(name);
      open.deadLetters.purge(name);
      open.idempotency.deleteForFunction(name);
      open.callbacks.deleteForFunction(name);
      open.schedules.deleteForFunction(name);
      return true;
    });
  }

  async getBundle(sha: string): Promise<string | undefined> {
    return this.#use().functions.getBundle(sha);
  }

  async createInvocation(
    record: InvocationRecord,
    { callbackUrl }: { callbackUrl?: string } = {},
  ): Promise<void> {
    const { batch, invocations, callbacks } = this.#use();
    await batch.run(() => {
      invocations.create(record);
      if (callbackUrl) callbacks.create(record.id, record.fn, callbackUrl, this.#now());
    });
  }

  async markStarted(id: string, node: string, attempt: number, startedAt: number): Promise<void> {
    const { batch, invocations } = this.#use();
    await batch.run(() => invocations.markStarted(id, node, attempt, startedAt));
  }

  async recordResult(result: InvocationResult): Promise<void> {
    await this.recordResults([result]);
  }

  async recordResults(results: readonly InvocationResult[]): Promise<void> {
    if (results.length === 0) return;
    const { batch, invocations, attempts, logs, callbacks } = this.#use();
    // One write of the group commit: the burst is recorded whole or not at all.
    await batch.run(() => {
      for (const result of results) {
        invocations.recordResult(result);
        attempts.record(result);
        logs.appendOnce(result);
        // Only a final status makes the callback due; activate() checks the status it ended in.
        if (result.next?.action !== 'retry') callbacks.activate(result.id, this.#now());
      }
    });
  }

  async getInvocation(id: string): Promise<InvocationRecord | undefined> {
    const { invocations, callbacks } = this.#use();
    const record = invocations.get(id);
    const callback = record && callbacks.get(id);
    if (record !== undefined && callback !== undefined) record.callback = callback;
    return record;
  }

  async listAttempts(id: string): Promise<AttemptRecord[]> {
    return this.#use().attempts.list(id);
  }

  async cancelInvocation(id: string, at: number): Promise<CancelOutcome | undefined> {
    const { connection, outcomes, callbacks } = this.#use();
    const cancelled = connection.transaction(() => {
      const done = outcomes.cancel(id, at);
      if (done) callbacks.activate(id, at);
      return done;
    });
    const record = await this.getInvocation(id);
    return record && { cancelled, record };
  }

  async listCancelled(since: number, limit: number): Promise<string[]> {
    return this.#use().outcomes.listCancelled(since, limit);
  }

  async recordDeadLetter(letter: DeadLetter): Promise<void> {
    const { connection, outcomes, attempts, deadLetters, callbacks, invocations } = this.#use();
    connection.transaction(() => {
      if (outcomes.isStale(letter)) return;
      if (!deadLetters.functionExists(letter.message.fn.name)) {
        // A deleted function keeps no dead letters; a record its last result left behind after
        // the delete ends `dead` all the same, not `running` for good.
        if (invocations.get(letter.message.id) !== undefined) outcomes.markDead(letter);
        return;
      }
      deadLetters.insert(letter);
      if (!letter.ran) attempts.recordRefused(letter);
      outcomes.markDead(letter);
      callbacks.activate(letter.message.id, this.#now());
    });
  }

  async listDeadLetters(fn: string, query?: DeadLetterQuery): Promise<DeadLetterRecord[]> {
    return this.#use().deadLetters.list(fn, query);
  }

  async countDeadLetters(fn: string): Promise<number> {
    return this.#use().deadLetters.count(fn);
  }

  async getDeadLetter(
    fn: string,
    invocationId: string,
  ): Promise<(DeadLetterRecord & { message: InvocationMessage }) | undefined> {
    return this.#use().deadLetters.get(fn, invocationId);
  }

  async markRedriven(fn: string, invocationId: string): Promise<boolean> {
    const { connection, deadLetters, outcomes, callbacks } = this.#use();
    return connection.transaction(() => {
      const attempt = deadLetters.take(fn, invocationId);
      if (attempt === undefined) return false;
      outcomes.markRedriven(invocationId, attempt);
      callbacks.reset(invocationId);
      return true;
    });
  }

  async purgeDeadLetters(fn: string): Promise<number> {
    return this.#use().deadLetters.purge(fn);
  }

  async claimIdempotencyKey(
    claim: IdempotencyClaim,
  ): Promise<{ invocationId: string; fingerprint: string } | undefined> {
    const { connection, idempotency } = this.#use();
    return connection.transaction(() => idempotency.claim(claim));
  }

  async releaseIdempotencyKey(fn: string, key: string, invocationId: string): Promise<void> {
    this.#use().idempotency.release(fn, key, invocationId);
  }

  async claimCallbacks(now: number, limit: number, leaseUntil: number): Promise<CallbackTask[]> {
    return this.#use().callbacks.claim(now, limit, leaseUntil);
  }

  async recordCallbackAttempt(invocationId: string, outcome: CallbackOutcome): Promise<void> {
    this.#use().callbacks.record(invocationId, outcome);
  }

  async claimScheduledRun(claim: ScheduledRunClaim): Promise<boolean> {
    const { connection, schedules } = this.#use();
    return connection.transaction(() => schedules.claim(claim));
  }

  async releaseScheduledRun(fn: string, scheduledAt: number, invocationId: string): Promise<void> {
    this.#use().schedules.release(fn, scheduledAt, invocationId);
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
