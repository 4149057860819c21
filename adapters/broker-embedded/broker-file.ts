import type { DatabaseSync } from 'node:sqlite';
import type { Logger } from '../../core/logger.ts';
import { Checkpointer } from './checkpointer.ts';
import { isWal, openDatabase } from './database.ts';
import { Dispatcher } from './dispatcher.ts';
import type { ResolvedOptions } from './embedded-broker-options.ts';
import { Housekeeping } from './housekeeping.ts';
import { InstanceRegistry, isProcessAlive } from './instance-registry.ts';
import { MessageTable } from './message-table.ts';
import { transaction } from './schema.ts';
import type { SyncCalls } from './sync-calls.ts';

/**
 * What one broker instance holds on its SQLite file between start() and close(): the
 * connection, its registration as a lease owner, the dispatcher, the background timers and the
 * WAL checkpointer.
 */
export class BrokerFile {
  readonly dispatcher: Dispatcher;
  readonly #db: DatabaseSync;
  readonly #id: string;
  readonly #table: MessageTable;
  readonly #registry: InstanceRegistry;
  readonly #housekeeping: Housekeeping;
  readonly #checkpointer: Checkpointer | undefined;
  readonly #logger: Logger;

  /**
   * Opens (creating and migrating) the file, registers instance `id` and releases the leases
   * that dead instances left behind, so they are redelivered now with attempt + 1.
   */
  constructor(options: ResolvedOptions, id: string, calls: SyncCalls) {
    const { logger } = options;
    this.#id = id;
    this.#logger = logger;
    this.#db = openDatabase(options);
    try {
      this.#table = new MessageTable(this.#db);
      this.#registry = new InstanceRegistry({
        db: this.#db,
        id,
        pid: process.pid,
        // Wall clock, not the injectable one: heartbeats are compared across processes.
        now: Date.now,
        staleAfterMs: options.staleAfterMs,
        isProcessAlive: options.isProcessAlive ?? isProcessAlive,
      });
      this.#registry.beat();
      const released = this.#registry.reapDead(true);
      if (released > 0) logger.warn({ released }, 'released the leases of dead instances');
      const db = this.#db;
      const checkpointer = isWal(db)
        ? new Checkpointer(
            db,
            {
              path: options.path,
              synchronous: options.synchronous,
              intervalMs: 250,
              busyTimeoutMs: options.busyTimeoutMs,
            },
            logger,
          )
        : undefined;
      this.#checkpointer = checkpointer;
      this.dispatcher = new Dispatcher({
        db,
        owner: id,
        table: this.#table,
        calls,
        now: options.now,
        logger,
        onCommit: checkpointer && (() => checkpointer.noteCommit()),
      });
      this.#housekeeping = new Housekeeping({
        db,
        registry: this.#registry,
        dispatcher: this.dispatcher,
        logger,
        pollIntervalMs: options.pollIntervalMs,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
      });
      this.#housekeeping.start();
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  /**
   * Stops the timers and consumers, commits the writes still pending, stops the checkpointer,
   * releases this instance's unsettled leases (redelivered with attempt + 1) and closes the
   * connection.
   */
  async close(): Promise<void> {
    this.#housekeeping.stop();
    this.dispatcher.close();
    await this.#checkpointer?.stop();
    try {
      // One transaction: the leases and the row that vouches for them go together.
      const released = transaction(this.#db, () => {
        const count = this.#table.releaseOwner(this.#id);
        this.#registry.unregister();
        return count;
      });
      if (released > 0) this.#logger.info({ released }, 'unsettled deliveries released');
    } catch (error) {
      // The row stays behind; its heartbeat goes stale and a survivor releases the leases.
      this.#logger.error({ err: error }, 'could not release leases on close');
    } finally {
      this.#db.close();
    }
  }
}
