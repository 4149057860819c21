import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { transaction } from './schema.ts';

export interface InstanceRegistryOptions {
  db: DatabaseSync;
  /** This instance's id: the `lease_owner` of the rows it leases. */
  id: string;
  pid: number;
  now: () => number;
  /** An instance of another process whose heartbeat is older than this is considered dead. */
  staleAfterMs: number;
  isProcessAlive: (pid: number) => boolean;
}

interface InstanceRow {
  id: string;
  pid: number;
  heartbeat_at: number;
}

/**
 * The instances that may hold leases on the file, and the recovery of leases whose holder is
 * gone. A process killed with SIGKILL cannot release its leases, so the survivors (and every
 * instance at start) release the leases of instances whose process no longer exists.
 *
 * An instance is alive while its pid exists AND its heartbeat is fresh: the pid alone would be
 * fooled by pid reuse (after a reboot the file's old pids may belong to anything) and would never
 * expire an instance of this very process that failed to release its leases on close; the
 * heartbeat alone would wait `staleAfterMs` to notice a SIGKILL that the pid shows at once.
 */
export class InstanceRegistry {
  readonly #options: InstanceRegistryOptions;
  readonly #upsert: StatementSync;
  readonly #remove: StatementSync;
  readonly #list: StatementSync;
  readonly #reap: StatementSync;
  readonly #orphans: StatementSync;
  readonly #releaseOrphans: StatementSync;

  constructor(options: InstanceRegistryOptions) {
    this.#options = options;
    const { db } = options;
    this.#upsert = db.prepare(
      `INSERT INTO instances (id, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
    );
    this.#remove = db.prepare('DELETE FROM instances WHERE id = ?');
    this.#list = db.prepare('SELECT id, pid, heartbeat_at FROM instances');
    // The heartbeat guard: an instance that beat after we judged it stays.
    this.#reap = db.prepare('DELETE FROM instances WHERE id = ? AND heartbeat_at = ?');
    this.#orphans = db.prepare(
      `SELECT 1 FROM messages WHERE lease_owner IS NOT NULL
       AND lease_owner NOT IN (SELECT id FROM instances) LIMIT 1`,
    );
    this.#releaseOrphans = db.prepare(
      `UPDATE messages SET lease_owner = NULL WHERE lease_owner IS NOT NULL
       AND lease_owner NOT IN (SELECT id FROM instances)`,
    );
  }

  /**
   * Registers this instance, or refreshes its heartbeat. An upsert, so an instance that was
   * wrongly reaped (its process was frozen) registers again on its next beat.
   */
  beat(): void {
    const { id, pid, now } = this.#options;
    const at = now();
    this.#upsert.run(id, pid, at, at);
  }

  /** Removes this instance; its leases must have been released first (same transaction). */
  unregister(): void {
    this.#remove.run(this.#options.id);
  }

  /**
   * Releases the leases of dead instances and of owners that are not registered at all.
   * `trustHeartbeats` is false right after this process itself stalled: then everybody's
   * heartbeat looks old and says nothing. Returns how many leases were released.
   */
  reapDead(trustHeartbeats: boolean): number {
    const { db, id: self, pid: ownPid, now, staleAfterMs, isProcessAlive } = this.#options;
    const staleBefore = now() - staleAfterMs;
    const dead = (this.#list.all() as unknown as InstanceRow[]).filter(
      (row) =>
        row.id !== self &&
        ((row.pid !== ownPid && !isProcessAlive(row.pid)) ||
          (trustHeartbeats && row.heartbeat_at < staleBefore)),
    );
    // Reads first: the common case (everybody alive) takes no write lock.
    if (dead.length === 0 && this.#orphans.get() === undefined) return 0;
    return transaction(db, () => {
      for (const row of dead) this.#reap.run(row.id, row.heartbeat_at);
      return Number(this.#releaseOrphans.run().changes);
    });
  }
}

/** Whether a process exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
