import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** A row just leased to this instance. */
export interface LeasedRow {
  seq: number;
  body: string;
  /** Deliveries so far, this one included: the attempt number. */
  deliveries: number;
}

/** A ready row as the lease's read returns it: seq, body, deliveries so far. */
type ReadyRow = [seq: number, body: string, deliveries: number];

/**
 * The durable queues, all in one table, FIFO by `seq`. A row is ready when no instance leases it
 * and its `available_at` has come; leasing marks it with the owner's id (a row may also be
 * written leased), ack deletes it and requeue clears the owner. Writes run inside the caller's transaction (see WriteBatch).
 * Statements are prepared once: the hot path never re-parses SQL.
 */
export class MessageTable {
  readonly #insert: StatementSync;
  readonly #insertLeased: StatementSync;
  readonly #probe: StatementSync;
  readonly #countReady: StatementSync;
  readonly #oldestReady: StatementSync;
  readonly #take: StatementSync;
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
    this.#oldestReady = db.prepare(
      `SELECT seq, body, deliveries FROM messages
       WHERE queue = ? AND lease_owner IS NULL AND available_at <= ?
       ORDER BY seq LIMIT ?`,
    );
    // Rows as [seq, body, deliveries]: no object with named keys built per row.
    this.#oldestReady.setReturnArrays(true);
    this.#take = db.prepare(
      `UPDATE messages SET lease_owner = ?, deliveries = deliveries + 1
       WHERE seq = ? AND lease_owner IS NULL`,
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

  /**
   * Leases up to `limit` ready rows of `queue` to `owner`, oldest first. Call inside a write
   * transaction: the read and the updates then run under the write lock, so two instances never
   * lease the same row (and the owner check of each update holds even without it).
   *
   * A read and one UPDATE per row by its key, not one `UPDATE ... WHERE seq IN (subquery)
   * RETURNING`: that statement cost about 20 µs a call even when it found nothing, and rounds
   * often lease a single row (each ack frees one slot). No {@link hasReady} probe first: the
   * read finding nothing costs about as much, and under a backlog the probe was one more seek.
   */
  lease(queue: string, owner: string, limit: number, now: number): LeasedRow[] {
    const ready = this.#oldestReady.all(queue, now, limit) as unknown as ReadyRow[];
    const leased: LeasedRow[] = [];
    for (const [seq, body, deliveries] of ready) {
      if (Number(this.#take.run(owner, seq).changes) === 0) continue;
      leased.push({ seq, body, deliveries: deliveries + 1 });
    }
    return leased;
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
