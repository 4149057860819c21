import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** A row just leased to this instance. */
export interface LeasedRow {
  seq: number;
  body: string;
  /** Deliveries so far, this one included: the attempt number. */
  deliveries: number;
}

/**
 * The durable queues, all in one table, FIFO by `seq`. A row is ready when no instance leases it
 * and its `available_at` has come; leasing marks it with the owner's id (a row may also be written leased), ack deletes it and
 * requeue clears the owner. Writes run inside the caller's transaction (see WriteBatch).
 * Statements are prepared once: the hot path never re-parses SQL.
 */
export class MessageTable {
  readonly #insert: StatementSync;
  readonly #insertLeased: StatementSync;
  readonly #probe: StatementSync;
  readonly #countReady: StatementSync;
  readonly #lease: StatementSync;
  readonly #delete: StatementSync;
  readonly #release: StatementSync;
  readonly #releaseOwner: StatementSync;
  readonly #deleteQueue: StatementSync;

  constructor(db: DatabaseSync) {
    this.#insert = db.prepare('INSERT INTO messages (queue, id, body) VALUES (?, ?, ?)');
    this.#insertLeased = db.prepare(
      'INSERT INTO messages (queue, id, body, lease_owner, deliveries) VALUES (?, ?, ?, ?, 1)',
    );
    this.#probe = db.prepare(
      `SELECT 1 FROM messages
       WHERE queue = ? AND lease_owner IS NULL AND available_at <= ? LIMIT 1`,
    );
    this.#countReady = db.prepare(
      `SELECT COUNT(*) AS n FROM messages
       WHERE queue = ? AND lease_owner IS NULL AND available_at <= ?`,
    );
    // The subquery runs under the write lock, so two instances never lease the same row.
    this.#lease = db.prepare(
      `UPDATE messages SET lease_owner = ?, deliveries = deliveries + 1
       WHERE seq IN (
         SELECT seq FROM messages
         WHERE queue = ? AND lease_owner IS NULL AND available_at <= ?
         ORDER BY seq LIMIT ?)
       RETURNING seq, body, deliveries`,
    );
    this.#delete = db.prepare('DELETE FROM messages WHERE seq = ? AND lease_owner = ?');
    this.#release = db.prepare(
      'UPDATE messages SET lease_owner = NULL, available_at = ? WHERE seq = ? AND lease_owner = ?',
    );
    this.#releaseOwner = db.prepare('UPDATE messages SET lease_owner = NULL WHERE lease_owner = ?');
    this.#deleteQueue = db.prepare('DELETE FROM messages WHERE queue = ?');
  }

  insert(queue: string, id: string, body: string): void {
    this.#insert.run(queue, id, body);
  }

  /**
   * Appends a row already leased to `owner` for its first delivery, as {@link lease} would
   * leave it, in one write instead of an insert and an update. Only for a row that may go to a
   * consumer now: the caller checked that no older row of `queue` is ready (FIFO).
   */
  insertLeased(queue: string, id: string, body: string, owner: string): LeasedRow {
    const { lastInsertRowid } = this.#insertLeased.run(queue, id, body, owner);
    return { seq: Number(lastInsertRowid), body, deliveries: 1 };
  }

  /**
   * Whether `queue` has a ready row: a read, so an idle queue costs no write transaction and
   * polling never contends for the write lock with the instances that are actually working.
   */
  hasReady(queue: string, now: number): boolean {
    return this.#probe.get(queue, now) !== undefined;
  }

  /** How many rows of `queue` are ready: not leased, and due (a delayed retry is not, yet). */
  countReady(queue: string, now: number): number {
    return (this.#countReady.get(queue, now) as { n: number }).n;
  }

  /** Leases up to `limit` ready rows of `queue` to `owner`, oldest first. */
  lease(queue: string, owner: string, limit: number, now: number): LeasedRow[] {
    // The UPDATE costs about 20 µs even when it finds nothing (its subquery, RETURNING), the
    // probe well under 1 µs: a queue whose consumers keep up has no ready row most rounds.
    if (!this.hasReady(queue, now)) return [];
    const rows = this.#lease.all(owner, queue, now, limit) as unknown as LeasedRow[];
    // RETURNING gives no order guarantee.
    return rows.sort((a, b) => a.seq - b.seq);
  }

  /** Deletes a row, if `owner` still holds its lease. */
  delete(seq: number, owner: string): void {
    this.#delete.run(seq, owner);
  }

  /** Makes a leased row ready again at `availableAt`, if `owner` still holds its lease. */
  release(seq: number, owner: string, availableAt: number): void {
    this.#release.run(availableAt, seq, owner);
  }

  /** Makes every row leased by `owner` ready again; returns how many. */
  releaseOwner(owner: string): number {
    return Number(this.#releaseOwner.run(owner).changes);
  }

  /** Deletes every row of `queue`, leased or not; returns how many. */
  deleteQueue(queue: string): number {
    return Number(this.#deleteQueue.run(queue).changes);
  }
}
